import Foundation
import Testing

/// Reports and queries reproduced from the hub's log as it stood at a signed checkpoint
/// (protocol §16.12), and bulletins that bind one. A real hub and node on loopback.
@Suite("reports at a checkpoint", .serialized)
struct CheckpointReportTests {
    func json(_ text: String) throws -> [[String: Any]] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] ?? []
    }

    @Test func aReportAtACheckpointIsTheReportOfItsEventsOnlyAndAnIssueBindsIt() throws {
        var h = try SyncHarness(); defer { h.remove() }
        try h.startHub()
        let node = try h.enrolledNode("410802")
        // Batch A: 100 filings in 2022-09, 60 online. The tree is then 410800's key-log record, the plan's genesis,
        // 410802's enrollment record and A: 1 + 1 + 1 + 100 = 103 leaves.
        try h.record(node, court: "410802", count: 100, online: 60)
        let syncA = try h.run(["node", "sync", "--dir", node])
        #expect(syncA.status == 0, "\(syncA.output)")
        let (_, noteA) = try h.curl("/checkpoint")
        let lines = noteA.split(separator: "\n")
        #expect(lines.count > 2 && lines[1] == "103", "\(noteA)")
        let rootA = lines.count > 2 ? String(lines[2]) : ""
        // What the node's own store (A's events and the policy log, nothing else) reports now.
        let fromA = try h.run(["report", "monthly", "2022-09", "--dir", node, "--bound"])
        #expect(fromA.status == 0, "\(fromA.output)")
        // Batch B: 100 more filings, all online; the tree grows to 203.
        try h.record(node, court: "410802", count: 100, online: 100, from: 101)
        let syncB = try h.run(["node", "sync", "--dir", node])
        #expect(syncB.status == 0, "\(syncB.output)")

        // At checkpoint 103 the hub answers from A only: 60 online of 100 filed; now 160 of 200.
        let args = ["query", "compliance", "--dir", h.hub, "--period", "2022-09", "--court", "410802", "--indicator", "online-filing", "--format", "json"]
        let atA = try h.run(args + ["--checkpoint", "103"])
        #expect(atA.status == 0 && atA.stderr.contains("checkpoint 103"), "\(atA.output)")
        let rowA = try json(atA.stdout).first { $0["unit"] as? String == "410802" }
        #expect(rowA?["numerator"] as? Int == 60 && rowA?["denominator"] as? Int == 100, "\(atA.stdout)")
        let now = try json(try h.run(args).stdout).first { $0["unit"] as? String == "410802" }
        #expect(now?["numerator"] as? Int == 160 && now?["denominator"] as? Int == 200)

        // The hub answers the same over HTTPS (the node asks), and refuses a size it never signed.
        let remote = ["query", "compliance", "--hub", "https://localhost:\(h.port)", "--dir", node, "--period", "2022-09", "--court", "410802",
                      "--indicator", "online-filing", "--format", "json"]
        let overHTTPS = try h.run(remote + ["--checkpoint", "103"])
        let rowRemote = try json(overHTTPS.stdout).first { $0["unit"] as? String == "410802" }
        #expect(rowRemote?["numerator"] as? Int == 60 && rowRemote?["denominator"] as? Int == 100, "\(overHTTPS.output)")
        let unsigned = try h.run(remote + ["--checkpoint", "150"])
        #expect(unsigned.status != 0 && unsigned.stderr.contains("signed no checkpoint of that size"), "\(unsigned.output)")

        // The bulletin at checkpoint 103 is, figure for figure, the one A's events give; the latest differs.
        let reportA = try h.run(["report", "monthly", "2022-09", "--dir", h.hub, "--checkpoint", "103", "--bound"])
        #expect(reportA.status == 0, "\(reportA.output)")
        #expect(reportA.stdout == fromA.stdout)
        let latest = try h.run(["report", "monthly", "2022-09", "--dir", h.hub, "--bound"])
        #expect(latest.status == 0 && latest.stdout != reportA.stdout)
        // The full bulletin cites the checkpoint: size and root in the note and appendix.
        let cited = try h.run(["report", "monthly", "2022-09", "--dir", h.hub, "--checkpoint", "103"])
        #expect(cited.stdout.contains("第 103 号检查点") && cited.stdout.contains(rootA) && cited.stdout.contains("--checkpoint 103"), "\(cited.output)")

        // Sizes the hub never signed, or beyond its tree, are refused in one line.
        for (size, phrase) in [("150", "never signed a checkpoint of that size"), ("5000", "holds 203 leaves")] {
            let r = try h.run(["report", "monthly", "2022-09", "--dir", h.hub, "--checkpoint", size])
            #expect(r.status != 0 && r.stdout.isEmpty && r.stderr.contains(phrase), "\(r.output)")
            #expect(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1, "\(r.stderr)")
        }

        // Issuing binds the checkpoint; a reissue reproduces the first from its checkpoint and checks the digest.
        let issue = try h.run(["report", "monthly", "2022-09", "--dir", h.hub, "--issue", "焦中法技〔2022〕9号", "--issued", "2022-10-10", "--approved-by", "office"])
        #expect(issue.status == 0 && issue.stdout.contains(", checkpoint 203, seq"), "\(issue.output)")
        // Late data arrives (10 more filings), then the reissue.
        try h.record(node, court: "410802", count: 10, online: 10, from: 201)
        #expect(try h.run(["node", "sync", "--dir", node]).status == 0)
        let reissue = try h.run(["report", "monthly", "2022-09", "--dir", h.hub, "--issue", "焦中法技〔2022〕10号", "--issued", "2022-10-12",
                                 "--approved-by", "office", "--reason", "复核"])
        #expect(reissue.status == 0 && reissue.stdout.contains("reproduced, digest matches"), "\(reissue.output)")
        // 410800 now lowers 1a to 50% effective 2022-09-01, long after September: retroactive.
        #expect(try h.run(["node", "append", "--dir", h.hub, "--type", "threshold.set", "--at", "2022-10-31T09:00:00+08:00",
                           "indicator=online-filing", "per_10k=5000", "effective=2022-09-01", "document=焦中法〔2022〕99号"]).status == 0)
        #expect(try h.curl("/checkpoint").0 == 200)
        let retro = try h.run(["audit", "retroactive", "--dir", h.hub, "--format", "json"])
        let listed = try json(retro.stdout)
        #expect(retro.status == 0 && listed.count == 1 && listed.first?["document"] as? String == "焦中法〔2022〕99号", "\(retro.output)")
        let changed = listed.first?["changed"] as? [[String: Any]] ?? []
        #expect(changed.contains { $0["period"] as? String == "2022-09" && $0["unit"] as? String == "410802" && $0["indicator"] as? String == "online-filing" })
        let marked = try h.run(["query", "compliance", "--dir", h.hub, "--period", "2022-09", "--court", "410802", "--indicator", "online-filing"])
        #expect(marked.stdout.contains("⚠ 追溯适用 焦中法〔2022〕99号"), "\(marked.output)")
        let audit = try h.run(["audit", "bulletins", "--dir", h.hub])
        #expect(audit.status == 0 && audit.stdout.contains("ok: 焦中法技〔2022〕9号 (2022-09, seq 2) reproduced at checkpoint 203, digest matches"), "\(audit.output)")
    }
}
