import Foundation
import OfficeFiles
import Testing

/// Bulletins as the documents courts circulate (HTML on A4, Word, PDF) and query answers as
/// files Excel opens.
@Suite("bulletins as documents, answers as spreadsheets", .serialized)
struct BulletinDocumentTests {
    static let courts = ["焦作市中级人民法院", "解放区人民法院", "中站区人民法院", "马村区人民法院", "山阳区人民法院", "修武县人民法院",
                         "博爱县人民法院", "武陟县人民法院", "温县人民法院", "沁阳市人民法院", "孟州市人民法院"]

    /// 解放区's node with three months of filings and hearings.
    func node(_ s: Scratch) throws -> String {
        let dir = s.file("jiefang")
        #expect(try CLI.run(["node", "init", "--dir", dir, "--court", "410802"]).status == 0)
        var csv = "type,at,case_no,channel,mode,streamed\n"
        for month in 8...10 {
            for i in 1...(month * 2) {
                csv += "case.filed,2022-\(month)-\(i % 28 + 1) 09:00,(2022)豫0802民初\(month)\(i)号,\(i % 9 == 0 ? "线下" : "网上"),,\n"
                if i % 3 == 0 { csv += "hearing.held,2022-\(month)-\(i % 28 + 1) 15:00,(2022)豫0802民初\(month)\(i)号,,\(i % 2 == 0 ? "网上" : "线下"),否\n" }
            }
        }
        let r = try CLI.run(["node", "import", "--dir", dir, try s.write("usage.csv", csv)])
        #expect(r.status == 0, "\(r.output)")
        return dir
    }

    static func tool(_ name: String) -> String? {
        ["/usr/bin", "/usr/local/bin", "/bin"].map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func run(_ tool: String, _ args: [String]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func theHTMLBulletinIsAnA4DocumentWithACityRowAndAPlainChineseNote() throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = try node(s)
        let r = try CLI.run(["report", "monthly", "2022-10", "--dir", dir, "--out", s.file("b.html"), "--number", "焦中法技〔2022〕10号"])
        #expect(r.status == 0, "\(r.output)")
        let html = try String(contentsOfFile: s.file("b.html"), encoding: .utf8)
        for needed in ["@page { size: A4", "<thead>", "display: table-header-group", "white-space: nowrap", "焦中法技〔2022〕10号",
                       "关于2022年10月全市法院信息化应用情况的通报", "<td class=\"unit\">全市</td>", "FangSong", "serif;", "附：数据复核信息", "全市数值", "考核标准", "未达标的月份"] {
            #expect(html.contains(needed), "the HTML bulletin lacks \(needed)")
        }
        // The note readers see is plain Chinese; the command is only in the appendix.
        let note = try #require(html.components(separatedBy: "<p class=\"note\">").last?.components(separatedBy: "</p>").first)
        #expect(!note.contains("courtsync") && !note.contains("--") && !note.contains("as-of") && note.contains("北京时间"), "\(note)")
        // The chart spans the months with data (2022-08…10), not twelve months of nothing.
        #expect(html.contains("8月") && html.contains("2022年") && !html.contains(">11月<"))
    }

    @Test func theWordBulletinIsAWellFormedDocxWithRepeatedHeadersAndRowsThatDoNotSplit() throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = try node(s)
        let out = s.file("2022-10.docx")
        let r = try CLI.run(["report", "monthly", "2022-10", "--dir", dir, "--out", out])
        #expect(r.status == 0, "\(r.output)")
        let zip = try ZipArchive(reading: Array(try Data(contentsOf: URL(fileURLWithPath: out))))
        let xml = String(decoding: try #require(zip.entries["word/document.xml"]), as: UTF8.self)
        for needed in ["关于2022年10月全市法院</w:t>", "信息化应用情况的通报</w:t>", "<w:tblHeader/>", "<w:cantSplit/>", "<w:keepNext/>", "仿宋_GB2312", ">全市<", "附：数据复核信息", #"w:w="11906" w:h="16838""#] {
            #expect(xml.contains(needed), "the .docx lacks \(needed)")
        }
        if let python = Self.tool("python3") {
            let (status, _) = try Self.run(python, ["-c", "import sys,zipfile,xml.dom.minidom as m; z=zipfile.ZipFile(sys.argv[1]); [m.parseString(z.read(n)) for n in z.namelist() if n.endswith('.xml') or n.endswith('.rels')]", out])
            #expect(status == 0, "a part of the .docx is not well-formed XML")
        }
        // LibreOffice (Debian's libreoffice-writer-nogui) opens it: printed to PDF, it is A4 and
        // holds the title and the 全市 rows.
        if let soffice = Self.tool("soffice"), let pdftotext = Self.tool("pdftotext"), let pdfinfo = Self.tool("pdfinfo") {
            let (status, _) = try Self.run(soffice, ["-env:UserInstallation=file://\(s.file("lo-profile"))", "--headless", "--convert-to", "pdf", "--outdir", s.path, out])
            #expect(status == 0)
            let pdf = s.file("2022-10.pdf")
            let (_, info) = try Self.run(pdfinfo, [pdf])
            #expect(info.contains("(A4)"), "\(info)")
            let (_, text) = try Self.run(pdftotext, ["-layout", pdf, "-"])
            // (LibreOffice spaces Latin digits from Chinese: compare without spaces.)
            let flat = text.replacingOccurrences(of: " ", with: "")
            let cityRows = text.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("全市 ") }
            #expect(flat.contains("关于2022年10月全市法院\n信息化应用情况的通报") && cityRows.count == 20, "LibreOffice did not read the .docx as written: \(cityRows.count) 全市 rows")
        }
    }

