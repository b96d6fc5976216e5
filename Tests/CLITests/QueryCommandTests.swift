import Foundation
import Testing

/// The plan and projections through the command line: a grassroots court's log received by
/// the intermediate court, queried in every format, replayed, and every bad input refused.
@Suite("query, receive and replay commands")
struct QueryCommandTests {
    struct City {
        let s: Scratch
        let ic: String
        let jiefang: String
        func run(_ args: [String]) throws -> CLI.Result { try CLI.run(args) }
    }

    func jsonl(_ records: [String]) -> String { records.joined(separator: "\n") + "\n" }

    /// 410800 with its genesis, and 410802 with September's filings and services.
    func makeCity(_ s: Scratch) throws -> City {
        let ic = s.file("ic"), jiefang = s.file("jiefang")
        #expect(try CLI.run(["node", "init", "--dir", ic, "--court", "410800"]).status == 0)
        #expect(try CLI.run(["node", "init", "--dir", jiefang, "--court", "410802"]).status == 0)
        var records: [String] = []
        // 410802, September 2022: 5 filings, 4 online -> 网上立案率 4/5 = 80.00% (threshold 99%: missed).
        for i in 1...5 {
            records.append(#"{"type":"case.filed","at":"2022-09-0\#(i)T09:00:00+08:00","data":{"case_no":"(2022)豫0802民初\#(i)号","channel":"\#(i == 5 ? "offline" : "online")"}}"#)
        }
        // Service acts: case 1 electronic + postal, case 2 postal -> 电子送达率 1/3 acts, 覆盖度 1/2 cases.
        records.append(#"{"type":"service.delivered","at":"2022-09-10T10:00:00+08:00","data":{"case_no":"(2022)豫0802民初1号","method":"electronic"}}"#)
        records.append(#"{"type":"service.delivered","at":"2022-09-11T10:00:00+08:00","data":{"case_no":"(2022)豫0802民初1号","method":"postal"}}"#)
        records.append(#"{"type":"service.delivered","at":"2022-09-12T10:00:00+08:00","data":{"case_no":"(2022)豫0802民初2号","method":"postal"}}"#)
        #expect(try CLI.run(["node", "import", "--dir", jiefang, try s.write("sep.jsonl", jsonl(records))]).status == 0)
        try send(jiefang, to: ic, s)
        return City(s: s, ic: ic, jiefang: jiefang)
    }

    func send(_ from: String, to: String, _ s: Scratch) throws {
        let out = s.file("export-\(UUID().uuidString.prefix(6)).jsonl")
        #expect(try CLI.run(["node", "export", "--dir", from, "--out", out]).status == 0)
        let r = try CLI.run(["node", "receive", "--dir", to, "--public-key", try publicKey(from), out])
        #expect(r.status == 0, "receive failed: \(r.output)")
    }

    func json(_ r: CLI.Result) throws -> [[String: Any]] {
        try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]], "not a JSON array: \(r.output)")
    }

    @Test func complianceOfAReceivedCourtInJSONCSVAndTable() throws {
        let s = try Scratch(); defer { s.remove() }
        let city = try makeCity(s)
        let r = try CLI.run(["query", "compliance", "--dir", city.ic, "--period", "2022-09", "--court", "解放区", "--format", "json"])
        #expect(r.status == 0, "\(r.output)")
        let rows = try json(r)
        let filing = try #require(rows.first { $0["indicator"] as? String == "online-filing" })
        #expect(filing["numerator"] as? Int == 4 && filing["denominator"] as? Int == 5)     // 4 online of 5
        #expect(filing["value"] as? String == "80.00%" && filing["status"] as? String == "missed")  // 8000 < 9900
        let acts = try #require(rows.first { $0["indicator"] as? String == "e-service" })
        #expect(acts["numerator"] as? Int == 1 && acts["denominator"] as? Int == 3)       // 1 electronic act of 3
        let cases = try #require(rows.first { $0["indicator"] as? String == "e-service-coverage" })
        #expect(cases["numerator"] as? Int == 1 && cases["denominator"] as? Int == 2)     // case 1 of cases 1, 2
        let petitions = try #require(rows.first { $0["indicator"] as? String == "online-petition" })
        #expect(petitions["status"] as? String == "no data")
        #expect(rows.count == 19 + 0, "one row per indicator for a grassroots court")

        let csv = try CLI.run(["query", "compliance", "--dir", city.ic, "--period", "2022-09", "--court", "410802", "--format", "csv"])
        let lines = csv.stdout.split(separator: "\n")
        #expect(lines.first == "指标,单位,分子,分母,值,标准,状态")
        #expect(lines.contains("1a 网上立案率,解放区人民法院,4,5,80.00%,≥ 99.00%,未达标 missed"))

        let table = try CLI.run(["query", "compliance", "--dir", city.ic, "--period", "2022-09", "--court", "jiefang"])
        #expect(table.stdout.contains("4a 电子送达率") && table.stdout.contains("33.33%"))
    }

    @Test func accountabilityShowsWhoExplainedAndAsOfDoesNotSeeLaterEvents() throws {
        let s = try Scratch(); defer { s.remove() }
        let city = try makeCity(s)
        let before = try CLI.run(["query", "accountability", "--dir", city.ic, "--period", "2022-09", "--format", "json"])
        let entries = try json(before)
        let filing = try #require(entries.first { $0["unit"] as? String == "410802" && $0["indicator"] as? String == "online-filing" })
        #expect(filing["explained"] as? Bool == false)
        let cutoff = ISO8601DateFormatter().string(from: Date())
        sleep(2)   // recorded times have one-second resolution
        let explain = try CLI.run(["node", "append", "--dir", city.jiefang, "--type", "explanation.filed", "--at", "2022-10-08T09:00:00+08:00",
                                   "unit=410802", "indicator=online-filing", "period=2022-09", "text=9月线下立案1件：当事人年迈，到窗口现场立案。"])
        #expect(explain.status == 0, "\(explain.output)")
        // A late September filing, made offline: 4 of 6 now.
        #expect(try CLI.run(["node", "append", "--dir", city.jiefang, "--type", "case.filed", "--at", "2022-09-30T16:00:00+08:00",
                             "case_no=(2022)豫0802民初6号", "channel=offline"]).status == 0)
        try send(city.jiefang, to: city.ic, s)
        let after = try json(try CLI.run(["query", "accountability", "--dir", city.ic, "--period", "2022-09", "--format", "json"]))
        let explained = try #require(after.first { $0["unit"] as? String == "410802" && $0["indicator"] as? String == "online-filing" })
        #expect(explained["explained"] as? Bool == true)
        #expect(explained["detail"] as? String == "66.67% < ≥ 99.00%")   // 4 of 6
        let asOf = try json(try CLI.run(["query", "compliance", "--dir", city.ic, "--period", "2022-09", "--court", "410802", "--indicator", "1a",
                                         "--as-of", cutoff, "--format", "json"]))
        #expect(asOf.first?["denominator"] as? Int == 5, "as of before the late event: still 4 of 5")
        let old = try json(try CLI.run(["query", "accountability", "--dir", city.ic, "--period", "2022-09", "--as-of", cutoff, "--format", "json"]))
        #expect(old.first { $0["unit"] as? String == "410802" && $0["indicator"] as? String == "online-filing" }?["explained"] as? Bool == false)
    }

    @Test func replayFromZeroMatchesTheStoredProjectionsAndExportsReplayAlone() throws {
        let s = try Scratch(); defer { s.remove() }
        let city = try makeCity(s)
        #expect(try CLI.run(["query", "compliance", "--dir", city.ic, "--period", "2022-09"]).status == 0)
        let replay = try CLI.run(["audit", "replay", "--dir", city.ic])
        #expect(replay.status == 0 && replay.stdout.contains("(identical)"), "\(replay.output)")
        let digest = try #require(replay.stdout.split(separator: "\n").first { $0.hasPrefix("projection digest") }?.split(separator: " ").last)
        // An auditor with only the export files and the enrolled keys gets the same digest.
        let registry = s.file("registry")
        try FileManager.default.createDirectory(atPath: registry, withIntermediateDirectories: true)
        for (dir, code) in [(city.ic, "410800"), (city.jiefang, "410802")] {
            _ = try s.write("registry/\(code).json", #"{"court":"\#(code)","public_key":"\#(try publicKey(dir))"}"#)
            #expect(try CLI.run(["node", "export", "--dir", dir, "--out", s.file("\(code).jsonl")]).status == 0)
        }
        let files = try CLI.run(["audit", "replay", "--registry", registry, s.file("410800.jsonl"), s.file("410802.jsonl")])
        #expect(files.status == 0, "\(files.output)")
        #expect(files.stdout.contains("projection digest  \(digest)"))
        // Each export streams through verification into the replay: a changed line anywhere
        // stops it with the file and the line, and no digest is printed.
        let text = try String(contentsOfFile: s.file("410802.jsonl"), encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Line 3's signature with its first hex digit changed.
        let sig = try #require(lines[2].range(of: #""sig":""#)?.upperBound)
        lines[2].replaceSubrange(sig...sig, with: lines[2][sig] == "0" ? "1" : "0")
        _ = try s.write("410802-changed.jsonl", lines.joined(separator: "\n"))
        let changed = try CLI.run(["audit", "replay", "--registry", registry, s.file("410802-changed.jsonl"), s.file("410800.jsonl")])
        expectOneLineError(changed, contains: "410802-changed.jsonl does not verify: line 3")
        #expect(!changed.stdout.contains("projection digest"))
    }

    @Test func theIntermediateCourtsLogStartsWithTheSignedPlanAndAssignmentsFollowIt() throws {
        let s = try Scratch(); defer { s.remove() }
        let ic = s.file("ic")
        #expect(try CLI.run(["node", "init", "--dir", ic, "--court", "410800"]).status == 0)
        let export = try CLI.run(["node", "export", "--dir", ic])
        let genesis = try #require(JSONSerialization.jsonObject(with: Data((export.stdout.split(separator: "\n").first ?? "").utf8)) as? [String: Any])
        #expect(genesis["type"] as? String == "plan.adopted" && genesis["seq"] as? Int == 1)
        let a = try json(try CLI.run(["query", "assignments", "--dir", ic, "--indicator", "律师服务平台应用率", "--on", "2022-09-01", "--format", "json"]))
        #expect(a.first?["lead"] as? [String] == ["case-filing", "trial-management"])
        let stages = try #require(a.first?["stages"] as? [[String: Any]])
        #expect(stages.map { $0["name"] as? String } == ["立案阶段", "审判阶段"])
        let change = try CLI.run(["node", "append", "--dir", ic, "--type", "assignment.set", "--at", "2022-12-20T09:00:00+08:00",
                                  "indicator=online-preservation", "lead=trial-management", "responsible=trial-management;grassroots-courts",
                                  "effective=2023-01-01", "document=焦中法〔2022〕99号"])
        #expect(change.status == 0, "\(change.output)")
        let before = try json(try CLI.run(["query", "assignments", "--dir", ic, "--indicator", "9", "--on", "2022-12-31", "--format", "json"]))
        let after = try json(try CLI.run(["query", "assignments", "--dir", ic, "--indicator", "9", "--on", "2023-01-01", "--format", "json"]))
        #expect(before.first?["lead"] as? [String] == ["case-filing"])
        #expect(after.first?["lead"] as? [String] == ["trial-management"])
        #expect((after.first?["responsible_units"] as? [String])?.count == 11)   // 审管办 + ten grassroots courts
        let dept = try CLI.run(["query", "assignments", "--dir", ic, "--dept", "技术处"])
        #expect(dept.stdout.contains("OA活跃度") && dept.stdout.contains("11. 负责两级法院拟建应用系统可行性研究"))
    }

    @Test func trendRanksTheGrassrootsCourts() throws {
        let s = try Scratch(); defer { s.remove() }
        let city = try makeCity(s)
        let r = try json(try CLI.run(["query", "trend", "--dir", city.ic, "--indicator", "online-filing", "--from", "2022-08", "--to", "2022-10",
                                      "--court", "410802", "--format", "json"]))
        #expect(r.map { $0["period"] as? String } == ["2022-08", "2022-09", "2022-10"])
        #expect(r[1]["rank"] as? Int == 1 && r[1]["ranked"] as? Int == 1)   // the only court with September data
        #expect(r[0]["status"] as? String == "no data")
        let halves = try json(try CLI.run(["query", "trend", "--dir", city.ic, "--indicator", "1a", "--from", "2022-07", "--to", "2023-02", "--by", "half", "--format", "json"]))
        #expect(halves.map { $0["period"] as? String } == ["2022-H2", "2023-H1"])
    }

    @Test(arguments: [
        (["query", "compliance", "--period", "2022-09", "--court", "解放"], "did you mean"),
        (["query", "compliance", "--period", "2022-09", "--court", "410899"], "unknown court '410899'"),
        (["query", "compliance", "--period", "2022-09", "--dept", "立案"], "unknown department '立案'; did you mean 立案庭"),
        (["query", "trend", "--indicator", "网上立案", "--from", "2022-08", "--to", "2022-09"], "unknown indicator '网上立案'; did you mean"),
        (["query", "compliance", "--period", "2022/09"], "is not one of a month 2022-09, a half-year 2023-H1 or 2023-H2, or a year 2022"),
        (["query", "trend", "--indicator", "1a", "--from", "2022-10", "--to", "2022-08"], "--from must not be after --to"),
        (["query", "compliance", "--period", "2022-09", "--as-of", "yesterday"], "--as-of 'yesterday'"),
    ])
    func queriesRefuseUnknownNamesWithCloseMatches(arguments: [String], phrase: String) throws {
        let s = try Scratch(); defer { s.remove() }
        let ic = s.file("ic")
        #expect(try CLI.run(["node", "init", "--dir", ic, "--court", "410800"]).status == 0)
        expectOneLineError(try CLI.run(arguments + ["--dir", ic]), contains: phrase)
    }

    @Test func policyWithAnUnknownIndicatorOrFromAGrassrootsCourtIsRefused() throws {
        let s = try Scratch(); defer { s.remove() }
        let ic = s.file("ic"), jf = s.file("jf")
        #expect(try CLI.run(["node", "init", "--dir", ic, "--court", "410800"]).status == 0)
        #expect(try CLI.run(["node", "init", "--dir", jf, "--court", "410802"]).status == 0)
        let threshold = ["--type", "threshold.set", "--at", "2022-09-10T09:00:00+08:00", "per_10k=9500", "effective=2022-10-01", "document=豫高法〔2022〕12号"]
        expectOneLineError(try CLI.run(["node", "append", "--dir", ic] + threshold + ["indicator=online-filling"]), contains: "unknown indicator 'online-filling'")
        expectOneLineError(try CLI.run(["node", "append", "--dir", ic] + threshold + ["indicator=网上立案率"]), contains: "write its slug, online-filing")
        expectOneLineError(try CLI.run(["node", "append", "--dir", jf] + threshold + ["indicator=online-filing"]), contains: "only 410800")
        expectOneLineError(try CLI.run(["node", "append", "--dir", jf, "--type", "explanation.filed", "--at", "2022-10-08T09:00:00+08:00",
                                        "unit=410803", "indicator=online-filing", "period=2022-09", "text=x"]), contains: "may explain only for its own court")
        #expect(try headSeq(ic) == 1 && headSeq(jf) == 0)
    }

    @Test func receivingRefusesForgedLogsForksAndOwnLogAndStoresNothing() throws {
        let s = try Scratch(); defer { s.remove() }
        let city = try makeCity(s)
        let key = try publicKey(city.jiefang)
        let out = s.file("jf.jsonl")
        #expect(try CLI.run(["node", "export", "--dir", city.jiefang, "--out", out]).status == 0)
        let lines = try String(contentsOfFile: out, encoding: .utf8)
        let forged = try s.write("forged.jsonl", lines.replacingOccurrences(of: "\"offline\"", with: "\"online\""))
        expectOneLineError(try CLI.run(["node", "receive", "--dir", city.ic, "--public-key", key, forged]), contains: "hash mismatch")
        // Another node claiming 410802 with its own key: a fork under the enrolled key is a bad signature;
        // under its own key it verifies but collides with what the hub holds.
        let impostor = s.file("impostor")
        #expect(try CLI.run(["node", "init", "--dir", impostor, "--court", "410802"]).status == 0)
        #expect(try CLI.run(["node", "append", "--dir", impostor, "--type", "case.filed", "--at", "2022-09-01T09:00:00+08:00", "case_no=x", "channel=online"]).status == 0)
        let impostorOut = s.file("imp.jsonl")
        #expect(try CLI.run(["node", "export", "--dir", impostor, "--out", impostorOut]).status == 0)
        expectOneLineError(try CLI.run(["node", "receive", "--dir", city.ic, "--public-key", key, impostorOut]), contains: "bad signature")
        expectOneLineError(try CLI.run(["node", "receive", "--dir", city.ic, "--public-key", try publicKey(impostor), impostorOut]), contains: "fork: node 410802 seq 1")
        expectOneLineError(try CLI.run(["node", "receive", "--dir", city.jiefang, "--public-key", key, out]), contains: "this node's own log")
        let status = try JSONSerialization.jsonObject(with: Data(try CLI.run(["node", "status", "--dir", city.ic, "--format", "json"]).stdout.utf8)) as? [String: Any]
        let received = try #require(status?["received"] as? [String: [String: Any]])
        #expect(received["410802"]?["seq"] as? Int == 8)   // 5 filings + 3 services, unchanged
        // The same export again is a no-op.
        let again = try CLI.run(["node", "receive", "--dir", city.ic, "--public-key", key, out])
        #expect(again.stdout.contains("0 new events, 8 already held"))
    }
}
