import CourtLog
import OfficeFiles

/// The records of an .xlsx workbook's first sheet, read a row at a time (``SheetRowStream``),
/// so a sheet of any number of rows is checked and imported in the same memory (besides the
/// workbook's shared strings, see there). As the whole-sheet reader does: the first non-blank
/// row is the header (``TableHeader``), blank rows are left out, a row may leave out its empty
/// cells at the end, and each record is cited by its row number in the sheet.
public final class SheetRecords: ImportRecords {
    let reader: EventRecordReader
    let rows: SheetRowStream
    /// Rows converted a window at a time, on all cores.
    static let window = 4096
    var header: TableHeader?

    /// Opens the workbook at `path`; a file that is not an .xlsx workbook is refused here.
    public init(path: String, reader: EventRecordReader, chunkSize: Int = 256 << 10) throws(EventError) {
        do { rows = try SheetRowStream(path: path, chunkSize: chunkSize) } catch { throw EventError(error.description) }
        self.reader = reader
    }

    public var bytesRead: Int64 { rows.bytesRead }
    public var byteCount: Int64 { rows.byteCount }

    public func rewind() throws(EventError) {
        do { try rows.rewind() } catch { throw EventError(error.description) }
        header = nil
    }

    public func nextWindow() throws(EventError) -> [(line: Int, record: Record)]? {
        if header == nil {
            guard let first = try nextRow() else { throw EventError("the sheet is empty: it needs a header row (type,at,...)") }
            header = try TableHeader(first.cells)
        }
        var window: [Spreadsheet.Row] = []
        window.reserveCapacity(Self.window)
        while window.count < Self.window, let row = try nextRow() { window.append(row) }
        if window.isEmpty { return nil }
        let reader = reader, header = header!
        return Parallel.map(window) { row -> (line: Int, record: Record) in
            (row.number, Result { () throws(EventError) in try reader.tableRecord(row.cells, header: header, sheet: true) })
        }
    }

    /// The next row that is not blank, or nil after the last.
    func nextRow() throws(EventError) -> Spreadsheet.Row? {
        do {
            while let row = try rows.next() {
                if !EventRecordReader.isBlank(row.cells) { return row }
            }
            return nil
        } catch {
            throw EventError(error.description)
        }
    }
}
