import CanonicalJSON
import CourtLog
import Foundation
import Hub
import SyncProtocol
import Testing

/// The key log (protocol §16.10): every key change is a record in the hub's tree, and the
/// attacks on the registry — a silent key swap, a revoked key re-admitted, a rotation the old
/// key never signed, a hand-edited `nodes/` file — are refused or caught.
@Suite struct KeyLogTests {
    /// The Python reference's vectors replay to the same registry here, and every broken rule is refused.
    @Test func theKeyLogVectorsReplayAsThePythonReferenceDoes() throws {
        let url = SyncHarness.packageRoot.appendingPathComponent("protocol/vectors/keylog.json")
        let doc = try StrictJSONParser.parse(Array(try Data(contentsOf: url)))
        guard case .array(let records)? = doc["records"], case .array(let invalid)? = doc["invalid"], case .object(let registry)? = doc["registry"] else {
            Issue.record("keylog.json lacks records, invalid or registry")
            return
        }
        var log = KeyLog()
        for r in records {
            let entry = try #require(r["entry"]?.stringValue.flatMap { Hex.decode($0, count: $0.utf8.count / 2) })
            let record = try KeyLogRecord(entry: entry)
            #expect(record.entry == entry, "the entry is 0x02 and the record's canonical JSON")
            try log.apply(record)
        }
        #expect(log.registry == registry)
        for case_ in invalid {
            let record = try KeyLogRecord(json: try #require(case_["record"]))
            var attempt = log
            #expect(throws: (any Error).self, "\(case_["name"]?.stringValue ?? "")") { try attempt.apply(record) }
            #expect(attempt.registry == registry, "a refused record changes nothing")
        }
        // 410800 rotates its own key (record 6, signed by the old key); record 7 is countersigned by the new one.
        guard case .array(let hubRecords)? = doc["hub_rotation"]?["records"], case .array(let hubInvalid)? = doc["hub_rotation"]?["invalid"] else {
            Issue.record("keylog.json lacks hub_rotation")
            return
        }
        var rotated = log
        for r in hubRecords { try rotated.apply(try KeyLogRecord(json: try #require(r["record"]))) }
        #expect(rotated.registry == doc["hub_rotation"]?["registry"]?.objectValue)
        #expect(rotated.authority?.hex == rotated.courts["410800"]?.publicKey && rotated.authority?.hex != log.authority?.hex)
        for case_ in hubInvalid {
            var attempt = log
            if case_["after_rotation"] == .bool(true) { try attempt.apply(try KeyLogRecord(json: try #require(hubRecords.first?["record"]))) }
            #expect(throws: (any Error).self, "\(case_["name"]?.stringValue ?? "")") { try attempt.apply(try KeyLogRecord(json: try #require(case_["record"]))) }
        }
    }

    /// A key is one court's at a time (protocol §16.10), however many courts the log holds: the
    /// replay looks keys up in an index it keeps as records enroll, rotate and revoke, where it
    /// searched every court (quadratic in a nation's 3,500). Legacy enrollments carry no
    /// request, so the rules are exercised here without nodes.
    @Test func aKeyIsOneCourtsActiveKeyAtATime() throws {
        let hub = NodeKey(), a = NodeKey(), b = NodeKey(), c = NodeKey()
        let at = "2022-08-01T01:30:00Z"
        var log = KeyLog()
        try log.apply(KeyLogRecord.make(n: 1, action: .enroll, court: "410800", courtName: "焦作市中级人民法院", publicKey: hub.publicKey.hex, at: at,
                                        fields: ["checkpoint_verifier_key": "hub.example/courtsync/410800+00000000+AA"], key: hub))
        func enroll(_ court: String, _ key: NodeKey) -> KeyLogRecord {
            KeyLogRecord.make(n: log.count + 1, action: .enroll, court: court, courtName: "", publicKey: key.publicKey.hex, at: at, fields: ["legacy": true], key: hub)
        }
        func refusal(_ record: KeyLogRecord) -> String {
            var attempt = log
            do { try attempt.apply(record); return "" } catch { return error.reason }
        }
        try log.apply(enroll("410802", a))
        #expect(refusal(enroll("410803", a)).contains("already another court's active key"))
        try log.apply(KeyLogRecord.make(n: log.count + 1, action: .revoke, court: "410802", courtName: "", publicKey: a.publicKey.hex, at: at,
                                        fields: ["reason": "disk lost"], key: hub))
        // Revoked: no court's active key any more, and never admitted again.
        #expect(refusal(enroll("410803", a)).contains("never admitted again"))
        try log.apply(enroll("410802", b))
        #expect(refusal(enroll("410803", b)).contains("already another court's active key"))
        try log.apply(enroll("410803", c))
        #expect(log.courts.count == 3 && log.count == 5)
        // One court's entry is the one the whole registry holds for it.
        for court in ["410800", "410802", "410803"] { #expect(log.registryEntry(of: court) == log.registry[court]) }
        #expect(log.registryEntry(of: "410811") == nil)
        #expect(log.registryEntry(of: "410802")?["public_key"]?.stringValue == b.publicKey.hex)
    }

    /// An enrollment writes its court's registry file, and only that one, unless a file is
    /// missing: then every file is written again.
    @Test func anEnrollmentWritesItsCourtsRegistryFileAndMendsAMissingOne() throws {
        var h = try SyncHarness(); defer { h.remove() }
        _ = try h.enrolledNode("410802")
        _ = try h.enrolledNode("410803")
        let nodes = "\(h.hub)/nodes"
        #expect(KeyLogRegistry.differences(try HubDirectory.open(at: h.hub).keyLog().registry, in: nodes).isEmpty)
        // A file edited by hand stays as it is across another court's enrollment…
        let edited = "\(nodes)/410803.json"
        let original = try String(contentsOfFile: edited, encoding: .utf8)
        let tampered = original.replacingOccurrences(of: #""status":"active""#, with: #""status":"revoked""#)
        #expect(tampered != original)
        try tampered.write(toFile: edited, atomically: true, encoding: .utf8)
        _ = try h.enrolledNode("410804")
        #expect(try String(contentsOfFile: edited, encoding: .utf8) == tampered, "410804's enrollment rewrote 410803's file")
        #expect(FileManager.default.fileExists(atPath: "\(nodes)/410804.json"))
        // …and `audit keys --check` is what catches it.
        let check = try h.run(["audit", "keys", "--hub", h.hub, "--check", nodes])
        #expect(check.status != 0 && check.stdout.contains("410803.json says status revoked"), "\(check.output)")
        // A missing file is written again by the next enrollment, with every other one.
        try FileManager.default.removeItem(atPath: "\(nodes)/410802.json")
        _ = try h.enrolledNode("410811")
        #expect(KeyLogRegistry.differences(try HubDirectory.open(at: h.hub).keyLog().registry, in: nodes).isEmpty)
    }

    /// 410800 rotates its own event key (protocol §16.10): the record is signed by the old key;
    /// nodes learn the new key from the key log in the tree and take policy events and receipts
    /// signed by it; a node enrolled after the rotation (its bundle names the new key) reads the
    /// whole policy log; auditors' registries show both keys; the checkpoint key is unchanged.
    @Test func theIntermediateCourtRotatesItsOwnKeyAndNodesFollowTheKeyLog() throws {
        var h = try SyncHarness(); defer { h.remove() }
        try h.startHub()
        let jf = try h.enrolledNode("410802")
        try h.record(jf, court: "410802", count: 2, online: 2)
        #expect(try h.run(["node", "sync", "--dir", jf]).status == 0)
        h.stopHub()
        let before = try h.run(["hub", "status", "--dir", h.hub, "--format", "json"]).stdout
        let rotated = try h.run(["hub", "rotate-key", "--dir", h.hub])
        #expect(rotated.status == 0 && rotated.stdout.contains("rotated 410800's event key"), "\(rotated.output)")
        let after = try h.run(["hub", "status", "--dir", h.hub, "--format", "json"]).stdout
        func field(_ json: String, _ name: String) throws -> String? {
            (try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?[name] as? String
        }
        #expect(try field(before, "checkpoint_verifier_key") == field(after, "checkpoint_verifier_key"), "the checkpoint key stays")
        #expect(try field(before, "public_key") != field(after, "public_key"))
        let set = try h.run(["node", "append", "--dir", h.hub, "--type", "threshold.set", "indicator=online-filing", "per_10k=9000",
                             "effective=2022-09-01", "document=焦中法〔2022〕99号", "--at", "2022-09-20T09:00:00+08:00"])
        #expect(set.status == 0, "\(set.output)")
        // The backup the README asks for right after the rotation verifies 410800's log under its key history.
        let backup = try h.run(["node", "backup", "--dir", h.hub, "--out", h.path("hub.courtsync-backup")])
        #expect(backup.status == 0, "\(backup.output)")
        try h.startHub()
        try h.record(jf, court: "410802", count: 1, online: 1, from: 3)
        let sync = try h.run(["node", "sync", "--dir", jf])
        #expect(sync.status == 0 && sync.stdout.contains("(1 new)"), "receipts and the policy event signed by the new key are taken: \(sync.output)")
        let receipts = try h.run(["audit", "receipts", "--dir", jf])
        #expect(receipts.status == 0, "\(receipts.output)")
        let zz = try h.enrolledNode("410803")
        let fresh = try h.run(["node", "sync", "--dir", zz])
        #expect(fresh.status == 0 && fresh.stdout.contains("policy log at seq 2"), "a node enrolled after the rotation reads the old key's events too: \(fresh.output)")
        let keys = try h.run(["audit", "keys", "--hub", h.hub, "--out", h.path("registry")])
        #expect(keys.status == 0, "\(keys.output)")
        let registry = try String(contentsOfFile: h.path("registry/410800.json"), encoding: .utf8)
        #expect(registry.contains(#""status":"rotated""#) && registry.contains(#""status":"active""#), "\(registry)")
        let verify = try h.run(["audit", "verify", "--dir", h.hub, "--court", "410800"])
        #expect(verify.status == 0, "410800's log verifies under its key history: \(verify.output)")
        // The old key is retired: a second rotation goes from the new key.
        h.stopHub()
        #expect(try h.run(["hub", "rotate-key", "--dir", h.hub]).status == 0)
    }

    @Test func aSilentKeySwapIsRefusedAndTheKeyLogShowsOnlyTheRealKey() throws {
        var h = try SyncHarness(); defer { h.remove() }
        let jf = try h.enrolledNode("410802")
        let usurper = h.path("usurper")
        #expect(try h.run(["node", "init", "--dir", usurper, "--court", "410802"]).status == 0)
        #expect(try h.run(["node", "enroll-request", "--dir", usurper, "--out", h.path("usurper.request.json")]).status == 0)
        let swap = try h.run(["hub", "enroll", "--dir", h.hub, "--out", h.path("usurper.bundle.json"), h.path("usurper.request.json")])
        #expect(swap.status != 0 && swap.output.contains("already enrolled"), "\(swap.output)")
        let audit = try h.run(["audit", "keys", "--hub", h.hub, "--out", h.path("registry")])
        #expect(audit.status == 0 && audit.stdout.contains("2 key-log records"), "\(audit.output)")
        let entry = try String(contentsOfFile: h.path("registry/410802.json"), encoding: .utf8)
        #expect(entry.contains(try h.publicKey(jf)) && entry.contains(#""status":"active""#) && entry.contains(#""key_log":2"#), "\(entry)")
        #expect(FileManager.default.fileExists(atPath: h.path("registry/410800.json")), "410800 is in the registry too")
        // A revocation must say why.
        let noReason = try h.run(["hub", "revoke", "--dir", h.hub, "410802"])
        #expect(noReason.status != 0 && noReason.output.contains("--reason"), "\(noReason.output)")
    }

    @Test func aRevokedKeyIsNeverReadmittedAndTheRevocationIsInTheKeyLog() throws {
        var h = try SyncHarness(); defer { h.remove() }
        let jf = try h.enrolledNode("410802")
        try h.record(jf, court: "410802", count: 2, online: 1)
        #expect(try h.run(["node", "export", "--dir", jf, "--out", h.path("jf.jsonl")]).status == 0)
        #expect(try h.run(["hub", "revoke", "--dir", h.hub, "--reason", "node.key lost with the server's disk", "410802"]).status == 0)
        let again = try h.run(["hub", "enroll", "--dir", h.hub, "--out", h.path("again.bundle.json"), "\(jf).request.json"])
        #expect(again.status != 0 && again.output.contains("never admitted again"), "\(again.output)")
        #expect(!FileManager.default.fileExists(atPath: h.path("again.bundle.json")), "no bundle for a refused enrollment")
        let audit = try h.run(["audit", "keys", "--hub", h.hub, "--out", h.path("registry")])
        #expect(audit.status == 0 && audit.stdout.contains("3 key-log records"), "\(audit.output)")
        let entry = try String(contentsOfFile: h.path("registry/410802.json"), encoding: .utf8)
        #expect(entry.contains(#""status":"revoked""#), "\(entry)")
        // The revoked key vouches for none of its events (protocol §10): refused at seq 1, with the reason.
        let verify = try h.run(["audit", "verify", "--registry", h.path("registry"), h.path("jf.jsonl")])
        #expect(verify.status == 1 && verify.stdout.contains("seq 1: signed by key") && verify.stdout.contains("revoked for node 410802 (node.key lost with the server's disk)"),
                "\(verify.output)")
        // A new key may enroll after the revocation.
        _ = try h.enrolledNode("410802", name: "jiefang-new")
    }

    @Test func aRotationMustBeSignedByTheCourtsCurrentKey() throws {
        var h = try SyncHarness(); defer { h.remove() }
        let jf = try h.enrolledNode("410802")
        let oldKey = try h.publicKey(jf)
        // Someone else's rotation request, with the court's key written in as the old key: the signature fails.
        let usurper = h.path("usurper")
        #expect(try h.run(["node", "init", "--dir", usurper, "--court", "410802"]).status == 0)
        #expect(try h.run(["node", "enroll-request", "--dir", usurper, "--out", h.path("usurper.request.json")]).status == 0)
        #expect(try h.run(["node", "rotate-request", "--dir", usurper, "--out", h.path("usurper.rotate.json")]).status == 0)
        let forged = try String(contentsOfFile: h.path("usurper.rotate.json"), encoding: .utf8).replacingOccurrences(of: try h.publicKey(usurper), with: oldKey)
        try forged.write(toFile: h.path("forged.rotate.json"), atomically: true, encoding: .utf8)
        let refused = try h.run(["hub", "rotate", "--dir", h.hub, "--out", h.path("forged.bundle.json"), h.path("forged.rotate.json")])
        #expect(refused.status != 0 && refused.output.contains("not signed by the old key"), "\(refused.output)")
        // Unaltered, it names a key the court does not hold.
        let stranger = try h.run(["hub", "rotate", "--dir", h.hub, "--out", h.path("forged.bundle.json"), h.path("usurper.rotate.json")])
        #expect(stranger.status != 0 && stranger.output.contains("no active key to rotate from"), "\(stranger.output)")
        // The court's own rotation goes through, and the old key is retired for good.
        let rotate = try h.run(["node", "rotate-request", "--dir", jf, "--out", "\(jf).rotate.json"])
        #expect(rotate.status == 0, "\(rotate.output)")
        let rotated = try h.run(["hub", "rotate", "--dir", h.hub, "--out", "\(jf).rotated.bundle.json", "\(jf).rotate.json"])
        #expect(rotated.status == 0, "\(rotated.output)")
        let entry = try StrictJSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: "\(h.hub)/nodes/410802.json"))))
        #expect(entry["public_key"]?.stringValue != oldKey && entry["key_log"] == 3, "the current key is the new one")
        guard case .array(let keys)? = entry["keys"] else { Issue.record("no key history in \(entry)"); return }
        #expect(keys.map { $0["status"]?.stringValue } == ["rotated", "active"] && keys.first?["public_key"]?.stringValue == oldKey,
                "the old key stays in the history, rotated out: \(keys)")
        let back = try h.run(["hub", "enroll", "--dir", h.hub, "--out", h.path("back.bundle.json"), "\(jf).request.json"])
        #expect(back.status != 0, "\(back.output)")
    }

    /// End to end: a court rotates its key, joins the rotated bundle, and syncs on under the
    /// new key; an auditor takes the keys from the hub over HTTPS, each record with its proof.
    /// The rotation names the seq from which the new key signs (from_seq): the hub refuses it
    /// until it holds every event before that seq, and the node appends nothing meanwhile.
    /// The rotated node's backup and its restore verify under its key history.
    @Test func aRotatedNodeSyncsUnderItsNewKeyAndAuditorsFetchTheKeyLogWithProofs() throws {
        var h = try SyncHarness(); defer { h.remove() }
        try h.startHub()
        let jf = try h.enrolledNode("410802")
        try h.record(jf, court: "410802", count: 3, online: 3)
        #expect(try h.run(["node", "sync", "--dir", jf]).status == 0)
        // One more event under the old key that the hub has not received when the court asks to rotate.
        try h.record(jf, court: "410802", count: 1, online: 1, from: 50)
        let oldKey = try h.publicKey(jf)
        let request = try h.run(["node", "rotate-request", "--dir", jf, "--out", "\(jf).rotate.json"])
        #expect(request.status == 0 && request.stdout.contains("signing from seq 5"), "\(request.output)")
        // The hub holds seq 1-3 only: the new key cannot sign from seq 5. Refused, nothing changed.
        let registryBefore = try String(contentsOfFile: "\(h.hub)/nodes/410802.json", encoding: .utf8)
        let early = try h.run(["hub", "rotate", "--dir", h.hub, "--out", "\(jf).rotated.bundle.json", "\(jf).rotate.json"])
        #expect(early.status != 0 && early.output.contains("from seq 5, but the hub holds its log only up to seq 3")
                && early.output.contains("`courtsync node sync`"), "\(early.output)")
        #expect(early.stderr.split(separator: "\n").count == 1, "one line: \(early.stderr)")
        #expect(try String(contentsOfFile: "\(h.hub)/nodes/410802.json", encoding: .utf8) == registryBefore)
        #expect(!FileManager.default.fileExists(atPath: "\(jf).rotated.bundle.json"))
        // While the rotation waits, the node appends nothing (the old key must not sign seq 5).
        try #"{"type":"case.filed","at":"2022-09-20T09:00:00+08:00","data":{"case_no":"(2022)豫0802民初77号","channel":"online"}}"#
            .write(toFile: h.path("waiting.jsonl"), atomically: true, encoding: .utf8)
        let waiting = try h.run(["node", "import", "--dir", jf, h.path("waiting.jsonl")])
        #expect(waiting.status != 0 && waiting.output.contains("key rotation is waiting for the hub (its new key signs from seq 5)"), "\(waiting.output)")
        // Synced, the same request goes through.
        #expect(try h.run(["node", "sync", "--dir", jf]).status == 0)
        let rotated = try h.run(["hub", "rotate", "--dir", h.hub, "--out", "\(jf).rotated.bundle.json", "\(jf).rotate.json"])
        #expect(rotated.status == 0, "\(rotated.output)")
        let joined = try h.run(["node", "join", "--dir", jf, "--rotated", "\(jf).rotated.bundle.json"])
        #expect(joined.status == 0 && joined.stdout.contains("now signs with its new key"), "\(joined.output)")
        #expect(try h.publicKey(jf) != oldKey)
        try h.record(jf, court: "410802", count: 2, online: 2, from: 100)
        // The hub takes seq 5-6 (new key) under the key history.
        let sync = try h.run(["node", "sync", "--dir", jf])
        #expect(sync.status == 0, "\(sync.output)")
        #expect(try h.hubSeq("410802") == 6)
        let entry = try StrictJSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: "\(h.hub)/nodes/410802.json"))))
        guard case .array(let keys)? = entry["keys"] else { Issue.record("no key history in \(entry)"); return }
        #expect(keys.map { $0["from_seq"] } == [nil, .int(5)], "the new key signs from seq 5: \(keys)")
        // The rotated node's backup verifies under its key history (seq 1-4 old key, 5-6 new),
        // and so does its restore.
        let backup = try h.run(["node", "backup", "--dir", jf, "--out", h.path("jf.courtsync-backup")])
        #expect(backup.status == 0, "\(backup.output)")
        let restore = try h.run(["node", "restore", "--dir", h.path("jf.restored"), h.path("jf.courtsync-backup")])
        #expect(restore.status == 0, "\(restore.output)")
        let restored = try h.run(["audit", "verify", "--dir", h.path("jf.restored")])
        #expect(restored.status == 0 && restored.stdout.contains("ok: 6 events of node 410802") && restored.stdout.contains("2 keys of the history"),
                "\(restored.output)")
        #expect(try h.run(["node", "sync", "--dir", h.path("jf.restored")]).status == 0, "the restored node syncs on")
        // The auditor's path over HTTPS: /v1/proof/inclusion?court=keylog&seq=n for each record.
        let audit = try h.run(["audit", "keys", "--node", jf, "--check", "\(h.hub)/nodes"])
        #expect(audit.status == 0 && audit.stdout.contains("3 key-log records") && audit.stdout.contains("agrees with the key log"), "\(audit.output)")
        // The whole log — seq 1-4 under the old key, 5-6 under the new — verifies under the
        // registry the auditor made from the key log, in Swift and in the Python reference.
        #expect(try h.run(["audit", "keys", "--node", jf, "--out", h.path("registry")]).status == 0)
        #expect(try h.run(["node", "export", "--dir", jf, "--out", h.path("jf.jsonl")]).status == 0)
        let verify = try h.run(["audit", "verify", "--registry", h.path("registry"), h.path("jf.jsonl")])
        #expect(verify.status == 0 && verify.stdout.contains("ok: 6 events of node 410802"), "\(verify.output)")
        let replay = try h.run(["audit", "replay", "--registry", h.path("registry"), h.path("jf.jsonl")])
        #expect(replay.status == 0, "\(replay.output)")
        let atHub = try h.run(["audit", "verify", "--dir", h.hub, "--court", "410802"])
        #expect(atHub.status == 0 && atHub.stdout.contains("ok: 6 events of node 410802") && atHub.stdout.contains("2 keys of 410802's history"), "\(atHub.output)")
        let tool = SyncHarness.packageRoot.appendingPathComponent("protocol/tools/verify_log.py").path
        let python = try h.run(["python3", tool, "--registry", h.path("registry"), "--court", "410802", h.path("jf.jsonl")], executable: "/usr/bin/env")
        #expect(python.status == 0 && python.stdout.contains("ok: 6 events"), "\(python.output)")
        // Under the current key alone (what the registry held before key histories) it fails at seq 1.
        let oneKey = try h.run(["audit", "verify", "--public-key", try h.publicKey(jf), h.path("jf.jsonl")])
        #expect(oneKey.status != 0 && oneKey.stdout.contains("seq 1: bad signature"), "\(oneKey.output)")
        // A request the court gave up (as the append refusal says: delete the waiting files), then
        // appended and synced past: the hub already holds seq 7, so the stale request is refused.
        #expect(try h.run(["node", "rotate-request", "--dir", jf, "--out", "\(jf).stale.rotate.json"]).stdout.contains("signing from seq 7"))
        for name in ["node.next.key", "node.next.rotation.json"] { try FileManager.default.removeItem(atPath: "\(jf)/\(name)") }
        let resumed = try h.run(["node", "import", "--dir", jf, h.path("waiting.jsonl")])
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(try h.run(["node", "sync", "--dir", jf]).status == 0)
        let registryNow = try String(contentsOfFile: "\(h.hub)/nodes/410802.json", encoding: .utf8)
        let stale = try h.run(["hub", "rotate", "--dir", h.hub, "--out", h.path("stale.bundle.json"), "\(jf).stale.rotate.json"])
        #expect(stale.status != 0 && stale.output.contains("from seq 7, but the hub already holds its log up to seq 7")
                && stale.output.contains("make a new request"), "\(stale.output)")
        #expect(try String(contentsOfFile: "\(h.hub)/nodes/410802.json", encoding: .utf8) == registryNow, "nothing changed")
    }

    /// Protocol §10 on the vectors the Python reference made (`logs` in keylog.json): the CLI
    /// verifies each export under the vector registry's key history and agrees on every case —
    /// a log rotated mid-way is whole; the old key signing after the new one, a revoked key, and
    /// a key not the court's are refused at their seq.
    @Test func aRotatedCourtsWholeLogVerifiesUnderItsKeyHistory() throws {
        var h = try SyncHarness(); defer { h.remove() }
        let url = SyncHarness.packageRoot.appendingPathComponent("protocol/vectors/keylog.json")
        let doc = try StrictJSONParser.parse(Array(try Data(contentsOf: url)))
        guard case .object(let registry)? = doc["registry"], case .array(let logs)? = doc["logs"], logs.count == 6 else {
            Issue.record("keylog.json lacks registry or its six logs")
            return
        }
        try FileManager.default.createDirectory(atPath: h.path("registry"), withIntermediateDirectories: true)
        for (court, entry) in registry {
            try Data(CanonicalEncoder.encode(entry) + [0x0A]).write(to: URL(fileURLWithPath: h.path("registry/\(court).json")))
        }
        for (i, log) in logs.enumerated() {
            let name = log["name"]?.stringValue ?? ""
            let file = h.path("log\(i).jsonl")
            try (log["export"]?.stringValue ?? "").write(toFile: file, atomically: true, encoding: .utf8)
            let r = try h.run(["audit", "verify", "--registry", h.path("registry"), file])
            if log["ok"] == true {
                #expect(r.status == 0 && r.stdout.contains("ok: 4 events"), "\(name): \(r.output)")
            } else {
                let seq = log["seq"].flatMap { if case .int(let n) = $0 { return n } else { return nil } } ?? Int64(-1)
                let reason = log["error_contains"]?.stringValue ?? "?"
                #expect(r.status == 1 && r.stdout.contains("seq \(seq): ") && r.stdout.contains(reason), "\(name): \(r.output)")
            }
        }
        // The old key after the new one names both keys; a revoked key names the revocation's reason.
        let spliced = try h.run(["audit", "verify", "--registry", h.path("registry"), h.path("log1.jsonl")])
        #expect(spliced.stdout.contains("rotated out of node 410802") && spliced.stdout.contains("successor"), "\(spliced.output)")
        // The rotation's from_seq 3, exactly: the old key at seq 3 and the new key at seq 2 are refused.
        let oldAtBoundary = try h.run(["audit", "verify", "--registry", h.path("registry"), h.path("log2.jsonl")])
        #expect(oldAtBoundary.stdout.contains("seq 3: ") && oldAtBoundary.stdout.contains("rotated out of node 410802 from seq 3"), "\(oldAtBoundary.output)")
        let newEarly = try h.run(["audit", "verify", "--registry", h.path("registry"), h.path("log3.jsonl")])
        #expect(newEarly.stdout.contains("seq 2: ") && newEarly.stdout.contains("only from seq 3"), "\(newEarly.output)")
        let revoked = try h.run(["audit", "verify", "--registry", h.path("registry"), h.path("log4.jsonl")])
        #expect(revoked.stdout.contains("node.key lost with the 中站区 server's disk"), "\(revoked.output)")
        // A registry file whose public_key is not the last key of its history was edited by hand.
        guard case .object(var edited)? = registry["410802"] else { Issue.record("no 410802 in the vector registry"); return }
        edited["public_key"] = registry["410803"]?["public_key"]
        try FileManager.default.createDirectory(atPath: h.path("edited"), withIntermediateDirectories: true)
        try Data(CanonicalEncoder.encode(.object(edited)) + [0x0A]).write(to: URL(fileURLWithPath: h.path("edited/410802.json")))
        let handEdited = try h.run(["audit", "verify", "--registry", h.path("edited"), h.path("log0.jsonl")])
        #expect(handEdited.status != 0 && handEdited.output.contains("public_key is not the last key in keys"), "\(handEdited.output)")
        // audit replay refuses the same file before replaying anything.
        let replay = try h.run(["audit", "replay", "--registry", h.path("registry"), h.path("log1.jsonl")])
        #expect(replay.status != 0 && replay.output.contains("seq 4: ") && replay.output.contains("rotated out"), "\(replay.output)")
    }

    /// A hub made before the key log (no key-log table; its tree rebuilt from its events, as
    /// the transparency log's first version built it) gets record 1 and `legacy` records for
    /// what its registry holds the first time a command opens it, and the rules hold from then on.
    @Test func aHubMadeBeforeTheKeyLogGetsItWhenOpened() throws {
        var h = try SyncHarness(); defer { h.remove() }
        _ = try h.enrolledNode("410802")
        let zz = try h.enrolledNode("410803")
        #expect(try h.run(["hub", "revoke", "--dir", h.hub, "--reason", "lost", "410803"]).status == 0)
        let sql = """
            DROP TABLE keylog; DROP TABLE hub_witness; DELETE FROM grdb_migrations WHERE identifier IN ('v10-key-log', 'v11-hub-witnesses');
            DELETE FROM tlog_entry; DELETE FROM tlog_node; DELETE FROM tlog_checkpoint; UPDATE tlog_state SET covered_rowid = 0, size = 0;
            """
        #expect(try h.run(["sqlite3", "\(h.hub)/log.sqlite", sql], executable: "/usr/bin/env").status == 0)
        let audit = try h.run(["audit", "keys", "--hub", h.hub, "--out", h.path("registry")])
        #expect(audit.status == 0 && audit.stdout.contains("4 key-log records"), "\(audit.output)")
        let revoked = try String(contentsOfFile: h.path("registry/410803.json"), encoding: .utf8)
        let zzKey = try h.publicKey(zz)
        #expect(revoked.contains(#""status":"revoked""#) && revoked.contains(zzKey), "\(revoked)")
        let again = try h.run(["hub", "enroll", "--dir", h.hub, "--out", h.path("again.bundle.json"), "\(zz).request.json"])
        #expect(again.status != 0 && again.output.contains("never admitted again"), "\(again.output)")
    }

    @Test func aHandEditedRegistryFileDisagreesWithTheKeyLog() throws {
        var h = try SyncHarness(); defer { h.remove() }
        let jf = try h.enrolledNode("410802")
        let other = try h.enrolledNode("410803")
        #expect(try h.run(["audit", "keys", "--hub", h.hub, "--out", h.path("nodes")]).status == 0)
        #expect(try h.run(["audit", "keys", "--hub", h.hub, "--check", h.path("nodes")]).status == 0)
        // The Python reference regenerates the same files from nodes/keylog.jsonl (what CI runs).
        let tool = SyncHarness.packageRoot.appendingPathComponent("protocol/tools/make_registry.py").path
        let python = try h.run(["python3", tool, "--check", h.path("nodes")], executable: "/usr/bin/env")
        #expect(python.status == 0 && python.stdout.contains("3 courts, all as the key log says"), "\(python.output)")
        // Someone swaps 410802's key in the repository's nodes/ for another one.
        let file = h.path("nodes/410802.json")
        let edited = try String(contentsOfFile: file, encoding: .utf8).replacingOccurrences(of: try h.publicKey(jf), with: try h.publicKey(other))
        try edited.write(toFile: file, atomically: true, encoding: .utf8)
        let check = try h.run(["audit", "keys", "--hub", h.hub, "--check", h.path("nodes")])
        #expect(check.status != 0 && check.stdout.contains("DISAGREES: \(file) says public_key"), "\(check.output)")
        #expect(try h.run(["python3", tool, "--check", h.path("nodes")], executable: "/usr/bin/env").status == 1)
    }
}

extension SyncHarness {
    /// The node's public key (64 hex) from `node status`.
    func publicKey(_ dir: String) throws -> String {
        let json = try JSONSerialization.jsonObject(with: Data(try run(["node", "status", "--dir", dir, "--format", "json"]).stdout.utf8)) as? [String: Any]
        return try #require(json?["public_key"] as? String)
    }
}
