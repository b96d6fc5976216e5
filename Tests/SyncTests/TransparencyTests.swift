import Foundation
import Testing

/// The hub is checked, not trusted (protocol §16): its tree, checkpoints, proofs and receipts,
/// and what nodes and auditors do when it lies. Real processes on loopback.
@Suite("transparency log over HTTPS", .serialized)
struct TransparencyTests {
    /// The hash of seq `seq` of a node's own log, from its export.
    func eventHash(_ h: SyncHarness, _ dir: String, seq: Int) throws -> String {
        let out = h.path("export-\(UUID().uuidString.prefix(6)).jsonl")
        #expect(try h.run(["node", "export", "--dir", dir, "--out", out]).status == 0)
        let line = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")[seq - 1]
        let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        return json?["hash"] as? String ?? ""
    }

    func copyDirectory(_ from: String, _ to: String) throws {
        try? FileManager.default.removeItem(atPath: to)
        try FileManager.default.copyItem(atPath: from, toPath: to)
    }

    /// `hub serve` of another directory (a copy of the hub) on its own port, until killed.
    func serve(_ h: SyncHarness, dir: String, port: Int) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["--default-signal=TERM,INT", SyncHarness.binary, "hub", "serve", "--dir", dir, "--host", "127.0.0.1", "--port", "\(port)"]
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        let deadline = Date().addingTimeInterval(20)
        while !SyncHarness.canConnect(port), Date() < deadline { usleep(50_000) }
        #expect(SyncHarness.canConnect(port), "the second hub did not start on \(port)")
        return p
    }

    func pointBundle(_ dir: String, from: Int, to: Int) throws {
        let file = "\(dir)/bundle.json"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try text.replacingOccurrences(of: ":\(from)\"", with: ":\(to)\"").write(toFile: file, atomically: true, encoding: .utf8)
    }

    @Test func checkpointsTilesAndProofsArePublicAndVerify() throws {
        var h = try SyncHarness(); defer { h.remove() }
        let initOut = try String(contentsOfFile: "\(h.hub)/hub.json", encoding: .utf8)
        #expect(initOut.contains("\"origin\":\"localhost/courtsync/410800\""))
        let status = try h.run(["hub", "status", "--dir", h.hub, "--format", "json"])
        let json = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        let key = try #require(json?["checkpoint_verifier_key"] as? String, "\(status.output)")
        #expect(key.hasPrefix("localhost/courtsync/410800+") && key.split(separator: "+", maxSplits: 2).count == 3)
        try h.startHub()
        let jf = try h.enrolledNode("410802")
        try h.record(jf, court: "410802", count: 300, online: 300)
        let sync = try h.run(["node", "sync", "--dir", jf, "--batch", "100"])
        #expect(sync.status == 0, "\(sync.output)")
        // Anonymous callers read the checkpoint and the tiles (hashes only), not the events.
        let (code, note) = try h.curl("/checkpoint")
        #expect(code == 200 && note.hasPrefix("localhost/courtsync/410800\n"), "\(note)")
        let size = Int(note.split(separator: "\n")[1]) ?? 0
        #expect(size == 303)   // 410800's key-log record, the plan's genesis, 410802's enrollment and 300 filings
        #expect(try h.curl("/v1/nodes/410802/events").0 == 401)
        #expect(try h.curl("/tile/0/000").0 == 200)
        #expect(try h.curl("/tile/0/001.p/47").0 == 200)
        #expect(try h.curl("/tile/0/001.p/48").0 == 404)
        #expect(try h.curl("/tile/1/000.p/1").0 == 200)
        #expect(try h.curl("/tile/entries/001.p/47").0 == 200)
        #expect(try h.curl("/tile/0/x01").0 == 404)
        // The node kept the checkpoint it verified; the auditor checks it and an event's inclusion.
        let check = try h.run(["audit", "checkpoint", "--node", jf, "\(jf)/checkpoint"])
        #expect(check.status == 0 && check.stdout.contains("size 303"), "\(check.output)")
        let hash = try eventHash(h, jf, seq: 120)
        let included = try h.run(["audit", "inclusion", "--node", jf, "--court", "410802", "--seq", "120", "--hash", hash, "--checkpoint", "\(jf)/checkpoint"])
        #expect(included.status == 0 && included.stdout.contains("ok: 410802 seq 120"), "\(included.output)")
        // A wrong hash, and a tampered proof, fail.
        let wrong = try h.run(["audit", "inclusion", "--node", jf, "--court", "410802", "--seq", "120", "--hash", String(repeating: "0", count: 64)])
        #expect(wrong.status == 1 && wrong.stdout.contains("NOT proven"), "\(wrong.output)")
        let (_, proofText) = try h.curl("/v1/proof/inclusion?court=410802&seq=120&size=303")
        let marker = try #require(proofText.range(of: #""inclusion":[""#))
        let first = proofText[marker.upperBound]
        let tampered = proofText.replacingCharacters(in: marker.upperBound...marker.upperBound, with: first == "0" ? "1" : "0")
        let proofFile = h.path("proof.json")
        try tampered.write(toFile: proofFile, atomically: true, encoding: .utf8)
        let forged = try h.run(["audit", "inclusion", "--node", jf, "--court", "410802", "--seq", "120", "--hash", hash, "--checkpoint", "\(jf)/checkpoint", "--proof", proofFile])
        #expect(forged.status != 0, "\(forged.output)")
        // Consistency between an old checkpoint and the hub's latest.
        try FileManager.default.copyItem(atPath: "\(jf)/checkpoint", toPath: h.path("old.checkpoint"))
        try h.record(jf, court: "410802", count: 5, online: 5, from: 301)
        #expect(try h.run(["node", "sync", "--dir", jf]).status == 0)
        let consistent = try h.run(["audit", "consistency", "--node", jf, h.path("old.checkpoint")])
        #expect(consistent.status == 0 && consistent.stdout.contains("size 308 extends the one of size 303"), "\(consistent.output)")
        let receipts = try h.run(["audit", "receipts", "--dir", jf])
        #expect(receipts.status == 0 && receipts.stdout.contains("4 receipts (seq 1…305)"), "\(receipts.output)")
    }

    @Test func aSyncKilledAfterCommitGetsItsReceiptBack() throws {
        var h = try SyncHarness(); defer { h.remove() }
        try h.startHub()
        let jf = try h.enrolledNode("410802")
        try h.record(jf, court: "410802", count: 4, online: 4)
        // The hub commits a batch whose receipt never reaches the node (as when `node sync` dies after the commit).
        #expect(try h.run(["node", "export", "--dir", jf, "--out", h.path("jf.jsonl")]).status == 0)
        let pushed = try h.curl("/v1/nodes/410802/events", node: jf, method: "POST", bodyFile: h.path("jf.jsonl"))
        #expect(pushed.0 == 200)
        #expect(!FileManager.default.fileExists(atPath: "\(jf)/receipts.jsonl"))
        let sync = try h.run(["node", "sync", "--dir", jf])
        #expect(sync.status == 0, "\(sync.output)")
        let receipts = try String(contentsOfFile: "\(jf)/receipts.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(receipts.count == 1 && receipts[0].contains(#""from_seq":1"#) && receipts[0].contains(#""to_seq":4"#) && receipts[0].contains("\"inclusion\""))
        let audit = try h.run(["audit", "receipts", "--dir", jf])
        #expect(audit.status == 0 && audit.stdout.contains("1 receipts (seq 1…4)"), "\(audit.output)")
    }

    @Test func aHubRestoredFromAnOldBackupOrDroppingAReceiptedTailIsRefused() throws {
        var h = try SyncHarness(); defer { h.remove() }
        try h.startHub()
        let jf = try h.enrolledNode("410802"), zz = try h.enrolledNode("410803")
        try h.record(jf, court: "410802", count: 3, online: 3)
        #expect(try h.run(["node", "sync", "--dir", jf]).status == 0)
        h.stopHub()
        let backup = h.path("hub-backup")
        try copyDirectory(h.hub, backup)
        try h.startHub()
        try h.record(jf, court: "410802", count: 3, online: 3, from: 4)
        #expect(try h.run(["node", "sync", "--dir", jf]).status == 0)   // receipted up to seq 6, checkpoint of 7 entries
        h.stopHub()
        // The operator restores the old backup: the hub no longer holds seq 4…6, which it receipted.
        try copyDirectory(backup, h.hub)
        try h.startHub()
        let refused = try h.run(["node", "sync", "--dir", jf])
        #expect(refused.status != 0 && refused.output.contains("refusing the hub") && refused.output.contains("rollback"), "\(refused.output)")
        #expect(refused.output.split(separator: "\n").filter { !$0.isEmpty }.count == 1, "one line: \(refused.output)")
        let evidence = try FileManager.default.contentsOfDirectory(atPath: "\(jf)/evidence")
        #expect(evidence.count == 1)
        // The hub grows past what the node saw, with other entries: still not an extension.
        try h.record(zz, court: "410803", count: 8, online: 8)
        #expect(try h.run(["node", "sync", "--dir", zz]).status == 0)
        let again = try h.run(["node", "sync", "--dir", jf])
        #expect(again.status != 0 && again.output.contains("cannot prove that its tree"), "\(again.output)")
        let audit = try h.run(["audit", "receipts", "--dir", jf])
        #expect(audit.status == 1 && audit.stdout.contains("dropped or rewrote a receipted event"), "\(audit.output)")
        #expect(try h.hubSeq("410802") == 3)
    }

    @Test func twoNodesServedDifferentLogsAreCaughtBySplitView() throws {
        var h = try SyncHarness(); defer { h.remove() }
        try h.startHub()
        let jf = try h.enrolledNode("410802"), zz = try h.enrolledNode("410803")
        for dir in [jf, zz] { #expect(try h.run(["node", "sync", "--dir", dir]).status == 0) }
        h.stopHub()
        // A second copy of the hub, same keys, serves 中站区 while the first serves 解放区.
        let twin = h.path("hub-twin")
        try copyDirectory(h.hub, twin)
        try h.startHub()
        let twinPort = SyncHarness.freePort()
        let other = try serve(h, dir: twin, port: twinPort)
        defer { kill(other.processIdentifier, SIGKILL); other.waitUntilExit() }
        try pointBundle(zz, from: h.port, to: twinPort)
        try h.record(jf, court: "410802", count: 2, online: 2)
        try h.record(zz, court: "410803", count: 2, online: 2)
        #expect(try h.run(["node", "sync", "--dir", jf]).status == 0)
        #expect(try h.run(["node", "sync", "--dir", zz]).status == 0)
        let split = try h.run(["audit", "split-view", "--node", jf, jf, zz])
        #expect(split.status == 1 && split.stdout.contains("SPLIT VIEW"), "\(split.output)")
        // Sent back to the first hub, 中站区's node refuses it: not an extension of what it saw.
        try pointBundle(zz, from: twinPort, to: h.port)
        let back = try h.run(["node", "sync", "--dir", zz])
        #expect(back.status != 0 && back.output.contains("split view"), "\(back.output)")
        // Two honest views of one log pass.
        let jf2 = try h.enrolledNode("410804")
        #expect(try h.run(["node", "sync", "--dir", jf2]).status == 0)
        let honest = try h.run(["audit", "split-view", "--node", jf, jf, jf2])
        #expect(honest.status == 0, "\(honest.output)")
    }

    @Test func nodesWitnessCheckpointsAndAuditorsCountCosignatures() throws {
        var h = try SyncHarness(); defer { h.remove() }
        try h.startHub()
        let nodes = try ["410802", "410803", "410804"].map { try h.enrolledNode($0) }
        for (i, dir) in nodes.enumerated() { try h.record(dir, court: ["410802", "410803", "410804"][i], count: 2, online: 2) }
        for dir in nodes { #expect(try h.run(["node", "sync", "--dir", dir]).status == 0) }
        #expect(try h.curl("/v1/checkpoint/witnessed?quorum=3").0 == 404)   // each cosigned the checkpoint it saw last
        for dir in nodes { #expect(try h.run(["node", "sync", "--dir", dir]).status == 0) }   // now all hold the latest
        let (code, note) = try h.curl("/v1/checkpoint/witnessed?quorum=3")
        #expect(code == 200 && note.components(separatedBy: "\u{2014} courtsync/witness/").count == 4, "\(note)")
        try note.write(toFile: h.path("witnessed.checkpoint"), atomically: true, encoding: .utf8)
        let audit = try h.run(["audit", "checkpoint", "--node", nodes[0], "--registry", "\(h.hub)/nodes", "--quorum", "3", h.path("witnessed.checkpoint")])
        #expect(audit.status == 0 && audit.stdout.contains("witnessed by 3"), "\(audit.output)")
        let short = try h.run(["audit", "checkpoint", "--node", nodes[0], "--registry", "\(h.hub)/nodes", "--quorum", "4", h.path("witnessed.checkpoint")])
        #expect(short.status == 1 && short.stdout.contains("fewer than the quorum of 4"), "\(short.output)")
        // A cosignature by another court's key, or over another checkpoint, is refused.
        let forged = h.path("forged-cosig.json")
        try #"{"size":1,"cosignature":"— courtsync/witness/410802 AAAA"}"#.write(toFile: forged, atomically: true, encoding: .utf8)
        #expect(try h.curl("/v1/nodes/410802/cosignature", node: nodes[0], method: "POST", bodyFile: forged).0 == 404)
        #expect(try h.curl("/v1/nodes/410803/cosignature", node: nodes[0], method: "POST", bodyFile: forged).0 == 403)
    }
}
