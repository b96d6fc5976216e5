import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A TCP socket bound to a free loopback port (listening if asked), and the port.
func boundSocket(listening: Bool) -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
    if listening { _ = listen(fd, 1) }
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return (fd, Int(UInt16(bigEndian: addr.sin_port)))
}

/// A free loopback port for a demo's hub (another process could take it in between; unlikely here).
func freePort() -> Int {
    let (fd, port) = boundSocket(listening: false)
    close(fd)
    return port
}

/// The demo and the bulletins through the command line: a whole city on loopback over HTTPS,
/// its data queried afterwards, and every bad input refused without losing anything.
@Suite("demo and report commands", .serialized)
struct DemoAndReportTests {
    static let codes = ["1a", "1b", "2", "3", "4a", "4b", "5a", "5b", "6a", "6b", "7", "8", "9", "10", "11", "12", "13", "14", "15"]
    static let courts = ["焦作市中级人民法院", "解放区人民法院", "中站区人民法院", "马村区人民法院", "山阳区人民法院", "修武县人民法院",
                         "博爱县人民法院", "武陟县人民法院", "温县人民法院", "沁阳市人民法院", "孟州市人民法院"]

    @Test func aShortDemoRunsTheCityOverHTTPSAndLeavesDataTheCLICanQuery() throws {
        let s = try Scratch()
        defer { s.remove() }
        let dir = s.file("city")
        let r = try CLI.run(["demo", "--dir", dir, "--months", "3", "--scale", "0.02", "--seed", "7", "--port", "\(freePort())"])
        #expect(r.status == 0, "demo failed: \(r.output)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        // One line per month, the offline court's two months and its backlog.
        for month in ["2022-08", "2022-09", "2022-10"] { #expect(lines.contains { $0.hasPrefix("\(month)  recorded ") }, "no line for \(month)") }
        #expect(lines.filter { $0.contains("马村区人民法院 is offline") }.count == 2)
        #expect(lines.contains { $0.contains("马村区人民法院 is back online: pushed its backlog of") })
        // The matrix: a header with the nineteen indicator codes, then eleven courts and the city.
        let header = try #require(lines.firstIndex { $0.hasPrefix("法院 ") })
        #expect(lines[header].split(separator: " ").map(String.init).filter { Self.codes.contains($0) } == Self.codes, "\(lines[header])")
        let rows = lines[(header + 2)...].prefix(12)
        #expect(rows.map { String($0.split(separator: " ").first ?? "") } == Self.courts + ["全市法院"], "\(rows)")
        for row in rows {
            let marks = row.split(separator: " ").dropFirst().dropLast()
            #expect(marks.count == 19 && marks.allSatisfy { ["✓", "✗", "–", "·"].contains(String($0)) }, "\(row)")
        }
        #expect(r.stdout.contains("说明情况 accountability 2022-10"))
        // The bulletins, in both forms.
        for name in ["monthly-2022-10", "half-year-2022-H2", "annual-2022"] {
            for ext in ["md", "html"] {
                #expect(FileManager.default.fileExists(atPath: "\(dir)/bulletins/\(name).\(ext)"), "\(name).\(ext) not written")
            }
        }
        let md = try String(contentsOfFile: "\(dir)/bulletins/monthly-2022-10.md", encoding: .utf8)
        #expect(md.contains("月通报") && md.contains("**2022年10月**") && md.contains("### 15 电子卷宗随案生成合格率"))
        // The provincial notice raised 电子卷宗 to 90% from the third month in a three-month demo.
        #expect(md.contains("考核标准 ≥ 90.00%（依据豫高法〔2022〕演示2号调整）"))

        // The hub holds every node's whole log, including the offline court's backlog.
        let status = try CLI.run(["hub", "status", "--dir", "\(dir)/hub"])
        let statusJSON = try JSONSerialization.jsonObject(with: Data(try CLI.run(["hub", "status", "--dir", "\(dir)/hub", "--format", "json"]).stdout.utf8)) as? [String: Any]
        let courts = statusJSON?["courts"] as? [[String: Any]] ?? []
        #expect(courts.count == 11, "hub status lists every court of the plan")
        for (slug, code) in [("jiefang", "410802"), ("macun", "410804"), ("mengzhou", "410883")] {
            let seq = try headSeq("\(dir)/nodes/\(slug)")
            let row = courts.first { $0["court"] as? String == code }
            #expect(seq > 0 && row?["held_seq"] as? Int == seq && row?["reported_seq"] as? Int == seq && row?["lag_events"] as? Int == 0,
                    "\(slug) at \(seq): \(String(describing: row))")
            #expect(row?["last_push"] is String)
        }
        #expect(status.stdout.contains("alarms: 0") && status.stdout.contains("孟州市人民法院"))

        // The README's queries work on the demo's data.
        let compliance = try CLI.run(["query", "compliance", "--dir", "\(dir)/hub", "--period", "2022-10", "--court", "解放区人民法院"])
        #expect(compliance.status == 0 && compliance.stdout.contains("解放区人民法院") && compliance.stdout.contains("1a 网上立案率"), "\(compliance.output)")
        let trend = try CLI.run(["query", "trend", "--dir", "\(dir)/hub", "--indicator", "网上立案率", "--from", "2022-08", "--to", "2022-10", "--court", "410804"])
        #expect(trend.status == 0 && ["2022-08", "2022-09", "2022-10"].allSatisfy { trend.stdout.contains($0) }, "\(trend.output)")
        let accountability = try CLI.run(["query", "accountability", "--dir", "\(dir)/hub", "--period", "2022-10"])
        #expect(accountability.status == 0 && accountability.stdout.contains("to explain"), "\(accountability.output)")
        let out = s.file("2022-10.html")
        let report = try CLI.run(["report", "monthly", "2022-10", "--dir", "\(dir)/hub", "--format", "html", "--out", out])
        #expect(report.status == 0, "\(report.output)")
        #expect(try String(contentsOfFile: out, encoding: .utf8).contains("<svg"))
        // An auditor's replay from zero gives the projections the hub keeps.
        let replay = try CLI.run(["audit", "replay", "--dir", "\(dir)/hub"])
        #expect(replay.status == 0, "\(replay.output)")
        // The 2022-08 and 2022-09 bulletins were issued after the meetings that approved them, each
        // binding the checkpoint of its figures: an auditor reproduces both there, no clock involved.
        let issues = try CLI.run(["audit", "bulletins", "--dir", "\(dir)/hub"])
        let ok = issues.stdout.split(separator: "\n").filter { $0.hasPrefix("ok: ") && $0.contains("reproduced at checkpoint") && $0.hasSuffix("digest matches") }
        #expect(issues.status == 0 && ok.count == 2, "\(issues.output)")
    }

