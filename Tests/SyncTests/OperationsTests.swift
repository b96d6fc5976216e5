import Foundation
import Testing

/// Operating a node and the hub: `sync --watch` as a journal reads it, `node status` and
/// `hub status` as an operator reads them.
@Suite struct OperationsTests {
    static func isStamped(_ line: Substring) -> Bool {
        // 2026-11-30T12:00:00+08:00 …
        let s = Array(line.utf8)
        guard s.count > 26 else { return false }
        return String(decoding: s[0..<26], as: UTF8.self).range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00 $"#, options: .regularExpression) != nil
    }

    @Test func watchLogsOneStampedLinePerPushAndStatusShowsWhatIsNotAtTheHub() throws {
        var h = try SyncHarness()
        defer { h.remove() }
        let jiefang = try h.enrolledNode("410802", name: "jiefang")
        try h.record(jiefang, court: "410802", count: 5, online: 5)
        let before = try h.run(["node", "status", "--dir", jiefang])
        #expect(before.stdout.contains("last sync    never"), "\(before.stdout)")

        try h.startHub()
        let watch = try ProcessLines(SyncHarness.binary, ["node", "sync", "--dir", jiefang, "--watch"])
        defer { watch.stop() }
        #expect(watch.wait(seconds: 60) { $0.contains("synced 410802: pushed 5,") }, "\(watch.output)")
        try h.record(jiefang, court: "410802", count: 3, online: 3, from: 6)
        #expect(watch.wait(seconds: 60) { $0.contains("synced 410802: pushed 3,") }, "\(watch.output)")
        watch.stop()
        let lines = watch.output.split(separator: "\n").filter { $0.contains("synced") || $0.contains("watching") }
        #expect(lines.count == 3 && lines.allSatisfy(Self.isStamped), "one stamped line per push: \(watch.output)")

        try h.record(jiefang, court: "410802", count: 2, online: 2, from: 9)
        let status = try h.run(["node", "status", "--dir", jiefang])
        #expect(status.stdout.contains("not at hub   2 events (seq 9…10)") && status.stdout.contains("last sync    20"), "\(status.stdout)")
        let json = try JSONSerialization.jsonObject(with: Data(try h.run(["node", "status", "--dir", jiefang, "--format", "json"]).stdout.utf8)) as? [String: Any]
        #expect(json?["not_at_hub"] as? Int == 2 && json?["hub_seq"] as? Int == 8 && json?["last_sync"] is String)

        let hub = try h.run(["hub", "status", "--dir", h.hub, "--format", "json"])
        let courts = (try JSONSerialization.jsonObject(with: Data(hub.stdout.utf8)) as? [String: Any])?["courts"] as? [[String: Any]] ?? []
        #expect(courts.count == 11, "every court of the plan: \(hub.output)")
        let jf = courts.first { $0["court"] as? String == "410802" }
        #expect(jf?["enrollment"] as? String == "active" && jf?["held_seq"] as? Int == 8 && jf?["last_push"] is String)
        #expect(courts.first { $0["court"] as? String == "410883" }?["enrollment"] as? String == "not-enrolled")
        let table = try h.run(["hub", "status", "--dir", h.hub])
        #expect(table.stdout.contains("未接入") && table.stdout.contains("已接入") && table.stdout.contains("孟州市人民法院"), "\(table.stdout)")
        let bad = try h.run(["hub", "status", "--dir", h.hub, "--format", "xml"])
        #expect(bad.status != 0 && bad.stderr.contains("--format must be table or json"))
    }

    @Test func versionAndChineseHelp() throws {
        let h = try SyncHarness()
        let version = try h.run(["--version"])
        #expect(version.status == 0 && version.stdout.hasPrefix("courtsync ") && version.stdout.contains("焦中法〔2022〕77号"))
        let help = try h.run(["--help"])
        #expect(help.stdout.contains("法院节点") && help.stdout.contains("汇总节点") && help.stdout.contains("node"), "\(help.stdout)")
        let node = try h.run(["node", "--help"])
        #expect(node.stdout.contains("备份节点") && node.stdout.contains("同步到汇总节点 sync"), "\(node.stdout)")
        let role = try h.run(["hub", "auditor", "add", "--dir", h.hub, "--role", "root", "eve"])
        #expect(role.status != 0 && role.stderr.contains("--role must be auditor or metrics"))
        try? FileManager.default.removeItem(atPath: h.root)
    }
}
