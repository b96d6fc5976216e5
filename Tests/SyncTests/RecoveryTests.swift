import Foundation
import Testing

/// A hub restored from an old backup recovers exactly (protocol §16.13): an auditor's mirror of
/// its tiles rebuilds its tree to the checkpoint its witnesses cosigned, courts re-push, and every
/// node continues. Real processes on loopback.
@Suite("hub recovery from a mirror", .serialized)
struct RecoveryTests {
    func copyDirectory(_ from: String, _ to: String) throws {
        try? FileManager.default.removeItem(atPath: to)
        try FileManager.default.copyItem(atPath: from, toPath: to)
    }

    /// Every node syncs twice: the second round has each cosign the same latest checkpoint.
    func syncAll(_ h: SyncHarness, _ nodes: [String]) throws {
        for _ in 0..<2 {
            for dir in nodes {
                // 马村区's node keeps its own mirror of the hub's tiles.
                let r = try h.run(["node", "sync", "--dir", dir] + (dir.hasSuffix("410804") ? ["--mirror"] : []))
                #expect(r.status == 0, "sync \(dir): \(r.output)")
            }
        }
    }

    func digest(_ h: SyncHarness, _ dir: String) throws -> String {
        let r = try h.run(["audit", "replay", "--dir", dir])
        #expect(r.status == 0, "replay: \(r.output)")
        return r.stdout.split(separator: "\n").first { $0.hasPrefix("projection digest") }.map(String.init) ?? "none"
    }

    func oneLineRefusal(_ r: SyncHarness.Result, _ expected: String) {
        #expect(r.status != 0 && r.output.contains(expected), "expected a refusal naming '\(expected)': \(r.output)")
        #expect(r.output.split(separator: "\n").filter { !$0.isEmpty }.count == 1, "one line: \(r.output)")
    }