    @Test func theSameSeedGivesTheSameProjections() throws {
        let s = try Scratch()
        defer { s.remove() }
        var answers: [String] = []
        for run in ["a", "b"] {
            let dir = s.file(run)
            let r = try CLI.run(["demo", "--dir", dir, "--months", "2", "--scale", "0.01", "--seed", "11", "--port", "\(freePort())"])
            #expect(r.status == 0, "demo failed: \(r.output)")
            let c = try CLI.run(["query", "compliance", "--dir", "\(dir)/hub", "--period", "2022-09", "--format", "json"])
            let t = try CLI.run(["query", "trend", "--dir", "\(dir)/hub", "--indicator", "1a", "--from", "2022-08", "--to", "2022-09", "--format", "json"])
            // The figures come from the seed; when the hub first published them (late entries, retroactive
            // marks, protocol §16.12) comes from the real clock of each run, so those members are left out.
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(c.stdout.utf8)) as? [[String: Any]])
            let figures = rows.map { $0.filter { $0.key != "retroactive" && $0.key != "late_entries" } }
            let seeded = String(decoding: try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys]), as: UTF8.self)
            answers.append(seeded + t.stdout)
        }
        #expect(answers[0].count > 1000 && answers[0] == answers[1], "two runs with seed 11 differ")
    }

    @Test func aDirectoryWithOtherDataIsRefusedAndForceReplacesOnlyAPreviousDemo() throws {
        let s = try Scratch()
        defer { s.remove() }
        let dir = s.file("busy")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        _ = try s.write("busy/notes.txt", "keep me")
        let refused = try CLI.run(["demo", "--dir", dir, "--months", "1", "--scale", "0.01", "--port", "\(freePort())"])
        expectOneLineError(refused, contains: "is not empty (notes.txt)")
        #expect(refused.output.contains("--force"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["notes.txt"], "the refused demo wrote something")

        let first = try CLI.run(["demo", "--dir", dir, "--force", "--months", "1", "--scale", "0.01", "--port", "\(freePort())"])
        #expect(first.status == 0, "\(first.output)")
        let again = try CLI.run(["demo", "--dir", dir, "--force", "--months", "1", "--scale", "0.01", "--seed", "5", "--port", "\(freePort())"])
        #expect(again.status == 0, "\(again.output)")
        #expect(try String(contentsOfFile: "\(dir)/notes.txt", encoding: .utf8) == "keep me")
        #expect(try String(contentsOfFile: "\(dir)/demo.json", encoding: .utf8).contains("\"seed\":5"))
    }

    /// The README's way: the binary found on PATH (argv[0] is then a bare name), a bulletin
    /// written to an .html file without --format, and the auditor's recipe with the hub's registry.
    @Test func theDemoRunsFromPathAndTheAuditorsRecipeWorksAsWritten() throws {
        let s = try Scratch()
        defer { s.remove() }
        let bin = URL(fileURLWithPath: CLI.binary).deletingLastPathComponent().path
        let viaPath = Process()
        viaPath.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        viaPath.arguments = ["PATH=\(bin):/usr/bin:/bin", "courtsync", "demo", "--dir", "city", "--months", "1", "--scale", "0.01", "--port", "\(freePort())"]
        viaPath.currentDirectoryURL = URL(fileURLWithPath: s.path)
        let out = Pipe()
        viaPath.standardOutput = out
        viaPath.standardError = out
        try viaPath.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        viaPath.waitUntilExit()
        #expect(viaPath.terminationStatus == 0, "courtsync from PATH: \(text)")
        let hub = s.file("city/hub")

        // --out with .html and no --format writes HTML; a contradiction is refused.
        let html = try CLI.run(["report", "monthly", "2022-08", "--dir", hub, "--out", s.file("b.html")])
        #expect(html.status == 0, "\(html.output)")
        let written = try String(contentsOfFile: s.file("b.html"), encoding: .utf8)
        #expect(written.hasPrefix("<!DOCTYPE html>") || written.hasPrefix("<html"), "\(written.prefix(80))")
        expectOneLineError(try CLI.run(["report", "monthly", "2022-08", "--dir", hub, "--format", "md", "--out", s.file("c.html")]),
                           contains: "--format md does not match --out")

        // The auditor's recipe: exports of 410800 and a court, keys from the hub's registry.
        #expect(FileManager.default.fileExists(atPath: "\(hub)/nodes/410800.json"), "the hub's registry lacks 410800")
        #expect(try CLI.run(["node", "export", "--dir", hub, "--out", s.file("410800.jsonl")]).status == 0)
        #expect(try CLI.run(["node", "export", "--dir", s.file("city/nodes/jiefang"), "--out", s.file("410802.jsonl")]).status == 0)
        let replay = try CLI.run(["audit", "replay", "--registry", "\(hub)/nodes", s.file("410800.jsonl"), s.file("410802.jsonl")])
        #expect(replay.status == 0 && replay.stdout.contains("projection digest"), "\(replay.output)")
        let missing = try CLI.run(["audit", "replay", "--registry", s.path, s.file("410800.jsonl")])
        expectOneLineError(missing, contains: "no enrolled public key for court 410800")
        #expect(!missing.output.contains("--public-key"), "audit replay has no --public-key option: \(missing.output)")

        // audit verify --dir HUB --court C verifies C's log at the hub, never silently another.
        let court = try CLI.run(["audit", "verify", "--dir", hub, "--court", "410802"])
        #expect(court.status == 0 && court.stdout.contains("events of node 410802 verified"), "\(court.output)")
        expectOneLineError(try CLI.run(["audit", "verify", "--dir", s.file("city/nodes/jiefang"), "--court", "410803"]),
                           contains: "holds no enrolled log of court 410803")
    }

    @Test func aPortInUseIsNamedWithHowToChooseAnother() throws {
        let s = try Scratch()
        defer { s.remove() }
        // Hold a listening socket on a port.
        let (fd, port) = boundSocket(listening: true)
        defer { close(fd) }
        let r = try CLI.run(["demo", "--dir", s.file("city"), "--months", "1", "--port", "\(port)"])
        expectOneLineError(r, contains: "port \(port) on 127.0.0.1 is already in use")
        #expect(r.output.contains("choose another with --port"))
        #expect(!FileManager.default.fileExists(atPath: s.file("city")), "nothing is made before the port is known to be free")
    }

    @Test func stoppingTheDemoMidRunStopsItsHubAndLeavesLogsThatVerify() throws {
        let s = try Scratch()
        defer { s.remove() }
        let dir = s.file("city"), port = freePort()
        let demo = try CLI.start(["demo", "--dir", dir, "--months", "12", "--scale", "0.05", "--port", "\(port)"])
        // Wait until the courts are syncing (a node's receipts file appears), then stop the demo.
        var waited = 0
        while !FileManager.default.fileExists(atPath: "\(dir)/nodes/mengzhou/receipts.jsonl") && waited < 600 && demo.isRunning {
            usleep(100_000); waited += 1
        }
        #expect(demo.isRunning, "the demo ended before it could be interrupted")
        kill(demo.processIdentifier, SIGTERM)
        demo.waitUntilExit()
        #expect(demo.terminationStatus == 130, "exit \(demo.terminationStatus)")
        // The hub went with it: no `hub serve` of this directory runs, and its port can be bound
        // again (SO_REUSEADDR, as a server does: closed connections may linger in TIME_WAIT).
        let pgrep = Process()
        pgrep.executableURL = URL(fileURLWithPath: "/usr/bin/pgrep")
        pgrep.arguments = ["-f", "hub serve --dir \(dir)/hub"]
        pgrep.standardOutput = FileHandle.nullDevice
        try pgrep.run()
        pgrep.waitUntilExit()
        #expect(pgrep.terminationStatus == 1, "a hub of the stopped demo still runs")
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        #expect(bound == 0, "port \(port) is still held: the hub outlived the demo")
        // What was recorded so far is whole and verifies, at the nodes and at the hub.
        for node in ["nodes/jiefang", "nodes/mengzhou", "hub"] {
            let r = try CLI.run(["audit", "verify", "--dir", "\(dir)/\(node)"])
            #expect(r.status == 0, "\(node): \(r.output)")
        }
    }

    @Test(arguments: [
        (["--months", "0"], "--months must be 1 to 36"),
        (["--scale", "0"], "--scale must be above 0"),
        (["--scale", "3"], "--scale must be above 0 and at most 2"),
    ])
    func demoOptionsOutOfRangeAreRefused(_ args: [String], _ phrase: String) throws {
        let s = try Scratch()
        defer { s.remove() }
        let r = try CLI.run(["demo", "--dir", s.file("city")] + args)
        #expect(r.status != 0 && r.output.contains(phrase), "\(r.output)")
        #expect(!FileManager.default.fileExists(atPath: s.file("city")))
    }

    /// A node of 410802 with October 2022's filings: 3 online of 4.
    func smallNode(_ s: Scratch) throws -> String {
        let dir = s.file("jiefang")
        #expect(try CLI.run(["node", "init", "--dir", dir, "--court", "410802"]).status == 0)
        var lines: [String] = []
        for i in 1...4 {
            lines.append(#"{"type":"case.filed","at":"2022-10-1\#(i)T09:00:00+08:00","data":{"case_no":"(2022)豫0802民初\#(i)号","channel":"\#(i == 4 ? "offline" : "online")"}}"#)
        }
        #expect(try CLI.run(["node", "import", "--dir", dir, try s.write("oct.jsonl", lines.joined(separator: "\n") + "\n")]).status == 0)
        return dir
    }

    @Test func aBulletinOfANodesDataAndOneAsOfAnEarlierTimeReproducesIt() throws {
        let s = try Scratch()
        defer { s.remove() }
        let dir = try smallNode(s)
        let r = try CLI.run(["report", "monthly", "2022-10", "--dir", dir])
        // 3 / 4 = 75.00% at 解放区, the only court: the city's value too.
        #expect(r.status == 0 && r.stdout.contains("全市 75.00%（3/4）"), "\(r.output)")
        let asOf = try #require(r.stdout.components(separatedBy: "--as-of ").last?.prefix(25)).description
        sleep(1)
        let more = #"{"type":"case.filed","at":"2022-10-20T09:00:00+08:00","data":{"case_no":"(2022)豫0802民初9号","channel":"online"}}"# + "\n"
        #expect(try CLI.run(["node", "import", "--dir", dir, try s.write("late.jsonl", more)]).status == 0)
        let now = try CLI.run(["report", "monthly", "2022-10", "--dir", dir])
        // 4 / 5 = 80.00% with the late filing
        #expect(now.stdout.contains("全市 80.00%（4/5）"), "\(now.output)")
        let then = try CLI.run(["report", "monthly", "2022-10", "--dir", dir, "--as-of", asOf, "--format", "html", "--out", s.file("then.html")])
        #expect(then.status == 0, "\(then.output)")
        #expect(try String(contentsOfFile: s.file("then.html"), encoding: .utf8).contains("全市 75.00%（3/4）"))
        let firstMD = try CLI.run(["report", "monthly", "2022-10", "--dir", dir, "--as-of", asOf])
        #expect(firstMD.stdout == r.stdout, "the replayed bulletin differs from the one first written")
    }

    @Test(arguments: [
        (["monthly", "2024-03"], "no usage events are recorded for 2024-03"),
        (["monthly", "2023-13"], "give a month such as 2023-07 (periods are written as a month 2022-09, a half-year 2023-H1 or 2023-H2, or a year 2022)"),
        (["monthly", "July"], "period 'July' is not understood"),
        (["half-year", "2022-10"], "a half-year bulletin is for a half-year such as 2023-H1, not '2022-10'"),
        (["annual", "2022-H2"], "an annual bulletin is for a year such as 2022, not '2022-H2'"),
    ])
    func aBadOrEmptyPeriodWritesNoBulletin(_ args: [String], _ phrase: String) throws {
        let s = try Scratch()
        defer { s.remove() }
        let dir = try smallNode(s)
        let out = s.file("bulletin.md")
        let r = try CLI.run(["report"] + args + ["--dir", dir, "--out", out])
        expectOneLineError(r, contains: phrase)
        #expect(!FileManager.default.fileExists(atPath: out), "a bulletin was written for \(args)")
        if args == ["monthly", "2024-03"] { #expect(r.output.contains("its data covers 2022-10…2022-10") && r.output.contains("no bulletin written")) }
    }

    @Test func reportRefusesAnUnknownFormatAMissingDirectoryAndAnUnwritableFile() throws {
        let s = try Scratch()
        defer { s.remove() }
        let dir = try smallNode(s)
        let format = try CLI.run(["report", "monthly", "2022-10", "--dir", dir, "--format", "rtf"])
        #expect(format.status != 0 && format.output.contains("--format must be md, html, docx or pdf"), "\(format.output)")
        let binary = try CLI.run(["report", "monthly", "2022-10", "--dir", dir, "--format", "docx"])
        #expect(binary.status != 0 && binary.output.contains("give --out FILE.docx"), "\(binary.output)")
        let kind = try CLI.run(["report", "weekly", "2022-10", "--dir", dir])
        #expect(kind.status != 0 && kind.output.contains("Please provide one of 'monthly', 'half-year' or 'annual'"), "\(kind.output)")
        expectOneLineError(try CLI.run(["report", "monthly", "2022-10", "--dir", s.file("nowhere")]), contains: "is not a node or hub directory")
        expectOneLineError(try CLI.run(["report", "monthly", "2022-10", "--dir", dir, "--out", s.file("no/such/dir/b.md")]), contains: "cannot write")
    }
}
