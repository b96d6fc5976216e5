import Foundation
import Testing
@testable import OfficeFiles

@Suite("office files: zips, workbooks, Word documents, GB18030 text")
struct OfficeFilesTests {
    @Test func aZipWrittenHereReadsBackEntryForEntry() throws {
        var zip = ZipArchive()
        let big = Array(String(repeating: "全市法院信息化应用情况 ", count: 500).utf8)
        zip.add("a.txt", text: "hello")
        zip.add("dir/中文.xml", big)
        zip.add("empty", [])
        let bytes = zip.bytes()
        #expect(bytes.count < big.count, "the repetitive entry was not deflated")
        let back = try ZipArchive(reading: bytes)
        #expect(back.names == ["a.txt", "dir/中文.xml", "empty"])
        #expect(back.entries["dir/中文.xml"] == big && back.entries["a.txt"] == Array("hello".utf8) && back.entries["empty"] == [])
        // The same content gives the same bytes (no timestamps).
        #expect(zip.bytes() == bytes)
    }

    @Test func systemUnzipAgreesWithTheArchive() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else { return }
        var zip = ZipArchive()
        zip.add("word/document.xml", text: "<w:document>网上立案</w:document>")
        let path = NSTemporaryDirectory() + "courtsync-zip-\(UUID().uuidString).zip"
        try Data(zip.bytes()).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = ["-c", "import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; sys.stdout.write(z.read('word/document.xml').decode())", path]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run(); p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "<w:document>网上立案</w:document>")
    }

    @Test func notAZipIsRefusedWithAReason() {
        #expect(throws: OfficeFileError.self) { try ZipArchive(reading: Array("type,at\n".utf8)) }
        #expect(throws: OfficeFileError.self) { try Spreadsheet.readFirstSheet(Array(repeating: 0, count: 100)) }
    }

    @Test func aWorkbookWrittenHereReadsBackCellForCell() throws {
        let rows = [["指标", "期间", "全省排名", "备注"], ["网上立案率", "2023-07", "4", "A&B <c> \"q\""], ["1a", "2023-H1", "12", ""]]
        let bytes = Spreadsheet.xlsx(sheetName: "全省排名", rows: rows)
        let back = try Spreadsheet.readFirstSheet(bytes)
        #expect(back.map(\.number) == [1, 2, 3])
        #expect(back[0].cells == rows[0] && back[1].cells == rows[1])
        #expect(back[2].cells.prefix(3) == ["1a", "2023-H1", "12"])
    }

    @Test func sharedStringsRichTextAndPhoneticRunsAreReadAsExcelShowsThem() throws {
        let shared = Array(#"<sst><si><t>网上</t></si><si><r><t>线</t></r><r><t xml:space="preserve">下 </t></r><rPh><t>xianxia</t></rPh></si></sst>"#.utf8)
        let strings = try Spreadsheet.sharedStrings(shared)
        #expect(strings == ["网上", "线下 "])
        let sheet = Array(#"<worksheet><sheetData><row r="2"><c r="B2" t="s"><v>1</v></c><c r="D2"><v>44774.5</v></c><c r="E2" t="b"><v>1</v></c></row></sheetData></worksheet>"#.utf8)
        let rows = try Spreadsheet.rows(sheet, shared: strings)
        #expect(rows == [Spreadsheet.Row(number: 2, cells: ["", "线下", "", "44774.5", "true"])])
    }

    @Test func gbkTextIsDetectedAndDecoded() throws {
        // "网上,线下" in GBK.
        let gbk: [UInt8] = [0xCD, 0xF8, 0xC9, 0xCF, 0x2C, 0xCF, 0xDF, 0xCF, 0xC2]
        #expect(TextEncoding.utf8.decode(gbk) == nil)
        let (encoding, text) = try #require(TextEncoding.detect(gbk))
        #expect(encoding == .gb18030 && text == "网上,线下")
        #expect(TextEncoding.gbk.encode("网上,线下") == gbk)
        #expect(TextEncoding.detect(Array("\u{FEFF}type,at".utf8))?.1 == "type,at")
        #expect(TextEncoding(name: "GBK") == .gbk && TextEncoding(name: "latin1") == nil)
    }

    @Test func aWordDocumentIsAZipWithTheRequiredParts() throws {
        var d = WordDocument()
        d.paragraph("关于2023年7月全市法院信息化应用情况的通报", face: .title, size: 22, align: .center)
        d.table(header: ["法院", "数值"], rows: [["解放区人民法院", "99.10%"]], widthsPercent: [60, 40])
        let zip = try ZipArchive(reading: d.docx(title: "通报"))
        for part in ["[Content_Types].xml", "_rels/.rels", "word/document.xml", "word/styles.xml"] { #expect(zip.entries[part] != nil, "missing \(part)") }
        let xml = String(decoding: zip.entries["word/document.xml"]!, as: UTF8.self)
        #expect(xml.contains("<w:tblHeader/>") && xml.contains("<w:cantSplit/>") && xml.contains(#"w:w="11906""#) && xml.contains("解放区人民法院"))
    }
}
