import Foundation
import Testing
import TransparencyLog
import Witness

/// The standalone witness (protocol §16.11, C2SP tlog-witness): it cosigns only checkpoints
/// that extend the one it last cosigned, says which size it holds on a conflict, and remembers
/// across restarts.
@Suite struct WitnessTests {
    static let origin = "hub.example/courtsync/410800"
    let hubKey = try! NoteSigner(name: WitnessTests.origin, seed: Array(repeating: 7, count: 32))
    let witnessKey = try! Cosigner(name: "province.example/witness", seed: Array(repeating: 9, count: 32))

    /// Leaf hashes of a tree whose entries are `name-i`.
    static func leaves(_ n: Int, _ name: String = "log") -> [[UInt8]] { (0..<n).map { MerkleTree.leafHash(Array("\(name)-\($0)".utf8)) } }

    static func fetcher(_ leaves: [[UInt8]]) -> MerkleTree.NodeFetcher {
        { level, index in
            let start = index << Int64(level), end = (index + 1) << Int64(level)
            func mth(_ a: Int64, _ b: Int64) -> [UInt8] {
                if b - a == 1 { return leaves[Int(a)] }
                var k: Int64 = 1
                while k << 1 < b - a { k <<= 1 }
                return MerkleTree.nodeHash(mth(a, a + k), mth(a + k, b))
            }
            return mth(start, end)
        }
    }

    func note(_ leaves: [[UInt8]], signer: NoteSigner? = nil) throws -> (String, Checkpoint) {
        let cp = Checkpoint(origin: Self.origin, size: Int64(leaves.count), root: try MerkleTree.root(size: Int64(leaves.count), node: Self.fetcher(leaves)))
        return ((signer ?? hubKey).sign(cp.body), cp)
    }

    func request(old: Int64, _ leaves: [[UInt8]], proofFrom: [[UInt8]]? = nil, signer: NoteSigner? = nil) throws -> [UInt8] {
        var body = "old \(old)\n"
        if old > 0 && old < Int64(leaves.count) {
            for h in try MerkleTree.consistencyProof(old: old, new: Int64(leaves.count), node: Self.fetcher(proofFrom ?? leaves)) {
                body += Data(h).base64EncodedString() + "\n"
            }
        }
        return Array((body + "\n" + (try note(leaves, signer: signer)).0).utf8)
    }

    func witness(_ db: String) throws -> Witness {
        Witness(cosigner: witnessKey, logs: [hubKey.verifier], state: try WitnessState(path: db))
    }

    @Test func cosignsOnlyExtensionsAndRefusesRollbacksAcrossRestarts() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("witness-\(UUID().uuidString.prefix(6))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = "\(dir)/witness.db"
        let w = try witness(db)
        let log = Self.leaves(13)
        // First contact: old 0, no proof; the answer is a cosignature that verifies over the checkpoint.
        let first = w.addCheckpoint(try request(old: 0, Array(log.prefix(8))), now: 1_700_000_000)
        #expect(first.status == 200, "\(first.body)")
        let (_, cp8) = try note(Array(log.prefix(8)))
        #expect(witnessKey.verifier.verify(line: Substring(first.body.dropLast()), body: cp8.body) == 1_700_000_000)
        // An extension with its consistency proof.
        #expect(w.addCheckpoint(try request(old: 8, log)).status == 200)
        // A rollback to an older size: the witness holds 13 and says so (409, text/x.tlog.size).
        let rollback = w.addCheckpoint(try request(old: 0, Array(log.prefix(8))))
        #expect(rollback == Witness.Answer(status: 409, contentType: "text/x.tlog.size", body: "13\n"))
        #expect(w.addCheckpoint(try request(old: 13, Array(log.prefix(8)))).status == 400, "old larger than the checkpoint")
        // Another log of the same size (a split view): same size, another root.
        let other = Self.leaves(13, "forged")
        #expect(w.addCheckpoint(try request(old: 13, other)).status == 409)
        // A larger forged log whose proof cannot link it to what was cosigned.
        let forged = Array(other) + Self.leaves(3, "more")
        #expect(w.addCheckpoint(try request(old: 13, forged, proofFrom: forged)).status == 422)
        // Unknown log, and a checkpoint signed by a key the witness does not trust.
        let stranger = try NoteSigner(name: "elsewhere.example/log", seed: Array(repeating: 1, count: 32))
        let unknown = "old 0\n\n" + stranger.sign(Checkpoint(origin: "elsewhere.example/log", size: 1, root: log[0]).body)
        #expect(w.addCheckpoint(Array(unknown.utf8)).status == 404)
        let impostor = try NoteSigner(name: Self.origin, seed: Array(repeating: 2, count: 32))
        #expect(w.addCheckpoint(try request(old: 13, Self.leaves(14), signer: impostor)).status == 403)
        #expect(w.addCheckpoint(Array("old 01\n\n".utf8)).status == 400, "a malformed body")
        // Restarted (a new process over the same witness.db): it still holds 13 and refuses a rollback.
        let again = try witness(db)
        #expect(again.addCheckpoint(try request(old: 0, Array(log.prefix(8)))).body == "13\n")
        #expect(again.addCheckpoint(try request(old: 13, Self.leaves(20))).status == 200, "the honest log goes on")
    }