    @Test func aHubRestoredFromBackupRecoversFromAMirrorToTheWitnessedTree() throws {
        var h = try SyncHarness(); defer { h.remove() }
        try h.startHub()
        let key = try #require(try h.hubStatus(h.hub)["checkpoint_verifier_key"] as? String)
        let jf = try h.enrolledNode("410802"), zz = try h.enrolledNode("410803"), mc = try h.enrolledNode("410804")
        try h.record(jf, court: "410802", count: 3, online: 3)
        try h.record(zz, court: "410803", count: 2, online: 1)
        try syncAll(h, [jf, zz, mc])
        let mirror = h.path("mirror")
        let mirrorArgs = ["audit", "mirror", "--hub", "https://localhost:\(h.port)", "--ca", "\(h.hub)/tls/ca.pem", "--out", mirror]
        let first = try h.run(mirrorArgs + ["--key", key])
        #expect(first.status == 0 && first.stdout.contains("witnessed checkpoint of size"), "mirror: \(first.output)")

        // The operator's nightly backup (taken while the hub serves); then the day goes on:
        // pushes, a threshold, a new court.
        let backupFile = h.path("hub.courtsync-backup"), backup = h.path("hub-backup")
        let backedUp = try h.run(["node", "backup", "--dir", h.hub, "--out", backupFile])
        #expect(backedUp.status == 0, "hub backup: \(backedUp.output)")
        #expect(try h.run(["node", "restore", "--dir", backup, backupFile]).status == 0)
        let jfBefore = h.path("410802-before")
        try copyDirectory(jf, jfBefore)
        let set = try h.run(["node", "append", "--dir", h.hub, "--type", "threshold.set", "indicator=online-filing", "per_10k=9000",
                             "effective=2022-09-01", "document=焦中法〔2022〕99号", "--at", "2022-09-20T09:00:00+08:00"])
        #expect(set.status == 0, "threshold.set: \(set.output)")
        let sy = try h.enrolledNode("410811")
        try h.record(jf, court: "410802", count: 3, online: 1, from: 4)
        try h.record(zz, court: "410803", count: 2, online: 2, from: 3)
        try h.record(sy, court: "410811", count: 2, online: 2)
        try syncAll(h, [jf, zz, mc, sy])
        // The mirror follows incrementally (the key it was made with is kept beside it).
        let second = try h.run(mirrorArgs)
        #expect(second.status == 0 && second.stdout.contains("from "), "mirror again: \(second.output)")
        let witnessed = try String(contentsOfFile: "\(mirror)/v1/checkpoint/witnessed", encoding: .utf8)
        let mirrored = try String(contentsOfFile: "\(mirror)/checkpoint", encoding: .utf8)
        let lines = mirrored.split(separator: "\n")
        let (size, root) = (Int(lines[1]) ?? -1, String(lines[2]))
        #expect(witnessed.hasPrefix(lines.prefix(3).joined(separator: "\n")), "the latest checkpoint is the witnessed one:\n\(witnessed)\n\(mirrored)")
        let nodeMirror = try String(contentsOfFile: "\(mc)/mirror/checkpoint", encoding: .utf8)
        #expect(nodeMirror == (try String(contentsOfFile: "\(mc)/checkpoint", encoding: .utf8)), "the node mirrors the checkpoint it holds")
        h.stopHub()
        let intact = h.path("hub-intact")
        try copyDirectory(h.hub, intact)

        // The disk dies; the hub is restored from the backup. Nodes refuse it, as before.
        try FileManager.default.removeItem(atPath: h.hub)
        let restored = try h.run(["node", "restore", "--dir", h.hub, backupFile])
        #expect(restored.status == 0, "hub restore: \(restored.output)")
        try h.startHub()
        let refused = try h.run(["node", "sync", "--dir", jf])
        #expect(refused.status != 0 && refused.output.contains("refusing the hub"), "\(refused.output)")
        h.stopHub()
        let heldSize = try #require(try h.hubStatus(h.hub)["tree_size"] as? Int)

        // Wrong mirrors are refused in one line, and change nothing.
        let other = h.path("other-hub"), twin = h.path("twin-hub")
        #expect(try h.run(["hub", "init", "--dir", other, "--host", "other.example"]).status == 0)
        #expect(try h.run(["hub", "init", "--dir", twin]).status == 0)   // same origin (localhost), another key
        func wrongMirror(_ name: String, _ change: (String) throws -> Void) throws -> String {
            let dir = h.path(name)
            try copyDirectory(mirror, dir)
            try change(dir)
            return dir
        }
        let otherOrigin = try wrongMirror("mirror-other") { dir in
            try (try h.hubStatus(other)["checkpoint"] as? String ?? "").write(toFile: "\(dir)/checkpoint", atomically: true, encoding: .utf8)
        }
        oneLineRefusal(try h.run(["hub", "recover", "--dir", h.hub, "--mirror", otherOrigin]), "not of this hub's")
        let otherKey = try wrongMirror("mirror-twin") { dir in
            try (try h.hubStatus(twin)["checkpoint"] as? String ?? "").write(toFile: "\(dir)/checkpoint", atomically: true, encoding: .utf8)
        }
        oneLineRefusal(try h.run(["hub", "recover", "--dir", h.hub, "--mirror", otherKey]), "not signed by this hub's checkpoint key")
        let altered = try wrongMirror("mirror-altered") { dir in
            // The one (partial) entry bundle of the tree the checkpoint names: its last entry's last byte.
            let bundle = URL(fileURLWithPath: "\(dir)/tile/entries/000.p/\(size)")
            var bytes = try Data(contentsOf: bundle)
            bytes[bytes.count - 1] ^= 0x01
            try bytes.write(to: bundle)
        }
        oneLineRefusal(try h.run(["hub", "recover", "--dir", h.hub, "--mirror", altered]), "do not make the root of its checkpoint")
        // A restored hub that went on alone (410800 appended after the restore) is not a prefix.
        let forked = h.path("hub-forked")
        try copyDirectory(backup, forked)
        #expect(try h.run(["node", "append", "--dir", forked, "--type", "threshold.set", "indicator=online-filing", "per_10k=5000",
                           "effective=2022-09-01", "document=焦中法〔2022〕98号", "--at", "2022-09-21T09:00:00+08:00"]).status == 0)
        _ = try h.hubStatus(forked)
        oneLineRefusal(try h.run(["hub", "recover", "--dir", forked, "--mirror", mirror]), "split view")
        #expect(try h.hubStatus(h.hub)["tree_size"] as? Int == heldSize, "a refused recovery changes nothing")

        // Recovery: the tree back to the mirror's checkpoint; events owed by their courts.
        let recovered = try h.run(["hub", "recover", "--dir", h.hub, "--mirror", mirror])
        #expect(recovered.status == 0 && recovered.stdout.contains("recovered the tree from \(heldSize) to \(size) entries"), "\(recovered.output)")
        #expect(recovered.stdout.contains("410802 owes seq 4…6") && recovered.stdout.contains("410800 owes seq"), "\(recovered.output)")
        let owing = try h.hubStatus(h.hub)
        #expect((owing["owed"] as? [[String: Any]])?.count == 4, "410800, 410802, 410803, 410811 owe: \(owing["owed"] ?? "")")
        let query = try h.run(["query", "compliance", "--dir", h.hub, "--period", "2022-09"])
        #expect(query.status != 0 && query.output.contains("incomplete"), "queries refuse while events are owed: \(query.output)")
        // 410800 may not append while its own lost events are owed.
        let append = try h.run(["node", "append", "--dir", h.hub, "--type", "threshold.set", "indicator=online-filing", "per_10k=5000",
                                "effective=2022-09-01", "document=焦中法〔2022〕98号", "--at", "2022-09-21T09:00:00+08:00"])
        #expect(append.status != 0 && append.output.contains("--policy-from"), "\(append.output)")
        // Over HTTPS too: ask again later (the courts re-push at their next sync).
        try h.startHub()
        let remote = try h.run(["query", "compliance", "--hub", "https://localhost:\(h.port)", "--dir", zz, "--period", "2022-09"])
        #expect(remote.status != 0 && remote.output.contains("503") && remote.output.contains("incomplete"), "\(remote.output)")
        h.stopHub()
        let policy = try h.run(["hub", "recover", "--dir", h.hub, "--mirror", mirror, "--policy-from", mc])
        #expect(policy.status == 0 && policy.stdout.contains("restored 1 of 410800's own events"), "\(policy.output)")

        // Nodes continue with no refusal and re-push what the hub lost; a node whose log differs is refused.
        try h.startHub()
        let differs = try h.run(["node", "sync", "--dir", jfBefore])
        #expect(differs.status == 0, "a node that saw only the backup's tree continues: \(differs.output)")
        try h.record(jfBefore, court: "410802", count: 1, online: 0, from: 40)
        let other4 = try h.run(["node", "sync", "--dir", jfBefore])
        #expect(other4.status != 0 && other4.output.contains("recovered from a mirror"), "\(other4.output)")
        try syncAll(h, [jf, zz, mc, sy])
        let complete = try h.hubStatus(h.hub)
        #expect((complete["owed"] as? [Any])?.isEmpty == true, "\(complete["owed"] ?? "")")
        let note = try #require(complete["checkpoint"] as? String)
        #expect(complete["tree_size"] as? Int == size && note.split(separator: "\n")[2] == root, "the tree is the one the witnesses cosigned:\n\(note)")
        h.stopHub()
        #expect(try digest(h, h.hub) == digest(h, intact), "same projections as a hub that never lost anything")
        let query2 = try h.run(["query", "compliance", "--dir", h.hub, "--period", "2022-09"])
        #expect(query2.status == 0, "\(query2.output)")

        // New events go after the last restored entry.
        try h.startHub()
        try h.record(jf, court: "410802", count: 1, online: 1, from: 7)
        #expect(try h.run(["node", "sync", "--dir", jf]).status == 0)
        #expect(try h.hubStatus(h.hub)["tree_size"] as? Int == size + 1)
    }
}