    /// The next 双周例会's agenda as the documents 技术处 circulates: Word and an A4 HTML page in
    /// the bulletins' 公文 layout, each holding every section; wrong formats and paths refused.
    @Test func theMeetingAgendaIsAWordDocumentAndAnA4PageWithEverySection() throws {
        let s = try Scratch(); defer { s.remove() }
        let hub = s.file("hub")
        #expect(try CLI.run(["hub", "init", "--dir", hub, "--port", "18456"]).status == 0)
        // September at 410800: 0 of 1 online (网上立案率 missed); a problem raised by 民一庭.
        for (type, at, fields) in [("case.filed", "2022-09-05T09:00:00+08:00", ["--dept", "case-filing", "case_no=(2022)豫08民初1号", "channel=offline"]),
                                   ("suggestion.raised", "2022-09-20T09:00:00+08:00", ["unit=civil-1", "suggestion=S-1", "kind=problem", "text=送达平台卡顿"])] {
            let r = try CLI.run(["node", "append", "--dir", hub, "--type", type, "--at", at] + fields)
            #expect(r.status == 0, "\(r.output)")
        }
        let headings = ["一、新增未达标及需说明情况", "二、待审核的说明情况", "三、意见建议和问题（未办结）", "四、待审议的通报草稿", "五、制度和指标调整"]
        // Word, the format taken from the extension.
        let docx = s.file("agenda.docx")
        let r = try CLI.run(["meeting", "agenda", "--dir", hub, "--on", "2022-10-01", "--out", docx])
        #expect(r.status == 0 && r.output.contains("agenda of 2022-10-06 written to"), "\(r.output)")
        let zip = try ZipArchive(reading: Array(try Data(contentsOf: URL(fileURLWithPath: docx))))
        let xml = String(decoding: try #require(zip.entries["word/document.xml"]), as: UTF8.self)
        for needed in headings + ["信息化应用推进双周例会议程", "civil-1/S-1", "网上立案率", "<w:tblHeader/>", "仿宋_GB2312", #"w:color="C00000""#, #"w:w="11906" w:h="16838""#] {
            #expect(xml.contains(needed), "the agenda .docx lacks \(needed)")
        }
        if let python = Self.tool("python3") {
            let (status, _) = try Self.run(python, ["-c", "import sys,zipfile,xml.dom.minidom as m; z=zipfile.ZipFile(sys.argv[1]); [m.parseString(z.read(n)) for n in z.namelist() if n.endswith('.xml') or n.endswith('.rels')]", docx])
            #expect(status == 0, "a part of the agenda .docx is not well-formed XML")
        }
        // LibreOffice opens it and prints every section on A4.
        if let soffice = Self.tool("soffice"), let pdftotext = Self.tool("pdftotext"), let pdfinfo = Self.tool("pdfinfo") {
            let (status, _) = try Self.run(soffice, ["-env:UserInstallation=file://\(s.file("lo-profile"))", "--headless", "--convert-to", "pdf", "--outdir", s.path, docx])
            #expect(status == 0)
            let (_, info) = try Self.run(pdfinfo, [s.file("agenda.pdf")])
            #expect(info.contains("(A4)"), "\(info)")
            let (_, text) = try Self.run(pdftotext, [s.file("agenda.pdf"), "-"])
            let flat = text.replacingOccurrences(of: " ", with: "").replacingOccurrences(of: "\n", with: "")
            for needed in headings + ["信息化应用推进双周例会议程", "civil-1/S-1", "待审议"] {
                #expect(flat.contains(needed), "LibreOffice's agenda lacks \(needed): \(text)")
            }
        }
        // The A4 page: the bulletins' 公文 style, every section, no script.
        let page = s.file("agenda.html")
        #expect(try CLI.run(["meeting", "agenda", "--dir", hub, "--on", "2022-10-01", "--out", page]).status == 0)
        let html = try String(contentsOfFile: page, encoding: .utf8)
        for needed in headings + ["@page { size: A4", #"<hr class="red">"#, "<thead>", "<td>civil-1/S-1</td>", "焦作市中级人民法院信息化应用推进双周例会"] {
            #expect(html.contains(needed), "the agenda page lacks \(needed)")
        }
        #expect(!html.contains("<script"))
        // Refused in one line, nothing written.
        expectOneLineError(try CLI.run(["meeting", "agenda", "--dir", hub, "--format", "pdf", "--out", s.file("a.pdf")]), contains: "md, html or docx")
        expectOneLineError(try CLI.run(["meeting", "agenda", "--dir", hub, "--out", s.file("a.txt")]), contains: ".docx")
        expectOneLineError(try CLI.run(["meeting", "agenda", "--dir", hub, "--format", "html", "--out", s.file("b.docx")]), contains: "does not match")
        expectOneLineError(try CLI.run(["meeting", "agenda", "--dir", hub, "--out", s.file("no/such/agenda.docx")]), contains: "cannot write")
        for name in ["a.pdf", "a.txt", "b.docx", "no/such/agenda.docx"] { #expect(!FileManager.default.fileExists(atPath: s.file(name)), "\(name) was written") }
    }

    @Test func thePDFBulletinPrintsOnA4WithNoTableRowCutAcrossPages() throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = try node(s)
        let out = s.file("2022-10.pdf")
        let r = try CLI.run(["report", "monthly", "2022-10", "--dir", dir, "--out", out])
        guard Self.tool("chromium") != nil else {
            expectOneLineError(r, contains: "apt-get install chromium")
            #expect(!FileManager.default.fileExists(atPath: out))
            return
        }
        #expect(r.status == 0, "\(r.output)")
        guard let pdfinfo = Self.tool("pdfinfo"), let pdftotext = Self.tool("pdftotext"), let pdftoppm = Self.tool("pdftoppm") else {
            Issue.record("poppler-utils is not installed (apt-get install poppler-utils): the PDF's pages cannot be checked")
            return
        }
        let (_, info) = try Self.run(pdfinfo, [out])
        #expect(info.contains("(A4)"), "not A4: \(info)")
        let pages = try #require(info.split(separator: "\n").first { $0.hasPrefix("Pages:") }.flatMap { Int($0.split(separator: " ").last!) })
        #expect((6...40).contains(pages), "\(pages) pages")
        // Every court row is whole on one page: its line holds the name and all its cells.
        let (_, text) = try Self.run(pdftotext, ["-layout", out, "-"])
        let pageTexts = text.components(separatedBy: "\u{0C}").filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        #expect(pageTexts.count == pages)
        var rows = 0
        for (n, page) in pageTexts.enumerated() {
            for line in page.split(separator: "\n") {
                let cells = line.split(separator: " ").map(String.init)
                guard let first = cells.first, Self.courts.contains(first) || first == "全市" else { continue }
                rows += 1
                #expect(cells.count >= 5, "page \(n + 1): a table row is cut: \(line)")
            }
        }
        // The ten grassroots courts and 全市 in the overview and in each of the 19 indicators' tables
        // (the 中院 is judged by its departments, in a table of its own).
        #expect(rows >= 11 * 20, "only \(rows) whole table rows found")
        #expect(!text.contains("courtsync report") || text.contains("附：数据复核信息"))
        // The pages as images (what a reader sees): one PNG per page.
        let images = s.file("pages")
        try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
        let (status, _) = try Self.run(pdftoppm, ["-r", "40", "-png", out, "\(images)/p"])
        #expect(status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: images).filter { $0.hasSuffix(".png") }.count == pages)
    }

    @Test func withoutChromiumAPDFIsRefusedNamingThePackageAndNothingIsWritten() throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = try node(s)
        let out = s.file("b.pdf")
        let (status, output) = try Self.run("/bin/sh", ["-c", "COURTSYNC_CHROMIUM=/nonexistent/chromium '\(CLI.binary)' report monthly 2022-10 --dir '\(dir)' --out '\(out)' 2>&1"])
        #expect(status != 0)
        let lines = output.split(separator: "\n")
        #expect(lines.count == 1 && output.contains("apt-get install chromium"), "\(output)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func queryAnswersAreWrittenAsXlsxAndAsCSVWithABOM() throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = try node(s)
        let xlsx = s.file("合规.xlsx")
        let r = try CLI.run(["query", "compliance", "--dir", dir, "--period", "2022-10", "--format", "xlsx", "--out", xlsx])
        #expect(r.status == 0, "\(r.output)")
        let rows = try Spreadsheet.readFirstSheet(Array(try Data(contentsOf: URL(fileURLWithPath: xlsx))))
        #expect(rows.first?.cells.first == "指标" && rows.count > 19, "\(rows.prefix(2))")
        #expect(rows.contains { $0.cells.contains("1a 网上立案率") || $0.cells.contains("网上立案率") })
        let csv = s.file("合规.csv")
        #expect(try CLI.run(["query", "compliance", "--dir", dir, "--period", "2022-10", "--format", "csv", "--out", csv]).status == 0)
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: csv)))
        #expect(bytes.starts(with: [0xEF, 0xBB, 0xBF]) && String(decoding: bytes.dropFirst(3), as: UTF8.self).hasPrefix("指标,"))
        let refused = try CLI.run(["query", "compliance", "--dir", dir, "--period", "2022-10", "--format", "xlsx"])
        #expect(refused.status != 0 && refused.output.contains("give --out FILE.xlsx"), "\(refused.output)")
        expectOneLineError(try CLI.run(["query", "compliance", "--dir", dir, "--period", "2022-10", "--format", "csv", "--out", s.file("no/such/x.csv")]), contains: "cannot write")
    }
}
