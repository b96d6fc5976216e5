import Foundation
import Testing

/// `hub recover` when the hub's log is in PostgreSQL (protocol §16.13): the database is lost and
/// made again empty; an auditor's mirror of the tiles rebuilds the tree in one transaction, the
/// courts re-push, and the hub ends as it was. Real processes on loopback and a private cluster.
@Suite("hub recovery from a mirror on PostgreSQL", .serialized)
struct PostgresRecoveryTests {
    func oneLineRefusal(_ r: SyncHarness.Result, _ expected: String) {
        #expect(r.status != 0 && r.output.contains(expected), "expected a refusal naming '\(expected)': \(r.output)")
        #expect(r.output.split(separator: "\n").filter { !$0.isEmpty }.count == 1, "one line: \(r.output)")
    }

    /// Drops the hub's database and makes it again, empty (the disk that held it died).
    func remake(_ database: String) throws {
        let cut = try #require(database.range(of: "/", options: .backwards))
        let name = String(database[cut.upperBound...]), server = String(database[..<cut.lowerBound])
        try PostgresCluster.psql(server + "/postgres", "DROP DATABASE \(name) WITH (FORCE)")
        try PostgresCluster.psql(server + "/postgres", "CREATE DATABASE \(name)")
    }

    /// What the database holds, row for row: every court's events and the tree's entries.
    func contents(_ database: String) throws -> String {
        try PostgresCluster.psql(database, "SELECT court, seq, encode(hash, 'hex') FROM event ORDER BY court, seq") + "\n"
            + PostgresCluster.psql(database, "SELECT idx, court, seq, encode(entry, 'hex') FROM tlog_entry ORDER BY idx")
    }

    func digest(_ h: SyncHarness) throws -> String {
        let r = try h.run(["audit", "replay", "--dir", h.hub])
        #expect(r.status == 0, "replay: \(r.output)")
        return r.stdout.split(separator: "\n").first { $0.hasPrefix("projection digest") }.map(String.init) ?? "none"
    }

