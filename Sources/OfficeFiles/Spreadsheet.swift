/// The first worksheet of an .xlsx workbook as rows of text, and a table written as .xlsx.
///
/// Cells read as Excel shows their raw value: shared and inline strings as text, numbers in
/// their stored form (a date cell is its serial day number, e.g. 44774.395833; see
/// ``excelSerialDate(_:)``), booleans as `true`/`false`.
public enum Spreadsheet {
    /// One row as read: its 1-based row number in the sheet and its cells (empty where absent).
    public struct Row: Sendable, Equatable {
        public let number: Int
        public let cells: [String]
    }

    /// Reads the first worksheet of an .xlsx file held in memory (``SheetRowStream`` reads one
    /// from its file a row at a time).
    public static func readFirstSheet(_ bytes: [UInt8]) throws(OfficeFileError) -> [Row] {
        let zip: ZipArchive
        do { zip = try ZipArchive(reading: bytes) } catch { throw OfficeFileError("it is not an .xlsx workbook: \(error.description)") }
        guard let workbook = zip.entries["xl/workbook.xml"] else { throw notAWorkbook }
        let sheetPath = try firstSheetPath(workbook: workbook, relationships: zip.entries["xl/_rels/workbook.xml.rels"])
        guard let sheet = zip.entries[sheetPath] else { throw OfficeFileError("its first worksheet (\(sheetPath)) is missing") }
        let shared = try sharedStrings(zip.entries["xl/sharedStrings.xml"] ?? [])
        return try rows(sheet, shared: shared)
    }

    static let notAWorkbook = OfficeFileError("it is a zip file but not an .xlsx workbook (no xl/workbook.xml): save it from Excel or WPS as .xlsx")

    /// The path in the zip of the workbook's first sheet, from the workbook part and its relationships.
    static func firstSheetPath(workbook: [UInt8], relationships: [UInt8]?) throws(OfficeFileError) -> String {
        var scanner = XMLScanner(workbook)
        var rid: String?
        while let t = try scanner.next() {
            if case .start("sheet", let a, _) = t { rid = a["id"]; break }
        }
        if let rid, let rels = relationships {
            var r = XMLScanner(rels)
            while let t = try r.next() {
                if case .start("Relationship", let a, _) = t, a["Id"] == rid, let target = a["Target"] {
                    return target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target
                }
            }
        }
        return "xl/worksheets/sheet1.xml"
    }

    static func sharedStrings(_ bytes: [UInt8]) throws(OfficeFileError) -> [String] {
        var scanner = XMLScanner(bytes)
        return try sharedStrings { () throws(OfficeFileError) in try scanner.next() }
    }

    /// The shared-strings table from its XML tokens (whole, or streamed out of the zip).
    static func sharedStrings(tokens next: () throws(OfficeFileError) -> XMLScanner.Token?) throws(OfficeFileError) -> [String] {
        var out: [String] = []
        var current = "", inT = false, phonetic = 0
        while let t = try next() {
            switch t {
            case .start("si", _, _): current = ""
            case .end("si"): out.append(current)
            case .start("rPh", _, let closing): if !closing { phonetic += 1 }
            case .end("rPh"): phonetic -= 1
            case .start("t", _, let closing): inT = !closing
            case .end("t"): inT = false
            case .text(let s): if inT && phonetic == 0 { current += s }
            default: break
            }
        }
        return out
    }

    /// Column index (0-based) of a cell reference such as `AB12`.
    static func column(_ ref: String) -> Int? {
        var n = 0, any = false
        for u in ref.unicodeScalars {
            guard u.value >= 65 && u.value <= 90 else { break }
            n = n * 26 + Int(u.value - 64); any = true
        }
        return any ? n - 1 : nil
    }

    static func rows(_ bytes: [UInt8], shared: [String]) throws(OfficeFileError) -> [Row] {
        var out: [Row] = []
        var scanner = XMLScanner(bytes)
        var builder = SheetRowBuilder(shared: shared)
        while let t = try scanner.next() {
            if let row = try builder.take(t) { out.append(row) }
        }
        return out
    }

