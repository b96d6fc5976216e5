import Foundation
import Testing
@testable import OfficeFiles

/// A worksheet read from its file a chunk at a time (issue 13): the same rows as the whole-file
/// reader whatever the chunk size, and a damaged entry refused rather than read short.
@Suite("office files: a worksheet streamed out of its zip")
struct SheetRowStreamTests {
    func write(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sheet-\(UUID().uuidString).xlsx").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func streamed(_ path: String, chunkSize: Int) throws -> [Spreadsheet.Row] {
        let stream = try SheetRowStream(path: path, chunkSize: chunkSize)
        var rows: [Spreadsheet.Row] = []
        while let row = try stream.next() { rows.append(row) }
        return rows
    }

    /// A workbook as a spreadsheet program writes one: shared strings (rich text, a phonetic
    /// run), inline strings, a boolean, an escaped entity and a CDATA section, a self-closing
    /// empty row, a processing instruction, and a sheet found through the relationships.
    static func programWorkbook() -> [UInt8] {
        var zip = ZipArchive()
        zip.add("xl/workbook.xml", text: #"<?xml version="1.0"?><workbook xmlns:r="r"><sheets><sheet name="立案" sheetId="1" r:id="rId7"/></sheets></workbook>"#)
        zip.add("xl/_rels/workbook.xml.rels", text: #"<Relationships><Relationship Id="rId7" Target="worksheets/data.xml"/></Relationships>"#)
        zip.add("xl/sharedStrings.xml", text: #"<sst><si><t>type</t></si><si><t>at</t></si><si><r><t>线</t></r><r><t xml:space="preserve">下 </t></r><rPh><t>xianxia</t></rPh></si></sst>"#)
        zip.add("xl/worksheets/data.xml", text: """
            <?xml version="1.0" encoding="UTF-8"?>
            <worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>case_no</t></is></c></row>\
            <row r="3"/><row r="4"><c r="A4" t="inlineStr"><is><t>A&amp;B &lt;c&gt; &#x7F51;上</t></is></c><c r="B4"><v>44774.395833333336</v></c>\
            <c r="D4" t="s"><v>2</v></c><c r="E4" t="b"><v>1</v></c></row><?pi x?>\
            <row r="5"><c r="A5" t="inlineStr"><is><t><![CDATA[<raw> & 文本]]></t></is></c><c r="C5"><v>12</v></c></row></sheetData></worksheet>
            """)
        return zip.bytes()
    }

    @Test func aSheetStreamedAtEveryChunkSizeGivesTheRowsOfTheWholeReader() throws {
        let generated = Spreadsheet.xlsx(sheetName: "全省排名", rows: [["指标", "期间", "全省排名", "备注"], ["网上立案率", "2023-07", "4", "A&B <c> \"q\""], ["1a", "2023-H1", "12", ""]])
        for bytes in [Self.programWorkbook(), generated] {
            let path = try write(bytes); defer { try? FileManager.default.removeItem(atPath: path) }
            let whole = try Spreadsheet.readFirstSheet(bytes)
            #expect(whole.count >= 3)
            // Chunks of 1 to 80 bytes cut every tag, entity, CDATA section and UTF-8 character
            // of these sheets somewhere; 256 KiB (the default) holds each sheet whole.
            for size in Array(1...80) + [256 << 10] {
                #expect(try streamed(path, chunkSize: size) == whole, "chunk size \(size)")
            }
        }
        // By hand, from the program's workbook above.
        let path = try write(Self.programWorkbook()); defer { try? FileManager.default.removeItem(atPath: path) }
        let rows = try streamed(path, chunkSize: 7)
        #expect(rows == [Spreadsheet.Row(number: 1, cells: ["type", "at", "case_no"]), Spreadsheet.Row(number: 3, cells: []),
                         Spreadsheet.Row(number: 4, cells: ["A&B <c> 网上", "44774.395833333336", "", "线下", "true"]),
                         Spreadsheet.Row(number: 5, cells: ["<raw> & 文本", "", "12"])])
    }

    @Test func aSheetReadAgainAfterRewindGivesTheSameRows() throws {
        let path = try write(Self.programWorkbook()); defer { try? FileManager.default.removeItem(atPath: path) }
        let stream = try SheetRowStream(path: path, chunkSize: 5)
        _ = try stream.next(); _ = try stream.next()
        try stream.rewind()
        var rows: [Spreadsheet.Row] = []
        while let row = try stream.next() { rows.append(row) }
        #expect(rows == (try Spreadsheet.readFirstSheet(Self.programWorkbook())))
        #expect(stream.bytesRead == stream.byteCount)
    }

    @Test func aDamagedSheetEntryIsRefusedNotReadShort() throws {
        // A sheet of many rows (deflated), the last entry before the central directory: bytes
        // in the middle of its deflate stream overwritten.
        let rows = [["type", "at", "case_no"]] + (1...2000).map { ["case.filed", "2022-08-01 09:30", "(2022)豫0811民初\($0)号"] }
        var bytes = Spreadsheet.xlsx(sheetName: "s", rows: rows)
        let eocd = bytes.count - 22
        let directory = Int(bytes[eocd + 16]) | Int(bytes[eocd + 17]) << 8 | Int(bytes[eocd + 18]) << 16 | Int(bytes[eocd + 19]) << 24
        for i in (directory - 3000)..<(directory - 2900) { bytes[i] = 0xFF }
        let path = try write(bytes); defer { try? FileManager.default.removeItem(atPath: path) }
        #expect { try streamed(path, chunkSize: 4096) } throws: { error in
            "\(error)".contains("its zip entry xl/worksheets/sheet1.xml is damaged (it does not decompress)")
        }
        // Not a zip, or a zip without a workbook: refused when opened, with what to do.
        let text = try write(Array("type,at\n".utf8)); defer { try? FileManager.default.removeItem(atPath: text) }
        #expect { try SheetRowStream(path: text) } throws: { "\($0)".contains("it is not an .xlsx workbook") }
        var other = ZipArchive(); other.add("a.txt", text: "x")
        let zip = try write(other.bytes()); defer { try? FileManager.default.removeItem(atPath: zip) }
        #expect { try SheetRowStream(path: zip) } throws: { "\($0)".contains("no xl/workbook.xml") }
    }
}