    /// Polls `condition` until it holds, for at most 60 s.
    func waitUntil(_ what: String, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if try condition() { return }
            usleep(50_000)
        }
        Issue.record("waited 60 s for \(what)")
        throw PostgresCluster.ClusterError(description: "timed out waiting for \(what)")
    }

    /// `hub recover` killed with SIGKILL inside its one transaction, after it wrote the tree's
    /// entries and nodes and before it stored the checkpoint: nothing of it stays, and running it
    /// again ends with the tree and the projections the hub had.
    @Test func aRecoveryKilledWhileItRebuildsLeavesTheDatabaseEmptyAndRunsAgainToTheSameTree() throws {
        let database = try PostgresCluster.database()
        var h = try SyncHarness(database: database); defer { h.remove() }
        try h.startHub()
        let key = try #require(try h.hubStatus(h.hub)["checkpoint_verifier_key"] as? String)
        let jf = try h.enrolledNode("410802")
        try h.record(jf, court: "410802", count: 40, online: 25)
        #expect(try h.run(["node", "sync", "--dir", jf]).status == 0)
        let mirror = h.path("mirror")
        let mirrored = try h.run(["audit", "mirror", "--hub", "https://localhost:\(h.port)", "--ca", "\(h.hub)/tls/ca.pem", "--out", mirror, "--key", key])
        #expect(mirrored.status == 0, "mirror: \(mirrored.output)")
        h.stopHub()
        let before = try h.hubStatus(h.hub)
        let size = try #require(before["tree_size"] as? Int)
        let root = try #require((before["checkpoint"] as? String)?.split(separator: "\n")[2])
        let original = try contents(database)
        let originalDigest = try digest(h)

        try remake(database)
        // A recovery refused before it writes (no mirror there) makes the tables, and nothing else.
        oneLineRefusal(try h.run(["hub", "recover", "--dir", h.hub, "--mirror", h.path("no-mirror")]), "holds no checkpoint")
        let empty = "SELECT (SELECT size FROM tlog_state), (SELECT COUNT(*) FROM tlog_entry), (SELECT COUNT(*) FROM tlog_node), "
            + "(SELECT COUNT(*) FROM tlog_checkpoint), (SELECT COUNT(*) FROM keylog), (SELECT COUNT(*) FROM court_log), (SELECT COUNT(*) FROM event)"
        #expect(try PostgresCluster.psql(database, empty) == "0|0|0|0|0|0|0")

        // Another session holds tlog_checkpoint, so the recovery stops at its last step, the
        // checkpoint's row, with the tree written in its open transaction.
        let blocker = try PsqlSession(database)
        blocker.send("BEGIN;\nLOCK TABLE tlog_checkpoint IN EXCLUSIVE MODE;")
        try waitUntil("the other session's lock on tlog_checkpoint") {
            try PostgresCluster.psql(database, "SELECT COUNT(*) FROM pg_locks WHERE relation = 'tlog_checkpoint'::regclass AND mode = 'ExclusiveLock' AND granted") == "1"
        }
        let recovering = Process()
        recovering.executableURL = URL(fileURLWithPath: SyncHarness.binary)
        recovering.arguments = ["hub", "recover", "--dir", h.hub, "--mirror", mirror]
        recovering.currentDirectoryURL = URL(fileURLWithPath: h.root)
        recovering.standardInput = FileHandle.nullDevice
        recovering.standardOutput = FileHandle.nullDevice
        recovering.standardError = FileHandle.nullDevice
        try recovering.run()
        // Its backend has written (it has a transaction id) and waits for tlog_checkpoint.
        try waitUntil("hub recover's transaction, its tree written, waiting to store the checkpoint") {
            try PostgresCluster.psql(database, """
                SELECT COUNT(*) FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
                WHERE l.relation = 'tlog_checkpoint'::regclass AND NOT l.granted AND a.backend_xid IS NOT NULL AND a.state = 'active'
                """) == "1"
        }
        kill(recovering.processIdentifier, SIGKILL)
        recovering.waitUntilExit()
        #expect(recovering.terminationReason == .uncaughtSignal)
        blocker.send("COMMIT;")
        try blocker.end()
        // The server ends the dead client's backend, rolling its transaction back.
        try waitUntil("the killed recovery's backend to end") {
            try PostgresCluster.psql(database, "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()") == "0"
        }
        #expect(try PostgresCluster.psql(database, empty) == "0|0|0|0|0|0|0", "nothing of the killed recovery stays")

        // Run again: the same tree; the court re-pushes; the same database and projections.
        let recovered = try h.run(["hub", "recover", "--dir", h.hub, "--mirror", mirror])
        #expect(recovered.status == 0 && recovered.stdout.contains("recovered the tree from 0 to \(size) entries"), "\(recovered.output)")
        #expect(recovered.stdout.contains("410802 owes seq 1…40"), "\(recovered.output)")
        let owing = try h.hubStatus(h.hub)
        #expect(owing["tree_size"] as? Int == size && (owing["checkpoint"] as? String)?.split(separator: "\n")[2] == root, "the same tree as before the loss")
        let refused = try h.run(["query", "compliance", "--dir", h.hub, "--period", "2022-09", "--format", "json"])
        #expect(refused.status != 0 && refused.output.contains("incomplete"), "queries refuse while events are owed: \(refused.output)")
        try h.startHub()
        let synced = try h.run(["node", "sync", "--dir", jf])
        #expect(synced.status == 0 && synced.stdout.contains("lag 0"), "\(synced.output)")
        h.stopHub()
        #expect(try contents(database) == original, "the database holds the same events and the same tree as before the loss")
        #expect(try digest(h) == originalDigest, "the same projections as before the loss")
    }

    @Test func aHubWhoseDatabaseWasLostRecoversFromAMirrorToTheSameTreeAndProjections() throws {
        let database = try PostgresCluster.database()
        var h = try SyncHarness(database: database); defer { h.remove() }
        try h.startHub()
        let key = try #require(try h.hubStatus(h.hub)["checkpoint_verifier_key"] as? String)
        let jf = try h.enrolledNode("410802"), zz = try h.enrolledNode("410803")
        try h.record(jf, court: "410802", count: 30, online: 20)
        try h.record(zz, court: "410803", count: 12, online: 5)
        // Twice: the second round has each node cosign the latest checkpoint (a witnessed one).
        for _ in 0..<2 {
            for dir in [jf, zz] { #expect(try h.run(["node", "sync", "--dir", dir]).status == 0) }
        }
        let mirror = h.path("mirror")
        let mirrored = try h.run(["audit", "mirror", "--hub", "https://localhost:\(h.port)", "--ca", "\(h.hub)/tls/ca.pem", "--out", mirror, "--key", key])
        #expect(mirrored.status == 0, "mirror: \(mirrored.output)")
        func compliance(_ auditor: String, port: Int) throws -> SyncHarness.Result {
            try h.run(["query", "compliance", "--hub", "https://localhost:\(port)", "--auditor", h.path(auditor), "--period", "2022-09", "--format", "json"])
        }
        #expect(try h.run(["hub", "auditor", "add", "--dir", h.hub, "--out", h.path("alice.json"), "alice"]).status == 0)
        let originalAnswer = try compliance("alice.json", port: h.port)
        #expect(originalAnswer.status == 0 && originalAnswer.stdout.contains("410802"), "\(originalAnswer.output)")
        h.stopHub()
        let before = try h.hubStatus(h.hub)
        let size = try #require(before["tree_size"] as? Int)
        let root = try #require((before["checkpoint"] as? String)?.split(separator: "\n")[2])
        let original = try contents(database)
        let originalDigest = try digest(h)
        let query = ["query", "compliance", "--dir", h.hub, "--period", "2022-09", "--format", "json"]
        let originalLocal = try h.run(query)
        #expect(originalLocal.status == 0, "\(originalLocal.output)")

        // The database server's disk dies: the database is made again, empty.
        try remake(database)
        func unchanged(_ what: String) throws {
            #expect(try PostgresCluster.psql(database, "SELECT (SELECT size FROM tlog_state), (SELECT COUNT(*) FROM keylog), (SELECT COUNT(*) FROM event)") == "0|0|0",
                    "a refused recovery (\(what)) changes nothing")
        }

        // Wrong mirrors are refused in one line, and the database stays empty.
        func wrongMirror(_ name: String, _ change: (String) throws -> Void) throws -> String {
            let dir = h.path(name)
            try FileManager.default.copyItem(atPath: mirror, toPath: dir)
            try change(dir)
            return dir
        }
        let other = h.path("other-hub")
        #expect(try h.run(["hub", "init", "--dir", other, "--host", "other.example"]).status == 0)
        let otherHub = try wrongMirror("mirror-other") { dir in
            try (try h.hubStatus(other)["checkpoint"] as? String ?? "").write(toFile: "\(dir)/checkpoint", atomically: true, encoding: .utf8)
        }
        oneLineRefusal(try h.run(["hub", "recover", "--dir", h.hub, "--mirror", otherHub]), "not of this hub's")
        try unchanged("another hub's mirror")
        let tampered = try wrongMirror("mirror-tampered") { dir in
            // The one (partial) entry bundle of the tree: its last entry's last byte.
            let bundle = URL(fileURLWithPath: "\(dir)/tile/entries/000.p/\(size)")
            var bytes = try Data(contentsOf: bundle)
            bytes[bytes.count - 1] ^= 0x01
            try bytes.write(to: bundle)
        }
        oneLineRefusal(try h.run(["hub", "recover", "--dir", h.hub, "--mirror", tampered]), "do not make the root of its checkpoint")
        try unchanged("a tampered tile")
        oneLineRefusal(try h.run(["hub", "recover", "--dir", h.hub, "--mirror", mirror, "--policy-from", jf]), "--policy-from is for a hub on SQLite")
        try unchanged("--policy-from")

        // A hub opened on the emptied database starts a new log there (a new key-log record 1,
        // the plan again): that database is not empty any more, and is refused.
        _ = try h.hubStatus(h.hub)
        let started = try PostgresCluster.psql(database, "SELECT size FROM tlog_state")
        #expect(started != "0")
        oneLineRefusal(try h.run(["hub", "recover", "--dir", h.hub, "--mirror", mirror]), "already holds a tree that differs from the mirror's at entry 0")
        #expect(try PostgresCluster.psql(database, "SELECT size FROM tlog_state") == started, "a refused recovery changes nothing")

        // Recovery into an empty database: the tree back, 410800's own events published from
        // the hub directory's log, the courts' events owed.
        try remake(database)
        let recovered = try h.run(["hub", "recover", "--dir", h.hub, "--mirror", mirror])
        #expect(recovered.status == 0 && recovered.stdout.contains("recovered the tree from 0 to \(size) entries"), "\(recovered.output)")
        #expect(recovered.stdout.contains("410802 owes seq 1…30") && recovered.stdout.contains("410803 owes seq 1…12"), "\(recovered.output)")
        #expect(!recovered.stdout.contains("410800 owes"), "410800's own come back from the hub directory: \(recovered.output)")
        let owing = try h.hubStatus(h.hub)
        #expect((owing["owed"] as? [[String: Any]])?.compactMap { $0["court"] as? String } == ["410802", "410803"], "\(owing["owed"] ?? "")")
        #expect(owing["tree_size"] as? Int == size && (owing["checkpoint"] as? String)?.split(separator: "\n")[2] == root, "the same tree as before the loss")
        let refused = try h.run(query)
        #expect(refused.status != 0 && refused.output.contains("incomplete"), "queries refuse while events are owed: \(refused.output)")
        oneLineRefusal(try h.run(["hub", "recover", "--dir", h.hub, "--mirror", otherHub]), "not of this hub's")

        // The courts re-push at their next sync; each event keeps the leaf it had.
        try h.startHub()
        for dir in [jf, zz] {
            let r = try h.run(["node", "sync", "--dir", dir])
            #expect(r.status == 0 && r.stdout.contains("lag 0"), "sync \(dir): \(r.output)")
        }
        let complete = try h.hubStatus(h.hub)
        #expect((complete["owed"] as? [Any])?.isEmpty == true, "\(complete["owed"] ?? "")")
        #expect(complete["tree_size"] as? Int == size, "no event took a second leaf")
        #expect(try contents(database) == original, "the database holds the same events and the same tree as before the loss")
        // A replica folding from nothing (its own new projections) reads the recovered log whole.
        let port2 = SyncHarness.freePort()
        let second = try h.startReplica(port: port2, projection: h.path("fresh-projection.sqlite"))
        defer { kill(second.processIdentifier, SIGKILL); second.waitUntilExit() }
        // Auditors' credentials are not in the tree: the lost one is refused, a new one is made.
        #expect(try compliance("alice.json", port: h.port).status != 0)
        #expect(try h.run(["hub", "auditor", "add", "--dir", h.hub, "--out", h.path("bob.json"), "bob"]).status == 0)
        let answers = try [h.port, port2].map { try compliance("bob.json", port: $0) }
        #expect(answers[0].status == 0 && answers[0].stdout == answers[1].stdout, "\(answers[0].output) \(answers[1].output)")
        #expect(answers[1].stdout == originalAnswer.stdout, "the fresh replica's figures are the ones before the loss")
        h.stopHub()
        #expect(try digest(h) == originalDigest, "the same projections as before the loss")
        #expect(try h.run(query).stdout == originalLocal.stdout)

        // New events go after the last restored entry.
        try h.startHub()
        try h.record(jf, court: "410802", count: 1, online: 1, from: 31)
        #expect(try h.run(["node", "sync", "--dir", jf]).status == 0)
        #expect(try h.hubStatus(h.hub)["tree_size"] as? Int == size + 1)
    }
}