    /// End to end: a real `witness serve` process on loopback (HTTPS, its own CA) cosigns the
    /// checkpoints a real `hub serve` sends it after a node's push; the witnessed checkpoint
    /// carries its cosignature.
    @Test func aWitnessProcessCosignsTheHubsCheckpoints() throws {
        var h = try SyncHarness(); defer { h.remove() }
        let wdir = h.path("witness")
        let made = try h.run(["witness", "init", "--dir", wdir, "--name", "province.example/witness"])
        #expect(made.status == 0, "\(made.output)")
        let vkey = try #require(made.stdout.split(separator: "\n").first { $0.contains("verifier key") }?.split(separator: " ").last.map(String.init))
        let status = try JSONSerialization.jsonObject(with: Data(try h.run(["hub", "status", "--dir", h.hub, "--format", "json"]).stdout.utf8)) as? [String: Any]
        let origin = try #require(status?["origin"] as? String), hubKey = try #require(status?["checkpoint_verifier_key"] as? String)
        let wport = SyncHarness.freePort()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["--default-signal=TERM,INT", SyncHarness.binary, "witness", "serve", "--dir", wdir, "--log", "\(origin)=\(hubKey)",
                       "--port", "\(wport)", "--host", "127.0.0.1"]
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        defer { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        let started = Date().addingTimeInterval(60)
        while !SyncHarness.canConnect(wport) && p.isRunning && Date() < started { usleep(50_000) }
        #expect(SyncHarness.canConnect(wport), "the witness did not start listening")
        let add = try h.run(["hub", "witness", "add", "--dir", h.hub, "--url", "https://127.0.0.1:\(wport)", "--verifier-key", vkey, "--ca", "\(wdir)/tls/ca.pem"])
        #expect(add.status == 0, "\(add.output)")
        try h.startHub()
        let jf = try h.enrolledNode("410802")
        try h.record(jf, court: "410802", count: 5, online: 5)
        #expect(try h.run(["node", "sync", "--dir", jf]).status == 0)
        // The hub sends its checkpoint within a second or so; wait on the condition, not a clock.
        let deadline = Date().addingTimeInterval(60)
        var witnessed = ""
        while Date() < deadline {
            let (code, body) = try h.curl("/v1/checkpoint/witnessed?quorum=1")
            if code == 200 && body.contains("\u{2014} province.example/witness ") { witnessed = body; break }
            usleep(200_000)
        }
        #expect(witnessed.contains("\u{2014} province.example/witness "), "no cosignature by the witness in the witnessed checkpoint")
        let cp = try Checkpoint(body: try NoteVerifier(encoded: hubKey).verify(note: witnessed))
        let verifier = try CosignatureVerifier(encoded: vkey)
        #expect(!verifier.cosignatures(in: witnessed, body: cp.body).isEmpty, "the witness's line verifies over the hub's checkpoint")
        #expect(cp.size >= 7, "the checkpoint covers the key log, the plan and the node's events")
        // An auditor counts the standalone witness's cosignature with its verifier key.
        try witnessed.write(toFile: h.path("witnessed.checkpoint"), atomically: true, encoding: .utf8)
        let audit = try h.run(["audit", "checkpoint", "--key", hubKey, "--witness", vkey, "--quorum", "1", h.path("witnessed.checkpoint")])
        #expect(audit.status == 0 && audit.stdout.contains("witnessed by 1 of the given witnesses"), "\(audit.output)")
        let short = try h.run(["audit", "checkpoint", "--key", hubKey, "--witness", vkey, "--quorum", "2", h.path("witnessed.checkpoint")])
        #expect(short.status == 1 && short.stdout.contains("fewer than the quorum of 2"), "\(short.output)")
    }
}
