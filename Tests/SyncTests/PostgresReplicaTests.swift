import Foundation
import Testing

/// Two `hub serve` processes on one PostgreSQL database, as a province runs them behind a load
/// balancer: a court's node syncs with one and then the other, and its batches are raced to both.
@Suite("hub replicas on PostgreSQL over HTTPS", .serialized)
struct PostgresReplicaTests {
    @Test func twoReplicasKeepOneLogAndOneTreeWhileACourtPushesToBoth() throws {
        let database = try PostgresCluster.database()
        var h = try SyncHarness(database: database); defer { h.remove() }
        try h.startHub()
        let port2 = SyncHarness.freePort()
        let second = try h.startReplica(port: port2, projection: h.path("replica2.sqlite"))
        defer { kill(second.processIdentifier, SIGKILL); second.waitUntilExit() }
        let jf = try h.enrolledNode("410802"), zz = try h.enrolledNode("410803")

        // 解放区 syncs with one replica, then with the other, four times: 4 × 25 filings.
        for round in 0..<4 {
            try h.record(jf, court: "410802", count: 25, online: 20, from: 1 + round * 25)
            try h.pointNode(jf, at: round % 2 == 0 ? h.port : port2)
            let r = try h.run(["node", "sync", "--dir", jf])
            #expect(r.status == 0 && r.stdout.contains("lag 0"), "sync via replica \(round % 2 + 1): \(r.output)")
        }

        // 中站区's batches of 50, each posted to both replicas at the same moment.
        try h.record(zz, court: "410803", count: 200, online: 150)
        let lines = try h.run(["node", "export", "--dir", zz]).stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 200)
        for start in stride(from: 0, to: lines.count, by: 50) {
            let file = h.path("batch-\(start).jsonl")
            try (lines[start..<start + 50].joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
            let answers = Locked<[Int]>([])
            let harness = h, main = h.port
            DispatchQueue.concurrentPerform(iterations: 2) { i in
                let status = (try? harness.curl("/v1/nodes/410803/events", node: zz, method: "POST", bodyFile: file, port: i == 0 ? main : port2).0) ?? 0
                answers.update { $0.append(status) }
            }
            #expect(answers.value == [200, 200], "batch from \(start + 1): \(answers.value)")
        }

        // In the database: each court's log whole and once, and one tree with a leaf per event.
        #expect(try PostgresCluster.psql(database, "SELECT court, COUNT(*), MIN(seq), MAX(seq) FROM event WHERE court <> '410800' GROUP BY court ORDER BY court")
                == "410802|100|1|100\n410803|200|1|200")
        #expect(try PostgresCluster.psql(database, """
            SELECT (SELECT size FROM tlog_state) = COUNT(*) AND COUNT(*) = MAX(idx) + 1 AND COUNT(*) = COUNT(DISTINCT (court, seq)) FROM tlog_entry
            """) == "t")
        #expect(try PostgresCluster.psql(database, """
            SELECT COUNT(*) FROM event e LEFT JOIN tlog_entry t ON t.court = e.court AND t.seq = e.seq WHERE t.idx IS NULL
            """) == "0")
        // Every push's pending leaves were integrated before it was answered; each court's leaves in seq order.
        #expect(try PostgresCluster.psql(database, "SELECT COUNT(*) FROM tlog_pending") == "0")
        #expect(try PostgresCluster.psql(database, """
            SELECT COUNT(*) FROM (SELECT seq, LAG(seq) OVER (PARTITION BY court ORDER BY idx) AS before FROM tlog_entry) o WHERE seq <> before + 1
            """) == "0")
        // Both replicas serve the same latest checkpoint.
        let checkpoints = try [h.port, port2].map { try h.curl("/checkpoint", port: $0) }
        #expect(checkpoints[0].0 == 200 && checkpoints[0].1 == checkpoints[1].1)
        // Each replica answers from its own projections, caught up before answering: the same figures.
        #expect(try h.run(["hub", "auditor", "add", "--dir", h.hub, "--out", h.path("alice.json"), "alice"]).status == 0)
        let answers = try [h.port, port2].map { port in
            try h.run(["query", "compliance", "--hub", "https://localhost:\(port)", "--auditor", h.path("alice.json"), "--period", "2022-09",
                       "--indicator", "1a", "--format", "json"])
        }
        #expect(answers[0].status == 0 && answers[0].stdout == answers[1].stdout, "\(answers[0].output) \(answers[1].output)")
        let rows = try JSONSerialization.jsonObject(with: Data(answers[1].stdout.utf8)) as? [[String: Any]] ?? []
        let city = try #require(rows.first { $0["unit"] as? String == "city" })
        #expect(city["numerator"] as? Int == 230 && city["denominator"] as? Int == 300)   // 4 × 20 + 150 online of 100 + 200
        // The node checked every receipt's checkpoint against the ones it saw before, whichever
        // replica signed it: a last sync through the other replica is consistent too.
        try h.pointNode(jf, at: h.port)
        #expect(try h.run(["node", "sync", "--dir", jf]).status == 0)
    }

    /// Pushes racing through both replicas while another holder has the tree's lock: each waits
    /// for that holder's commit without queueing for the lock (a shared wait, never the exclusive
    /// queue), then one of them integrates every pending leaf under one checkpoint and the rest
    /// answer from it, none taking the lock after its leaves are in.
    @Test func pushesWaitingForTheSequencerDoNotQueueForTheTreeLockAndShareOneCheckpoint() throws {
        let database = try PostgresCluster.database()
        var h = try SyncHarness(database: database); defer { h.remove() }
        try h.startHub()
        let port2 = SyncHarness.freePort()
        let second = try h.startReplica(port: port2, projection: h.path("replica2.sqlite"))
        defer { kill(second.processIdentifier, SIGKILL); second.waitUntilExit() }
        let courts = ["410802", "410803", "410804", "410811"]
        var batches: [(court: String, node: String, file: String)] = []
        for court in courts {
            let node = try h.enrolledNode(court)
            try h.record(node, court: court, count: 25, online: 10)
            let file = h.path("batch-\(court).jsonl")
            let export = try h.run(["node", "export", "--dir", node])
            #expect(export.stdout.split(separator: "\n").count == 25)
            try export.stdout.write(toFile: file, atomically: true, encoding: .utf8)
            batches.append((court, node, file))
        }
        let sizeBefore = Int(try PostgresCluster.psql(database, "SELECT size FROM tlog_state")) ?? -1
        #expect(sizeBefore > 0)

        // Another session holds the tree's lock as a long sequencer step would.
        let holder = try PsqlSession(database)
        holder.send("SELECT pg_advisory_lock(410800, 16);")
        let locks = "SELECT COALESCE(string_agg(mode, ',' ORDER BY mode), '') FROM pg_locks WHERE locktype = 'advisory' AND classid = 410800 AND objid = 16"
        func waitUntil(_ what: String, _ condition: () throws -> Bool) throws {
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline, !(try condition()) { usleep(50_000) }
            try #require(try condition(), "waited 60 s for \(what)")
        }
        try waitUntil("the holder's lock") { try PostgresCluster.psql(database, locks + " AND granted") == "ExclusiveLock" }

        let answers = Locked<[Int]>([])
        let harness = h, ports = [h.port, port2]
        let pushing = DispatchGroup()
        for (i, b) in batches.enumerated() {
            DispatchQueue.global().async(group: pushing) {
                let status = (try? harness.curl("/v1/nodes/\(b.court)/events", node: b.node, method: "POST", bodyFile: b.file, port: ports[i % 2]).0) ?? 0
                answers.update { $0.append(status) }
            }
        }
        // Every push committed its events and pending leaves, and waits for the holder: in the
        // shared mode, so none is queued for the lock itself.
        // (A replica's background fold may wait there too, so the pending leaves are counted.)
        try waitUntil("four pushes committed and waiting for the tree's sequencer") {
            try PostgresCluster.psql(database, "SELECT COUNT(*) FROM tlog_pending") == "100"   // 4 courts × 25
                && PostgresCluster.psql(database, locks + " AND NOT granted").split(separator: ",").count >= 4
        }
        let waiting = try PostgresCluster.psql(database, locks + " AND NOT granted")
        #expect(!waiting.contains("Exclusive"), "pushes wait in the shared mode, not queued for the lock: \(waiting)")
        #expect(try PostgresCluster.psql(database, "SELECT COUNT(*) FROM tlog_checkpoint WHERE size > \(sizeBefore)") == "0")

        try holder.end()   // psql ends its session: the lock is released
        #expect(pushing.wait(timeout: .now() + 60) == .success)
        #expect(answers.value == [200, 200, 200, 200], "\(answers.value)")
        // One sequencer step took all 100 leaves in and signed one checkpoint for the four pushes.
        let signed = try PostgresCluster.psql(database, "SELECT COUNT(*), MIN(size) FROM tlog_checkpoint WHERE size > \(sizeBefore)")
        #expect(signed == "1|\(sizeBefore + 100)", "checkpoints signed after the holder: \(signed)")
        #expect(try PostgresCluster.psql(database, "SELECT size FROM tlog_state") == "\(sizeBefore + 100)")
        #expect(try PostgresCluster.psql(database, "SELECT COUNT(*) FROM tlog_pending") == "0")
        #expect(try PostgresCluster.psql(database, """
            SELECT COUNT(*) = 100 AND COUNT(DISTINCT (court, seq)) = 100 FROM tlog_entry WHERE idx >= \(sizeBefore)
            """) == "t")
        // Each node checks its receipt's checkpoint and proofs at its next sync: nothing to push, lag 0.
        for (i, b) in batches.enumerated() {
            try h.pointNode(b.node, at: ports[i % 2])
            let r = try h.run(["node", "sync", "--dir", b.node])
            #expect(r.status == 0 && r.stdout.contains("lag 0"), "\(b.court): \(r.output)")
        }
    }
}

/// `hub init --database` and `hub serve` from the command line, when the database is not there.
@Suite("hub init and serve on an unreachable PostgreSQL")
struct PostgresCommandTests {
    @Test func anUnreachableDatabaseIsOneLineAndLeavesNothingBehind() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-pg-cli-\(UUID().uuidString.prefix(6))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let url = "postgres://courtsync:s3cret@127.0.0.1:\(SyncHarness.freePort())/courtsync"
        let r = try PostgresCluster.run(SyncHarness.binary, ["hub", "init", "--dir", "\(root)/hub", "--database", url])
        #expect(r.status != 0)
        #expect(r.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1, "\(r.output)")
        #expect(r.output.contains("cannot reach") && r.output.contains("courtsync:***@") && !r.output.contains("s3cret"), "\(r.output)")
        #expect(!FileManager.default.fileExists(atPath: "\(root)/hub"))
        let bad = try PostgresCluster.run(SyncHarness.binary, ["hub", "init", "--dir", "\(root)/hub", "--database", "db.example:5432"])
        #expect(bad.status != 0 && bad.output.contains("must be a URL like postgres://"), "\(bad.output)")
        #expect(!FileManager.default.fileExists(atPath: "\(root)/hub"))
    }
}

extension SyncHarness {
    /// Another `hub serve` of the same hub directory on `port`, folding into its own `projection`.
    func startReplica(port: Int, projection: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["--default-signal=TERM,INT", Self.binary, "hub", "serve", "--dir", hub, "--host", "127.0.0.1", "--port", "\(port)", "--projection", projection]
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        let log = path("replica-\(port).log")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        p.standardError = FileHandle(forWritingAtPath: log)
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, p.isRunning, !Self.canConnect(port) { usleep(50_000) }
        try #require(Self.canConnect(port), "the replica did not start on \(port): \(String(decoding: FileManager.default.contents(atPath: log) ?? Data(), as: UTF8.self))")
        return p
    }

    /// Makes `node` sync with the replica listening on `port` (its bundle names the hub's URL).
    func pointNode(_ node: String, at port: Int) throws {
        let file = "\(node)/bundle.json"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let pointed = text.replacingOccurrences(of: #"https://localhost:\d+"#, with: "https://localhost:\(port)", options: .regularExpression)
        try pointed.write(toFile: file, atomically: true, encoding: .utf8)
    }
}
