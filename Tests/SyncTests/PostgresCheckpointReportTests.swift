import Foundation
import Testing

/// Reports, queries and bulletins at a signed checkpoint on a hub whose log is in PostgreSQL
/// (protocol §16.12): the replica's projection file keeps a copy of the tree's leaves, checkpoints
/// and cosignatures beside the events it folds, and answers as a SQLite hub does.
@Suite("reports at a checkpoint on a PostgreSQL hub", .serialized)
struct PostgresCheckpointReportTests {
    func json(_ text: String) throws -> [[String: Any]] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] ?? []
    }

    @Test func aReportAtACheckpointIsTheReportOfItsEventsOnlyAndAnIssueBindsIt() throws {
        var h = try SyncHarness(database: try PostgresCluster.database()); defer { h.remove() }
        try h.startHub()
        let node = try h.enrolledNode("410802")
        // Batch A: 100 filings in 2022-09, 60 online.
        try h.record(node, court: "410802", count: 100, online: 60)
        #expect(try h.run(["node", "sync", "--dir", node]).status == 0)
        let (_, noteA) = try h.curl("/checkpoint")
        let lines = noteA.split(separator: "\n")
        try #require(lines.count > 2, "\(noteA)")
        let sizeA = String(lines[1]), rootA = String(lines[2])
        let fromA = try h.run(["report", "monthly", "2022-09", "--dir", node, "--bound"])
        #expect(fromA.status == 0, "\(fromA.output)")
        // Batch B: 100 more, all online.
        try h.record(node, court: "410802", count: 100, online: 100, from: 101)
        #expect(try h.run(["node", "sync", "--dir", node]).status == 0)

        // At checkpoint A the hub answers from A only: 60 online of 100 filed; now 160 of 200.
        let args = ["query", "compliance", "--dir", h.hub, "--period", "2022-09", "--court", "410802", "--indicator", "online-filing", "--format", "json"]
        let atA = try h.run(args + ["--checkpoint", sizeA])
        #expect(atA.status == 0 && atA.stderr.contains("checkpoint \(sizeA)"), "\(atA.output)")
        let rowA = try json(atA.stdout).first { $0["unit"] as? String == "410802" }
        #expect(rowA?["numerator"] as? Int == 60 && rowA?["denominator"] as? Int == 100, "\(atA.stdout)")
        let now = try json(try h.run(args).stdout).first { $0["unit"] as? String == "410802" }
        #expect(now?["numerator"] as? Int == 160 && now?["denominator"] as? Int == 200)
        // The same over HTTPS, from the serving replica's own file.
        let remote = ["query", "compliance", "--hub", "https://localhost:\(h.port)", "--dir", node, "--period", "2022-09", "--court", "410802",
                      "--indicator", "online-filing", "--format", "json", "--checkpoint", sizeA]
        let overHTTPS = try h.run(remote)
        let rowRemote = try json(overHTTPS.stdout).first { $0["unit"] as? String == "410802" }
        #expect(rowRemote?["numerator"] as? Int == 60 && rowRemote?["denominator"] as? Int == 100, "\(overHTTPS.output)")

        // The bulletin at checkpoint A is, figure for figure, the one A's events give, and cites its root.
        let reportA = try h.run(["report", "monthly", "2022-09", "--dir", h.hub, "--checkpoint", sizeA, "--bound"])
        #expect(reportA.status == 0 && reportA.stdout == fromA.stdout, "\(reportA.output)")
        let cited = try h.run(["report", "monthly", "2022-09", "--dir", h.hub, "--checkpoint", sizeA])
        #expect(cited.stdout.contains("第 \(sizeA) 号检查点") && cited.stdout.contains(rootA), "\(cited.output)")
        let unsigned = try h.run(["report", "monthly", "2022-09", "--dir", h.hub, "--checkpoint", "5000"])
        #expect(unsigned.status != 0 && unsigned.stderr.contains("give a checkpoint size from 1 to"), "\(unsigned.output)")

        // Issuing binds the checkpoint; the audit reproduces it from there and checks the digest.
        let issue = try h.run(["report", "monthly", "2022-09", "--dir", h.hub, "--issue", "焦中法技〔2022〕9号", "--issued", "2022-10-10", "--approved-by", "office"])
        #expect(issue.status == 0 && issue.stdout.contains(", checkpoint "), "\(issue.output)")
        try h.record(node, court: "410802", count: 10, online: 10, from: 201)
        #expect(try h.run(["node", "sync", "--dir", node]).status == 0)
        let audit = try h.run(["audit", "bulletins", "--dir", h.hub])
        #expect(audit.status == 0 && audit.stdout.contains("ok: 焦中法技〔2022〕9号 (2022-09, seq 2) reproduced at checkpoint"), "\(audit.output)")
    }
}
