import Foundation
import OfficeFiles
import Testing

/// Data entry from the files an office really has: GBK CSV from Chinese Excel, .xlsx, times
/// without offsets, Chinese labels; every bad row reported in one pass, nothing half-written.
@Suite("node import and standings import from office files")
struct OfficeImportTests {
    func makeNode(_ s: Scratch, court: String = "410811") throws -> String {
        let dir = s.file("node-\(court)")
        let r = try CLI.run(["node", "init", "--dir", dir, "--court", court])
        #expect(r.status == 0, "\(r.output)")
        return dir
    }

    func exported(_ dir: String, _ s: Scratch) throws -> String {
        let out = s.file("export-\(UUID().uuidString).jsonl")
        let r = try CLI.run(["node", "export", "--dir", dir, "--out", out])
        #expect(r.status == 0, "\(r.output)")
        return try String(contentsOfFile: out, encoding: .utf8)
    }

    static let csv = """
        type,at,dept,case_no,channel
        case.filed,2022-08-01 09:30,立案庭,(2022)豫0811民初1号,网上
        case.filed,2022/8/2 10:05:09,立案庭,(2022)豫0811民初2号,线下
        case.filed,2022-08-03,,(2022)豫0811民初3号,online
        case.filed,2022-08-04T08:00:00+08:00,,(2022)豫0811民初4号,offline

        """