    /// An Excel serial date-time (1900 date system, days since 1899-12-30) as
    /// `(year, month, day, seconds of the day)`, or nil if `text` is not such a number.
    public static func excelSerialDate(_ text: String) -> (year: Int, month: Int, day: Int, seconds: Int)? {
        guard let v = Double(text), v >= 1, v < 2_958_466 else { return nil }
        let days = Int(v.rounded(.down))
        let seconds = Int(((v - Double(days)) * 86400).rounded())
        // 1899-12-30 is day 0; days from 1970-01-01 = days - 25569.
        let z = days - 25569 + 719468 + seconds / 86400
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d, seconds % 86400)
    }

    /// A table as an .xlsx workbook with one sheet: the first row bold and frozen, whole numbers
    /// as numbers, everything else as text.
    public static func xlsx(sheetName: String, rows: [[String]]) -> [UInt8] {
        var zip = ZipArchive()
        zip.add("[Content_Types].xml", text: """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>
            """)
        zip.add("_rels/.rels", text: """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>
            """)
        let name = String(sheetName.unicodeScalars.filter { !"[]:*?/\\".unicodeScalars.contains($0) }.prefix(31).map(Character.init))
        zip.add("xl/workbook.xml", text: """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="\(XMLScanner.escape(name.isEmpty ? "Sheet1" : name))" sheetId="1" r:id="rId1"/></sheets></workbook>
            """)
        zip.add("xl/_rels/workbook.xml.rels", text: """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>
            """)
        zip.add("xl/styles.xml", text: """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="2"><font><sz val="11"/><name val="等线"/></font><font><b/><sz val="11"/><name val="等线"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs></styleSheet>
            """)
        var widths: [Int] = []
        for r in rows { for (i, c) in r.enumerated() { if widths.count <= i { widths.append(0) }; widths[i] = max(widths[i], c.unicodeScalars.reduce(0) { $0 + ($1.value > 0x2E80 ? 2 : 1) }) } }
        var sheet = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
        sheet += #"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#
        sheet += #"<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>"#
        if !widths.isEmpty {
            sheet += "<cols>" + widths.enumerated().map { #"<col min="\#($0 + 1)" max="\#($0 + 1)" width="\#(min(60, max(8, $1 + 2)))" customWidth="1"/>"# }.joined() + "</cols>"
        }
        sheet += "<sheetData>"
        for (r, row) in rows.enumerated() {
            sheet += #"<row r="\#(r + 1)">"#
            for (c, cell) in row.enumerated() {
                let ref = columnName(c) + "\(r + 1)"
                let style = r == 0 ? #" s="1""# : ""
                if r > 0, isWholeNumber(cell) {
                    sheet += #"<c r="\#(ref)"\#(style)><v>\#(cell)</v></c>"#
                } else {
                    sheet += #"<c r="\#(ref)"\#(style) t="inlineStr"><is><t xml:space="preserve">\#(XMLScanner.escape(cell))</t></is></c>"#
                }
            }
            sheet += "</row>"
        }
        sheet += "</sheetData></worksheet>"
        zip.add("xl/worksheets/sheet1.xml", text: sheet)
        return zip.bytes()
    }

    static func isWholeNumber(_ s: String) -> Bool {
        let body = s.hasPrefix("-") ? s.dropFirst() : Substring(s)
        return !body.isEmpty && body.count <= 15 && body.allSatisfy { $0.isASCII && $0.isNumber } && !(body.count > 1 && body.hasPrefix("0"))
    }

    static func columnName(_ index: Int) -> String {
        var n = index + 1, out = ""
        while n > 0 { let r = (n - 1) % 26; out = String(UnicodeScalar(UInt8(65 + r))) + out; n = (n - 1) / 26 }
        return out
    }
}
