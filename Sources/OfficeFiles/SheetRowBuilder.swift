/// Turns a worksheet's XML tokens into rows, one row as soon as its `</row>` is read: the one
/// reading of cells (shared and inline strings, booleans, numbers as stored) for a sheet held
/// whole (``Spreadsheet/readFirstSheet(_:)``) and for one streamed (``SheetRowStream``).
struct SheetRowBuilder {
    /// The workbook's shared strings, by index.
    let shared: [String]
    var rowNumber = 0
    var cells: [String] = []
    var cellType = "n", cellColumn = 0, value = ""
    var inValue = false, inCell = false

    init(shared: [String]) { self.shared = shared }

    /// Takes the next token; returns the row it ends, if it ends one.
    mutating func take(_ t: XMLScanner.Token) throws(OfficeFileError) -> Spreadsheet.Row? {
        switch t {
        case .start("row", let a, let closing):
            rowNumber = a["r"].flatMap { Int($0) } ?? rowNumber + 1
            cells = []
            if closing { return Spreadsheet.Row(number: rowNumber, cells: []) }
        case .end("row"):
            return Spreadsheet.Row(number: rowNumber, cells: cells)
        case .start("c", let a, let closing):
            cellType = a["t"] ?? "n"
            cellColumn = a["r"].flatMap(Spreadsheet.column) ?? cells.count
            value = ""; inCell = !closing
        case .end("c"):
            inCell = false
            var text = value
            if cellType == "s" {
                guard let i = Int(value), i >= 0, i < shared.count else { throw OfficeFileError("row \(rowNumber) refers to a shared string that does not exist") }
                text = shared[i]
            } else if cellType == "b" {
                text = value == "1" ? "true" : "false"
            }
            guard cellColumn < 16_384 else { throw OfficeFileError("row \(rowNumber) has a cell beyond column XFD") }
            while cells.count <= cellColumn { cells.append("") }
            cells[cellColumn] = text.trimmingSpaces
        case .start("v", _, let closing), .start("t", _, let closing): inValue = inCell && !closing
        case .end("v"), .end("t"): inValue = false
        case .text(let s): if inValue { value += s }
        default: break
        }
        return nil
    }
}