    @Test func aGBKFileFromChineseExcelIsReadWithLabelsAndLocalTimes() throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = try makeNode(s)
        let gbk = try #require(TextEncoding.gbk.encode(Self.csv))
        let file = s.file("立案.csv")
        try Data(gbk).write(to: URL(fileURLWithPath: file))
        let r = try CLI.run(["node", "import", "--dir", dir, file])
        #expect(r.status == 0 && r.stdout.contains("imported 4 events"), "\(r.output)")
        let log = try exported(dir, s)
        // Signed data holds the canonical values and full RFC 3339 times in +08:00.
        #expect(log.contains(#""channel":"online""#) && log.contains(#""channel":"offline""#) && !log.contains("网上"))
        for at in ["2022-08-01T09:30:00+08:00", "2022-08-02T10:05:09+08:00", "2022-08-03T00:00:00+08:00", "2022-08-04T08:00:00+08:00"] {
            #expect(log.contains(#""at":"\#(at)""#), "no event at \(at)")
        }
        // Forcing the wrong encoding is refused with what to do.
        let s2 = try makeNode(s, court: "410802")
        expectOneLineError(try CLI.run(["node", "import", "--dir", s2, "--encoding", "utf-8", file]), contains: "is not valid utf-8 text: give the encoding it was saved in")
        #expect(try headSeq(s2) == 0)
        let forced = try CLI.run(["node", "import", "--dir", s2, "--encoding", "gbk", file])
        #expect(forced.status == 0 && forced.stdout.contains("imported 4 events"), "\(forced.output)")
    }

    @Test func anXlsxWorkbookIsImportedDirectlyIncludingExcelDateCells() throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = try makeNode(s)
        // 44774.395833333336 is 2022-08-01 09:30 as an Excel date cell holds it.
        let rows = [["type", "at", "case_no", "mode", "streamed"],
                    ["hearing.held", "44774.395833333336", "(2022)豫0811民初1号", "线上", "是"],
                    ["hearing.held", "2022-08-02 14:00:00", "(2022)豫0811民初2号", "线下", "否"]]
        let file = s.file("庭审.xlsx")
        try Data(Spreadsheet.xlsx(sheetName: "庭审", rows: rows)).write(to: URL(fileURLWithPath: file))
        let r = try CLI.run(["node", "import", "--dir", dir, file])
        #expect(r.status == 0 && r.stdout.contains("imported 2 events"), "\(r.output)")
        let log = try exported(dir, s)
        #expect(log.contains(#""at":"2022-08-01T09:30:00+08:00""#) && log.contains(#""mode":"online""#) && log.contains(#""streamed":true"#) && log.contains(#""streamed":false"#), "\(log)")
    }

    /// A workbook is read a row at a time, in one transaction like a CSV: the same records as
    /// CSV end at the same head hash (the hash covers the court, the records and the chain,
    /// not the node's key).
    @Test func aWorkbookImportsToTheSameHeadAsTheSameRecordsAsCSV() throws {
        let s = try Scratch(); defer { s.remove() }
        let rows = [["type", "at", "dept", "case_no", "channel"]]
            + (0..<3000).map { ["case.filed", "2022-08-\(String(format: "%02d", 1 + $0 / 200)) 09:\(String(format: "%02d", $0 % 60))", $0 % 2 == 0 ? "立案庭" : "", "(2022)豫0811民初\($0)号", $0 % 3 == 0 ? "网上" : "线下"] }
        let xlsx = s.file("立案.xlsx")
        try Data(Spreadsheet.xlsx(sheetName: "立案", rows: rows)).write(to: URL(fileURLWithPath: xlsx))
        let csv = try s.write("立案.csv", rows.map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n")
        let fromSheet = try CLI.run(["node", "import", "--dir", try makeNode(s), "--batch", "700", xlsx])
        let csvDir = s.file("node-410811-csv")
        #expect(try CLI.run(["node", "init", "--dir", csvDir, "--court", "410811"]).status == 0)
        let fromCSV = try CLI.run(["node", "import", "--dir", csvDir, csv])
        #expect(fromSheet.status == 0 && fromSheet.stdout.contains("imported 3000 events (0 already recorded)"), "\(fromSheet.output)")
        let head = { (r: CLI.Result) in r.stdout.split(separator: " ").drop { $0 != "hash" }.dropFirst().first.map(String.init) }
        #expect(head(fromSheet) != nil && head(fromSheet) == head(fromCSV), "\(fromSheet.stdout) vs \(fromCSV.stdout)")
    }

    /// A workbook as a spreadsheet program writes it (shared strings, real date and percent
    /// cells, a second sheet), made with Python's openpyxl when it is installed (.ci/run does).
    @Test func aWorkbookWrittenByASpreadsheetProgramIsRead() throws {
        let s = try Scratch(); defer { s.remove() }
        let script = """
            import sys, datetime
            try:
                import openpyxl
            except ImportError:
                sys.exit(3)
            wb = openpyxl.Workbook(); ws = wb.active; ws.title = "立案"
            ws.append(["type", "at", "case_no", "channel", "dept"])
            ws.append(["case.filed", datetime.datetime(2022, 8, 1, 9, 30), "(2022)豫0811民初1号", "网上", "立案庭"])
            ws.append(["case.filed", datetime.date(2022, 8, 2), "(2022)豫0811民初2号", "线下", None])
            ws.append([])
            ws.append(["case.filed", "2022-08-03 10:00", "(2022)豫0811民初3号", "online", "立案庭"])
            wb.create_sheet("说明").append(["这一页不导入"])
            wb.save(sys.argv[1])
            wb = openpyxl.Workbook(); ws = wb.active
            ws.append(["指标", "期间", "全省排名", "全省平均", "优秀标准"])
            ws.append(["网上立案率", "2023-07", 4, 0.9855, 0.995])
            ws["D2"].number_format = "0.00%"; ws["E2"].number_format = "0.00%"
            wb.save(sys.argv[2])
            """
        let p = Process()
        // The python3 on the PATH, the one .ci/run installs openpyxl for.
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, s.file("usage.xlsx"), s.file("standings.xlsx")]
        try p.run(); p.waitUntilExit()
        guard p.terminationStatus != 3 else { return }  // openpyxl is not installed here
        #expect(p.terminationStatus == 0)
        let dir = try makeNode(s)
        let r = try CLI.run(["node", "import", "--dir", dir, s.file("usage.xlsx")])
        #expect(r.status == 0 && r.stdout.contains("imported 3 events"), "\(r.output)")
        let log = try exported(dir, s)
        for at in ["2022-08-01T09:30:00+08:00", "2022-08-02T00:00:00+08:00", "2022-08-03T10:00:00+08:00"] { #expect(log.contains(#""at":"\#(at)""#), "no event at \(at): \(log)") }
        let hub = try makeNode(s, court: "410800")
        let st = try CLI.run(["standings", "import", "--dir", hub, s.file("standings.xlsx")])
        #expect(st.status == 0 && st.stdout.contains("全省第4名, 全省平均 98.55%, 优秀标准 99.50%"), "\(st.output)")
    }

    @Test func everyBadRowIsReportedInOnePassWithTheValueAndWhatIsExpected() throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = try makeNode(s)
        let file = try s.write("bad.csv", """
            type,at,case_no,channel
            case.filed,2022-08-01 09:30,(2022)豫0811民初1号,网上
            case.filed,2022-08-01 09:30,(2022)豫0811民初2号,网下
            case.filed,2022-13-01,(2022)豫0811民初3号,online
            case.filed,2022-08-01 25:00,(2022)豫0811民初4号,online
            case.filed,2099-01-01 08:00,(2022)豫0811民初5号,online

            """)
        let r = try CLI.run(["node", "import", "--dir", dir, file])
        #expect(r.status != 0)
        #expect(r.output.contains("4 records are wrong"), "\(r.output)")
        #expect(r.output.contains("line 3: channel '网下' must be online or offline (or 在线, 线上, 网上, 现场, 窗口, 线下)"), "\(r.output)")
        #expect(r.output.contains("line 4: date '2022-13-01' is not a real date"), "\(r.output)")
        #expect(r.output.contains("line 5: time '2022-08-01 25:00' is not a real time of day"), "\(r.output)")
        #expect(r.output.contains("line 6: at '2099-01-01 08:00' is in the future"), "\(r.output)")
        #expect(!r.output.contains("line 2:"))
        #expect(try headSeq(dir) == 0, "a bad file wrote something")
    }

    @Test func aFileFullOfMistakesStopsAtTwentyReports() throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = try makeNode(s)
        let rows = (1...30).map { "case.filed,2022-08-01 09:30,x\($0),传真" }
        let r = try CLI.run(["node", "import", "--dir", dir, try s.write("many.csv", "type,at,case_no,channel\n" + rows.joined(separator: "\n") + "\n")])
        #expect(r.status != 0 && r.output.contains("at least 20 records are wrong (the first 20 shown)"), "\(r.output)")
        #expect(r.output.contains("line 21: channel '传真'") && !r.output.contains("line 22:"), "\(r.output)")
        #expect(try headSeq(dir) == 0)
    }

    @Test func aTimeWithoutOffsetIsTakenAsBeijingTimeAndTheHintIsAnAcceptedForm() throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = try makeNode(s)
        let r = try CLI.run(["node", "import", "--dir", dir, try s.write("t.csv", "type,at,case_no,channel\ncase.filed,Aug 1 2022,x,online\n")])
        expectOneLineError(r, contains: "line 2: time 'Aug 1 2022' is not understood: write it as 2022-08-01T09:30:00+08:00, 2022-08-01 09:30[:00]")
        #expect(r.output.contains("北京时间, +08:00"))
    }

    @Test(arguments: [
        ("events.txt", "type,at,case_no,channel\ncase.filed,2022-08-01 09:30,x1,online\n"),
        ("events.txt", #"{"type":"case.filed","at":"2022-08-01 09:30","data":{"case_no":"x1","channel":"online"}}"# + "\n"),
        ("events", "\u{FEFF}type,at,case_no,channel\r\ncase.filed,2022-08-01T09:30:00+08:00,x1,online\r\n"),
    ])
    func aFileWithoutAKnownExtensionIsRecognizedFromItsContent(name: String, content: String) throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = try makeNode(s)
        let r = try CLI.run(["node", "import", "--dir", dir, try s.write(name, content)])
        #expect(r.status == 0 && r.stdout.contains("imported 1 events"), "\(r.output)")
    }

    @Test func aDamagedWorkbookOrAnOldXlsIsRefusedInOneLine() throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = try makeNode(s)
        let broken = s.file("broken.xlsx")
        try Data([0x50, 0x4B, 0x03, 0x04] + Array(repeating: 0, count: 40)).write(to: URL(fileURLWithPath: broken))
        expectOneLineError(try CLI.run(["node", "import", "--dir", dir, broken]), contains: "it is not an .xlsx workbook")
        let old = s.file("old.xls")
        try Data([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] + Array(repeating: 0, count: 100)).write(to: URL(fileURLWithPath: old))
        expectOneLineError(try CLI.run(["node", "import", "--dir", dir, old]), contains: "save it as .xlsx")
        let renamed = s.file("old.txt")
        try FileManager.default.copyItem(atPath: old, toPath: renamed)
        expectOneLineError(try CLI.run(["node", "import", "--dir", dir, renamed]), contains: "save it as .xlsx")
        let encoding = try CLI.run(["node", "import", "--dir", dir, "--encoding", "latin1", old])
        #expect(encoding.status != 0 && encoding.output.contains("--encoding must be utf-8, gb18030 or gbk, not 'latin1'"), "\(encoding.output)")
        #expect(try headSeq(dir) == 0)
    }

    @Test func standingsArriveAsASpreadsheetAndAreRecordedOnceAtTheHubsNode() throws {
        let s = try Scratch(); defer { s.remove() }
        let hub = try makeNode(s, court: "410800")
        let before = try headSeq(hub)
        // As the province sends it: a title row above the header.
        let rows = [["2023年7月全省法院信息化应用指标排名"], [],
                    ["指标", "期间", "全省排名", "全省平均", "优秀标准", "文件"],
                    ["网上立案率", "2023年7月", "4", "0.9855", "99.5%", "豫高法〔2023〕88号"],
                    ["5b", "2023-07", "第12名", "0.25", "", ""]]
        let file = s.file("全省排名.xlsx")
        try Data(Spreadsheet.xlsx(sheetName: "排名", rows: rows)).write(to: URL(fileURLWithPath: file))
        let r = try CLI.run(["standings", "import", "--dir", hub, file])
        #expect(r.status == 0 && r.stdout.contains("recorded 2 standings (0 already recorded)"), "\(r.output)")
        #expect(r.stdout.contains("2023-07 网上立案率: 全省第4名, 全省平均 98.55%, 优秀标准 99.50%"), "\(r.output)")
        #expect(try headSeq(hub) == before + 2)
        let log = try exported(hub, s)
        #expect(log.contains(#""province_average_per_10k":9855"#) && log.contains(#""province_average_per_10k":2500"#) && log.contains(#""type":"standing.recorded""#))
        // The same file again records nothing new.
        let again = try CLI.run(["standings", "import", "--dir", hub, file])
        #expect(again.status == 0 && again.stdout.contains("recorded 0 standings (2 already recorded)"), "\(again.output)")
        // Bad rows: all reported, nothing recorded.
        let bad = try s.write("bad.csv", "指标,期间,全省排名,全省平均\n网上立案,2023-07,4,98%\n网上立案率,2023-7月x,4,98%\n网上立案率,2023-07,0,98%\n网上立案率,2023-07,3,abc\n")
        let refused = try CLI.run(["standings", "import", "--dir", hub, bad])
        #expect(refused.status != 0 && refused.output.contains("4 rows are wrong"), "\(refused.output)")
        for phrase in ["line 2: unknown indicator", "line 3: 期间 '2023-7月x' is not a period", "line 4: 全省排名 '0' must be a whole number", "line 5: 全省平均 'abc' is not a number"] {
            #expect(refused.output.contains(phrase), "missing \(phrase) in \(refused.output)")
        }
        #expect(try headSeq(hub) == before + 2)
        // A grassroots court's node does not record the province's standings.
        let court = try makeNode(s, court: "410802")
        expectOneLineError(try CLI.run(["standings", "import", "--dir", court, file]), contains: "standings are recorded at the hub (node 410800)")
        expectOneLineError(try CLI.run(["standings", "import", "--dir", hub, try s.write("nohead.csv", "指标,期间\n网上立案率,2023-07\n")]), contains: "has no 全省排名 column")
    }
}
