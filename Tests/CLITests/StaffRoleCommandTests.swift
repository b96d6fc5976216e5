import CanonicalJSON
import CourtLog
import Foundation
import NodeStore
import Testing

/// Issue 10 through the command line: rosters by role imported from an office file with the
/// court's own words (员额法官, 法官助理, 书记员), per-role rows in `query compliance`, a role the
/// catalog does not know refused, and an event dated in the future received by the
/// intermediate court listed as a data problem; the stored projections equal a replay.
@Suite("staff roles and future-dated events through the CLI")
struct StaffRoleCommandTests {
    func json(_ r: CLI.Result) throws -> [[String: Any]] {
        try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]], "not a JSON array: \(r.output)")
    }

    func send(_ from: String, to: String, _ s: Scratch) throws {
        let out = s.file("export-\(UUID().uuidString.prefix(6)).jsonl")
        #expect(try CLI.run(["node", "export", "--dir", from, "--out", out]).status == 0)
        let r = try CLI.run(["node", "receive", "--dir", to, "--public-key", try publicKey(from), out])
        #expect(r.status == 0, "receive failed: \(r.output)")
    }

    @Test func rolesFromAnOfficeFileBreakDownOAActivityAndAFutureEventIsADataProblem() throws {
        let s = try Scratch(); defer { s.remove() }
        let ic = s.file("ic"), zhongzhan = s.file("zhongzhan")
        #expect(try CLI.run(["node", "init", "--dir", ic, "--court", "410800"]).status == 0)
        #expect(try CLI.run(["node", "init", "--dir", zhongzhan, "--court", "410803"]).status == 0)
        // 中站区's HR file: 员额法官 10, 法官助理 8, 书记员 6; OA use in September 2022 by 9, 5 and 6 of them.
        var csv = "type,at,headcount,role,staff_id,app,day\n"
        csv += "roster.set,2022-09-01 08:00,10,员额法官,,,\n"
        csv += "roster.set,2022-09-01 08:00,8,法官助理,,,\n"
        csv += "roster.set,2022-09-01 08:00,6,书记员,,,\n"
        for (prefix, role, n) in [("j", "员额法官", 9), ("a", "法官助理", 5), ("c", "书记员", 6)] {
            for i in 1...n { csv += "staff.active,2022-09-05 09:00,,\(role),\(prefix)\(i),OA,2022-09-05\n" }
        }
        let imported = try CLI.run(["node", "import", "--dir", zhongzhan, try s.write("hr.csv", csv)])
        #expect(imported.status == 0 && imported.stdout.contains("imported 23 events"), "\(imported.output)")

        // A role the catalog does not know: one line naming the allowed values; nothing written.
        let bad = "type,at,headcount,role\nroster.set,2022-10-01 08:00,3,院长\n"
        expectOneLineError(try CLI.run(["node", "import", "--dir", zhongzhan, try s.write("bad.csv", bad)]),
                           contains: "line 2: role '院长' must be judge, judge_assistant, clerk or other (or 员额法官")
        #expect(try headSeq(zhongzhan) == 23, "the 23 imported events, nothing of the bad file")
        try send(zhongzhan, to: ic, s)

        let rows = try json(try CLI.run(["query", "compliance", "--dir", ic, "--period", "2022-09", "--court", "410803",
                                         "--indicator", "oa-activity", "--format", "json"]))
        // whole: 9 + 5 + 6 = 20 active of 10 + 8 + 6 = 24 → 20 × 20000 / 24 = 16666 → 8333 → 83.33%
        // 员额法官 9/10 = 90.00%; 法官助理 5/8 = 62.50% (5 × 20000 / 8 = 12500 → 6250); 书记员 6/6 = 100.00%
        let figures = rows.map { "\($0["role"] as? String ?? "-") \($0["numerator"] as? Int ?? -1)/\($0["denominator"] as? Int ?? -1) \($0["value"] as? String ?? "")" }
        #expect(figures == ["- 20/24 83.33%", "judge 9/10 90.00%", "judge_assistant 5/8 62.50%", "clerk 6/6 100.00%"], "\(figures)")
        let table = try CLI.run(["query", "compliance", "--dir", ic, "--period", "2022-09", "--court", "中站区", "--indicator", "12"])
        #expect(table.stdout.contains("12 OA活跃度（法官助理）") && table.stdout.contains("62.50%"), "\(table.output)")

        // 山阳区 records an event dated three days after the hub receives it (a wrong clock).
        let shanyang = s.file("shanyang")
        #expect(try CLI.run(["node", "init", "--dir", shanyang, "--court", "410811"]).status == 0)
        let now = Int64(Date().timeIntervalSince1970)
        let future = EventTime(beijing: now + 3 * 86_400)
        let node = try NodeDirectory.open(at: shanyang)
        _ = try node.append([try EventDraft(id: "wrong-clock-1", type: "case.filed", at: future, dept: nil,
                                            data: ["case_no": "(2026)豫0811民初1号", "channel": "online"])], recordedAt: now)
        try send(shanyang, to: ic, s)
        let period = String(future.text.prefix(7))
        let answer = try CLI.run(["query", "compliance", "--dir", ic, "--period", period, "--court", "410811"])
        #expect(answer.stdout.contains("数据异常 data problem: 山阳区人民法院 1条记录的发生时间晚于系统收到该记录的时间"), "\(answer.output)")
        #expect(answer.stdout.contains("1 events dated more than 10 minutes after they were recorded"), "\(answer.output)")
        let filing = try json(try CLI.run(["query", "compliance", "--dir", ic, "--period", period, "--court", "410811", "--indicator", "1a", "--format", "json"]))
        #expect(filing.first?["denominator"] as? Int == 0 && filing.first?["status"] as? String == "no data", "counted in no indicator: \(filing)")

        // Replay from zero (the pure fold) gives the stored (SQL) projections' digest.
        let replay = try CLI.run(["audit", "replay", "--dir", ic])
        #expect(replay.status == 0 && replay.stdout.contains("(identical)"), "\(replay.output)")
    }
}
