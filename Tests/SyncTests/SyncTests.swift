import Foundation
import Testing

/// A hub and nodes as separate processes on loopback, over real HTTPS with the hub's own CA.
@Suite("hub and sync over HTTPS", .serialized)
struct SyncTests {
    @Test func twoCourtsEnrollSyncAndAnswerQueriesOverHTTPS() throws {
        var h = try SyncHarness(); defer { h.remove() }
        try h.startHub()
        let jf = try h.enrolledNode("410802"), zz = try h.enrolledNode("410803")
        try h.record(jf, court: "410802", count: 10, online: 9)     // 9 of 10 online: 90.00%, missed (99%)
        try h.record(zz, court: "410803", count: 4, online: 4)      // 4 of 4: 100.00%, met
        for dir in [jf, zz] {
            let r = try h.run(["node", "sync", "--dir", dir])
            #expect(r.status == 0 && r.stdout.contains("lag 0"), "sync: \(r.output)")
        }
        #expect(try h.hubSeq("410802") == 10 && h.hubSeq("410803") == 4)
        // Each accepted batch left a receipt signed by the hub.
        let receipts = try String(contentsOfFile: "\(jf)/receipts.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(receipts.count == 1 && receipts[0].contains("courtsync/receipt/v1"))
        // The node pulled and verified the intermediate court's log (the signed plan).
        let status = try h.run(["node", "status", "--dir", jf])
        #expect(status.stdout.contains("received log of 410800"))
        // A node asks the hub; an auditor asks the hub.
        let asNode = try h.run(["query", "compliance", "--hub", "https://localhost:\(h.port)", "--dir", jf, "--period", "2022-09",
                                "--indicator", "1a", "--format", "json"])
        #expect(asNode.status == 0, "\(asNode.output)")
        let rows = try JSONSerialization.jsonObject(with: Data(asNode.stdout.utf8)) as? [[String: Any]] ?? []
        let jfRow = try #require(rows.first { $0["unit"] as? String == "410802" })
        #expect(jfRow["value"] as? String == "90.00%" && jfRow["status"] as? String == "missed")
        let city = try #require(rows.first { $0["unit"] as? String == "city" })
        #expect(city["numerator"] as? Int == 13 && city["denominator"] as? Int == 14)   // 9 + 4 of 10 + 4
        #expect(try h.run(["hub", "auditor", "add", "--dir", h.hub, "--out", h.path("alice.json"), "alice"]).status == 0)
        let asAuditor = try h.run(["query", "accountability", "--hub", "https://127.0.0.1:\(h.port)", "--auditor", h.path("alice.json"), "--period", "2022-09"])
        #expect(asAuditor.status == 0 && asAuditor.stdout.contains("解放区人民法院"), "\(asAuditor.output)")
        // The hub's incremental projections equal a replay from zero.
        h.stopHub()
        let replay = try h.run(["audit", "replay", "--dir", h.hub])
        #expect(replay.stdout.contains("(identical)"), "\(replay.output)")
    }

    @Test func anonymousUncertifiedAndUntrustedCallersAreRefused() throws {
        var h = try SyncHarness(); defer { h.remove() }
        try h.startHub()
        let jf = try h.enrolledNode("410802")
        #expect(try h.curl("/healthz").0 == 200)
        let metrics = try h.curl("/metrics")
        #expect(metrics.0 == 401 && metrics.1.contains("anonymous callers may read /healthz only"))
        #expect(try h.curl("/v1/nodes/410802/cursor").0 == 401)
        #expect(try h.curl("/metrics", node: jf).0 == 200)
        // A client that does not trust the hub's CA fails at the handshake (curl status 0).
        var other = try SyncHarness(); defer { other.remove() }
        #expect(try h.curl("/healthz", cacert: "\(other.hub)/tls/ca.pem").0 == 0)
        // A node whose bundle came from another hub cannot sync with this one.
        let stranger = try other.enrolledNode("410803")
        var bundle = try String(contentsOfFile: "\(stranger)/bundle.json", encoding: .utf8)
        bundle = bundle.replacingOccurrences(of: "https://localhost:\(other.port)", with: "https://localhost:\(h.port)")
        try bundle.write(toFile: "\(stranger)/bundle.json", atomically: true, encoding: .utf8)
        let r = try h.run(["node", "sync", "--dir", stranger])
        #expect(r.status != 0 && r.output.contains("TLS"), "\(r.output)")
        // Without a bundle at all, the node says what to do.
        let loose = h.path("loose")
        #expect(try h.run(["node", "init", "--dir", loose, "--court", "410804"]).status == 0)
        let noBundle = try h.run(["node", "sync", "--dir", loose])
        #expect(noBundle.status != 0 && noBundle.output.contains("has not joined a hub"))
    }

    @Test func aRevokedNodeIsRefused() throws {
        var h = try SyncHarness(); defer { h.remove() }
        try h.startHub()
        let jf = try h.enrolledNode("410802")
        try h.record(jf, court: "410802", count: 3, online: 3)
        #expect(try h.run(["hub", "revoke", "--dir", h.hub, "--reason", "the test revokes it", "410802"]).status == 0)
        let r = try h.run(["node", "sync", "--dir", jf])
        #expect(r.status != 0 && r.output.contains("revoked"), "\(r.output)")
        #expect(try h.hubSeq("410802") == 0)
    }

    @Test func pushesAreWholeOrNothingAndEveryRefusalSaysWhy() throws {
        var h = try SyncHarness(); defer { h.remove() }
        try h.startHub()
        let jf = try h.enrolledNode("410802"), zz = try h.enrolledNode("410803")
        try h.record(jf, court: "410802", count: 6, online: 6)
        try h.record(zz, court: "410803", count: 2, online: 2)
        #expect(try h.run(["node", "export", "--dir", jf, "--out", h.path("jf.jsonl")]).status == 0)
        #expect(try h.run(["node", "export", "--dir", zz, "--out", h.path("zz.jsonl")]).status == 0)
        let lines = try String(contentsOfFile: h.path("jf.jsonl"), encoding: .utf8).split(separator: "\n").map(String.init)
        func batch(_ name: String, _ l: [String]) throws -> String {
            try (l.joined(separator: "\n") + "\n").write(toFile: h.path(name), atomically: true, encoding: .utf8)
            return h.path(name)
        }
        let push = "/v1/nodes/410802/events"
        // One forged signature in the middle: the whole batch is refused, naming the seq.
        var forged = Array(lines[0..<4])
        let sig = try #require(forged[2].range(of: #""sig":""#))
        let i = forged[2].distance(from: forged[2].startIndex, to: sig.upperBound)
        var chars = Array(forged[2]); chars[i] = chars[i] == "a" ? "b" : "a"; forged[2] = String(chars)
        let refused = try h.curl(push, node: jf, method: "POST", bodyFile: try batch("forged.jsonl", forged))
        #expect(refused.0 == 422 && refused.1.contains("seq 3: bad signature"), "\(refused)")
        #expect(try h.hubSeq("410802") == 0)
        // A gap is refused with the cursor to resume from.
        let gap = try h.curl(push, node: jf, method: "POST", bodyFile: try batch("gap.jsonl", Array(lines[3..<5])))
        #expect(gap.0 == 409 && gap.1.contains(#""cursor":0"#) && gap.1.contains("resume from seq 1"), "\(gap)")
        // A batch sent twice is stored once.
        let first = try h.curl(push, node: jf, method: "POST", bodyFile: try batch("b1.jsonl", Array(lines[0..<3])))
        let again = try h.curl(push, node: jf, method: "POST", bodyFile: h.path("b1.jsonl"))
        #expect(first.0 == 200 && first.1.contains(#""stored":3"#), "\(first)")
        #expect(again.0 == 200 && again.1.contains(#""stored":0"#), "\(again)")
        #expect(try h.hubSeq("410802") == 3)
        // A node pushes only its own court's log: not to another court's path, not another court's events.
        let otherPath = try h.curl("/v1/nodes/410803/events", node: jf, method: "POST", bodyFile: h.path("zz.jsonl"))
        #expect(otherPath.0 == 403 && otherPath.1.contains("may push only its own log"), "\(otherPath)")
        let otherEvents = try h.curl(push, node: jf, method: "POST", bodyFile: h.path("zz.jsonl"))
        #expect(otherEvents.0 == 403 && otherEvents.1.contains("carries events of node 410803"), "\(otherEvents)")
        // Malformed JSON.
        let malformed = try h.curl(push, node: jf, method: "POST", bodyFile: try batch("bad.jsonl", ["{\"seq\": 4, oops"]))
        #expect(malformed.0 == 400 && malformed.1.contains("line 1"), "\(malformed)")
        // Over the documented limit: 413.
        let big = h.path("big.jsonl")
        #expect(FileManager.default.createFile(atPath: big, contents: Data(repeating: 0x20, count: 9 * 1024 * 1024)))
        #expect(try h.curl(push, node: jf, method: "POST", bodyFile: big).0 == 413)
        #expect(try h.hubSeq("410802") == 3)
        // The refusals are counted by reason.
        let metrics = try h.curl("/metrics", node: jf).1
        for reason in ["invalid", "gap", "wrong-court", "malformed", "too-large"] {
            #expect(metrics.contains("courtsync_batches_refused_total{reason=\"\(reason)\"}"), "metrics lack \(reason)")
        }
    }

    @Test func aForkIsRefusedAndRaisedAsAnAlarm() throws {
        var h = try SyncHarness(); defer { h.remove() }
        try h.startHub()
        let jf = try h.enrolledNode("410802")
        try h.record(jf, court: "410802", count: 1, online: 1)
        // A copy of the node (same key, same certificate) that then records something else:
        // two different logs claiming the same seqs.
        let twin = h.path("twin"), sameLength = h.path("same-length")
        #expect(try h.run(["/bin/cp", "-a", jf, twin], executable: "/usr/bin/env").status == 0)
        #expect(try h.run(["/bin/cp", "-a", jf, sameLength], executable: "/usr/bin/env").status == 0)
        try h.record(jf, court: "410802", count: 2, online: 2, from: 100)
        try h.record(twin, court: "410802", count: 3, online: 0, from: 200)   // seqs 2-4, the hub holds 1-3
        #expect(try h.run(["node", "sync", "--dir", jf]).status == 0)
        let r = try h.run(["node", "sync", "--dir", twin])
        #expect(r.status != 0 && r.output.contains("fork"), "\(r.output)")
        #expect(try h.hubSeq("410802") == 3)
        let status = try h.run(["hub", "status", "--dir", h.hub])
        #expect(status.stdout.contains("alarms: 1") && status.stdout.contains("ALARM fork node 410802 seq 4"), "\(status.output)")
        #expect(try h.curl("/metrics", node: jf).1.contains("courtsync_alarms 1"))
        // A fork exactly as long as what the hub holds (nothing new to push) is found too.
        try h.record(sameLength, court: "410802", count: 2, online: 1, from: 300)   // seqs 2-3
        let r2 = try h.run(["node", "sync", "--dir", sameLength])
        #expect(r2.status != 0 && r2.output.contains("fork"), "\(r2.output)")
        #expect(try h.run(["hub", "status", "--dir", h.hub]).stdout.contains("alarms: 2"))
    }

    @Test func aForgedBatchWithBrokenLinksIsRefusedAndRaisesNoAlarm() throws {
        var h = try SyncHarness(); defer { h.remove() }
        try h.startHub()
        let jf = try h.enrolledNode("410802")
        try h.record(jf, court: "410802", count: 2, online: 2)
        #expect(try h.run(["node", "sync", "--dir", jf]).status == 0)
        // Someone holding 410802's TLS key but not its event key: a line whose prev is wrong and
        // whose signature is not 410802's (another court's key signs it). That is no evidence of
        // a fork, only a forgery: 422, and no alarm against the court.
        let forger = h.path("forger")
        #expect(try h.run(["node", "init", "--dir", forger, "--court", "410802"]).status == 0)
        try h.record(forger, court: "410802", count: 3, online: 1, from: 500)
        #expect(try h.run(["node", "export", "--dir", forger, "--out", h.path("forged.jsonl")]).status == 0)
        let forged = try String(contentsOfFile: h.path("forged.jsonl"), encoding: .utf8).split(separator: "\n").map(String.init)
        try (forged[2] + "\n").write(toFile: h.path("seq3.jsonl"), atomically: true, encoding: .utf8)
        for _ in 0..<5 {
            let r = try h.curl("/v1/nodes/410802/events", node: jf, method: "POST", bodyFile: h.path("seq3.jsonl"))
            #expect(r.0 == 422 && r.1.contains("bad signature"), "\(r)")
        }
        let status = try h.run(["hub", "status", "--dir", h.hub])
        #expect(status.stdout.contains("alarms: 0"), "\(status.output)")
        #expect(try h.hubSeq("410802") == 2)
        // A real fork (validly signed, conflicting) still raises one alarm, with its evidence.
        let twin = h.path("twin")
        #expect(try h.run(["/bin/cp", "-a", jf, twin], executable: "/usr/bin/env").status == 0)
        try h.record(jf, court: "410802", count: 1, online: 1, from: 100)
        try h.record(twin, court: "410802", count: 2, online: 0, from: 200)
        #expect(try h.run(["node", "sync", "--dir", jf]).status == 0)
        #expect(try h.run(["node", "sync", "--dir", twin]).status != 0)
        let after = try h.run(["hub", "status", "--dir", h.hub])
        #expect(after.stdout.contains("alarms: 1") && after.stdout.contains("evidence (the conflicting event, validly signed): {"), "\(after.output)")
    }

    @Test func aCourtsKeyIsNeverSwappedSilentlyAndARevokedKeyNeverReturns() throws {
        var h = try SyncHarness(); defer { h.remove() }
        let jf = try h.enrolledNode("410802")
        // A second node for the same court asks to enroll: refused while 410802 is active.
        let usurper = h.path("usurper")
        #expect(try h.run(["node", "init", "--dir", usurper, "--court", "410802"]).status == 0)
        #expect(try h.run(["node", "enroll-request", "--dir", usurper, "--out", h.path("usurper.request.json")]).status == 0)
        let swap = try h.run(["hub", "enroll", "--dir", h.hub, "--out", h.path("usurper.bundle.json"), h.path("usurper.request.json")])
        #expect(swap.status != 0 && swap.output.contains("already enrolled") && swap.output.contains("rotation signed by the old key"), "\(swap.output)")
        #expect(!FileManager.default.fileExists(atPath: h.path("usurper.bundle.json")), "no bundle for a refused enrollment")
        let registry = try String(contentsOfFile: "\(h.hub)/nodes/410802.json", encoding: .utf8)
        let original = try String(contentsOfFile: "\(jf).request.json", encoding: .utf8)
        let key = try #require(original.range(of: #""node_public_key":"[0-9a-f]{64}""#, options: .regularExpression).map { String(original[$0].dropFirst(19).dropLast()) })
        #expect(registry.contains(key), "the registry still holds the original key")
        // After an explicit revocation a new key may enroll, but the revoked key never again.
        #expect(try h.run(["hub", "revoke", "--dir", h.hub, "--reason", "node.key lost", "410802"]).status == 0)
        let again = try h.run(["hub", "enroll", "--dir", h.hub, "--out", h.path("again.bundle.json"), "\(jf).request.json"])
        #expect(again.status != 0 && again.output.contains("was revoked") && again.output.contains("never admitted again"), "\(again.output)")
        let replaced = try h.run(["hub", "enroll", "--dir", h.hub, "--out", h.path("usurper.bundle.json"), h.path("usurper.request.json")])
        #expect(replaced.status == 0, "\(replaced.output)")
    }

    @Test func killingTheHubMidBatchAndTheNodeMidSyncLosesNothingAndStoresNothingTwice() throws {
        var h = try SyncHarness(); defer { h.remove() }
        try h.startHub()
        let jf = try h.enrolledNode("410802")
        try h.record(jf, court: "410802", count: 30_000, online: 29_000)
        // kill -9 the hub while the node pushes.
        let sync = try startSync(jf)
        usleep(1_500_000)
        h.stopHub(signal: SIGKILL)
        sync.waitUntilExit()
        let partial = try h.hubSeq("410802")
        #expect(partial < 30_000, "the hub was killed before the sync finished")
        #expect(partial % 500 == 0, "the hub holds \(partial): not a whole number of batches")
        // kill -9 the node mid-sync.
        try h.startHub()
        let sync2 = try startSync(jf)
        usleep(1_000_000)
        kill(sync2.processIdentifier, SIGKILL)
        sync2.waitUntilExit()
        let r = try h.run(["node", "sync", "--dir", jf])
        #expect(r.status == 0 && r.stdout.contains("hub holds seq 30000 of 30000 (lag 0)"), "\(r.output)")
        h.stopHub()
        let verify = try h.run(["audit", "verify", "--public-key", try publicKey(jf, h), "--court", "410802", try exportFromHub(h)])
        #expect(verify.status == 0 && verify.stdout.contains("ok: 30000 events"), "\(verify.output)")
    }

    /// `node sync` in batches of 500, left running (to be killed).
    func startSync(_ dir: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: SyncHarness.binary)
        p.arguments = ["node", "sync", "--dir", dir, "--batch", "500"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    func publicKey(_ dir: String, _ h: SyncHarness) throws -> String {
        let json = try JSONSerialization.jsonObject(with: Data(try h.run(["node", "status", "--dir", dir, "--format", "json"]).stdout.utf8)) as? [String: Any]
        return json?["public_key"] as? String ?? ""
    }

    /// The hub's copy of 410802's log, exported.
    func exportFromHub(_ h: SyncHarness) throws -> String {
        let out = h.path("hub-410802.jsonl")
        #expect(try h.run(["node", "export", "--dir", h.hub, "--court", "410802", "--out", out]).status == 0)
        return out
    }

    @Test func aConnectionCutMidRequestIsRetriedWithoutLossOrDuplicates() throws {
        var h = try SyncHarness(); defer { h.remove() }
        try h.startHub()
        let jf = try h.enrolledNode("410802")
        try h.record(jf, court: "410802", count: 3_000, online: 3_000)
        // A relay that forwards to the hub and cuts every connection after 40 kB from the client.
        let relayPort = SyncHarness.freePort()
        let relay = Process()
        relay.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        relay.arguments = ["python3", SyncHarness.packageRoot.appendingPathComponent("Tests/SyncTests/cut_relay.py").path,
                           "\(relayPort)", "\(h.port)", "40000"]
        try relay.run()
        // SIGKILL: the test runner starts children with SIGTERM ignored.
        defer { kill(relay.processIdentifier, SIGKILL); relay.waitUntilExit() }
        for _ in 0..<100 where !SyncHarness.canConnect(relayPort) { usleep(50_000) }
        let bundle = "\(jf)/bundle.json"
        let original = try String(contentsOfFile: bundle, encoding: .utf8)
        try original.replacingOccurrences(of: ":\(h.port)", with: ":\(relayPort)").write(toFile: bundle, atomically: true, encoding: .utf8)
        let cut = try h.run(["node", "sync", "--dir", jf])
        #expect(cut.status != 0 && (cut.output.contains("cut") || cut.output.contains("cannot reach") || cut.output.contains("failed")), "\(cut.output)")
        let held = try h.hubSeq("410802")
        #expect(held % 2000 == 0, "a cut batch must be stored whole or not at all: hub holds \(held)")
        try original.write(toFile: bundle, atomically: true, encoding: .utf8)
        let r = try h.run(["node", "sync", "--dir", jf])
        #expect(r.status == 0 && r.stdout.contains("hub holds seq 3000 of 3000"), "\(r.output)")
    }

    @Test func aNodeOfflineForLongCatchesUpItsWholeBacklog() throws {
        var h = try SyncHarness(); defer { h.remove() }
        let jf = try h.enrolledNode("410802")
        // The hub is down: sync fails clearly, and the node keeps recording.
        let down = try h.run(["node", "sync", "--dir", jf])
        #expect(down.status != 0 && down.output.contains("cannot reach the hub"), "\(down.output)")
        try h.record(jf, court: "410802", count: 100_000, online: 99_000)
        try h.startHub()
        let r = try h.run(["node", "sync", "--dir", jf])
        #expect(r.status == 0 && r.stdout.contains("pushed 100000 new events") && r.stdout.contains("lag 0"), "\(r.output)")
        #expect(try h.hubSeq("410802") == 100_000)
    }

    @Test func sigtermStopsTheHubGracefully() throws {
        var h = try SyncHarness(); defer { h.remove() }
        try h.startHub()
        let p = try #require(h.server)
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        #expect(p.terminationReason == .exit && p.terminationStatus == 0)
        h.server = nil
        // And a port in use is named.
        try h.startHub()
        let second = try h.run(["hub", "serve", "--dir", h.hub, "--host", "127.0.0.1"])
        #expect(second.status != 0 && second.output.contains("port \(h.port) is already in use"), "\(second.output)")
    }
}
