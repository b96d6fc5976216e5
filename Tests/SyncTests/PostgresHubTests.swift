import CourtLog
import CourtPlan
import Foundation
import NodeStore
import NodeSync
import SyncProtocol
import Testing
import TransparencyLog
@testable import Hub

/// The hub on PostgreSQL, in process: replicas are separate `HubDirectory` opens of one hub,
/// each with its own connections, racing on the same database from several threads.
@Suite("the hub on PostgreSQL, in process", .serialized)
struct PostgresHubTests {
    /// A hub on a fresh database with 解放区 (410802) and 中站区 (410803) enrolled, each node
    /// holding `count` filings.
    struct Fixture {
        let root: String
        let hub: HubDirectory
        let nodes: [NodeDirectory]

        init(count: Int, database: String?, _ name: String = #function) throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-pg-\(name.filter(\.isLetter).prefix(30))-\(UUID().uuidString.prefix(6))").path
            hub = try HubDirectory.create(at: "\(root)/hub", hosts: ["localhost"], ips: ["127.0.0.1"], port: 8443,
                                          operatorCertificate: nil, operatorKey: nil, operatorCA: nil, database: try database.map { try DatabaseURL($0) })
            var nodes: [NodeDirectory] = []
            for court in ["410802", "410803"] {
                let node = try NodeDirectory.create(at: "\(root)/\(court)", court: try Plan.shipped.court(court))
                _ = try node.append(try Self.filings(count, court: court), recordedAt: 1_664_000_000)
                _ = try hub.enroll(requestJSON: try NodeEnrollment.request(node).json)
                nodes.append(node)
            }
            self.nodes = nodes
        }

        /// Filings in September 2022, two of three online.
        static func filings(_ count: Int, court: String) throws -> [EventDraft] {
            try (1...count).map { i in
                try EventDraft(id: "f\(i)", type: "case.filed", at: try EventTime(parsing: "2022-09-\(String(format: "%02d", i % 28 + 1))T09:00:00+08:00"), dept: nil,
                               data: ["case_no": .string("(2022)豫\(court.suffix(4))民初\(i)号"), "channel": i % 3 == 0 ? "offline" : "online"])
            }
        }

        /// `node`'s log cut into push bodies of `size` events.
        func batches(_ node: NodeDirectory, size: Int) throws -> [[UInt8]] {
            let events = try node.store.events(of: node.court.code, from: 1, limit: 100_000)
            return stride(from: 0, to: events.count, by: size).map { start in
                var body: [UInt8] = []
                for e in events[start..<min(start + size, events.count)] { body += e.exportLine; body.append(0x0A) }
                return body
            }
        }

        func remove() { try? FileManager.default.removeItem(atPath: root) }
    }

    @Test func twoReplicasRacingOnOneCourtNeitherLoseNorDoubleAnEvent() throws {
        let f = try Fixture(count: 400, database: try PostgresCluster.database())
        defer { f.remove() }
        // Two replicas: the same hub opened twice, each with its own pool of connections.
        let replicas = try [HubDirectory.open(at: f.hub.path), HubDirectory.open(at: f.hub.path)]
        let signer = try f.hub.checkpointSigner()
        let work = try f.nodes.map { try f.batches($0, size: 40) }
        // Four pushers at once: each replica pushes every batch of each court, in order, so every
        // batch of a court is offered twice, by two replicas racing on the court's row.
        let stored = Locked<[String: Int]>([:])
        let failures = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            let replica = replicas[worker % 2], node = f.nodes[worker / 2]
            let ingest = IngestService(hub: replica, checkpointSigner: signer)
            for body in work[worker / 2] {
                do {
                    let accepted = try ingest.ingest(court: node.court.code, body: body, nodeHead: nil, receivedAt: 1_664_100_000)
                    stored.update { $0[node.court.code, default: 0] += accepted.stored }
                } catch {
                    failures.update { $0.append("\(node.court.code) via replica \(worker % 2): \(error)") }
                }
            }
        }
        #expect(failures.value.isEmpty, "\(failures.value)")
        // Each event stored exactly once, whichever replica won it.
        #expect(stored.value == ["410802": 400, "410803": 400])
        let log = f.hub.log
        for court in ["410802", "410803"] {
            #expect(try log.head(of: court).seq == 400)
            let events = try log.events(of: court, from: 1, limit: 10_000)
            #expect(events.map(\.seq) == Array(1...400))
        }
        // One tree: every event has one leaf, leaves 0..<size each once, and every checkpoint
        // the replicas signed is a prefix of the final tree (consistent with it).
        let size = try log.treeSize()
        let ownEvents = try f.hub.store.head(of: "410800").seq
        let keyLog = Int64(try log.keyLogRecords().count)
        #expect(size == keyLog + ownEvents + 800)    // 3 key-log records + the plan + 2 × 400 filings
        var indexes = Set<Int64>()
        for court in ["410802", "410803"] {
            for seq in Int64(1)...400 { if let leaf = try log.leafIndex(court: court, seq: seq) { indexes.insert(leaf.index) } }
        }
        #expect(indexes.count == 800 && indexes.allSatisfy { $0 < size })
        let final = try #require(try log.latestCheckpoint())
        #expect(final.size == size)
        let verifier = signer.verifier
        let finalCheckpoint = try verifier.verifyCheckpoint(final.checkpoint)
        let sizes = try PostgresCluster.psql(f.hub.postgres!.url.text, "SELECT size FROM tlog_checkpoint ORDER BY size").split(separator: "\n").compactMap { Int64($0) }
        #expect(sizes.count > 10)
        for old in sizes where old > 0 && old < size {
            let note = try #require(try log.checkpoint(size: old))
            let checkpoint = try verifier.verifyCheckpoint(note)
            let proof = try log.consistencyProof(old: old, new: size)
            #expect(MerkleTree.verifyConsistency(old: old, new: size, oldRoot: checkpoint.root, newRoot: finalCheckpoint.root, proof: proof),
                    "the checkpoint of size \(old) is not a prefix of the final tree")
        }
    }

    @Test func sameEventsGiveTheSameReplayDigestOnSQLiteAndOnPostgreSQL() throws {
        let sqlite = try Fixture(count: 300, database: nil)
        defer { sqlite.remove() }
        let postgres = try Fixture(count: 300, database: try PostgresCluster.database())
        defer { postgres.remove() }
        for f in [sqlite, postgres] {
            let ingest = IngestService(hub: f.hub, checkpointSigner: try f.hub.checkpointSigner())
            for node in f.nodes {
                for body in try f.batches(node, size: 70) {
                    _ = try ingest.ingest(court: node.court.code, body: body, nodeHead: nil, receivedAt: 1_664_100_000)
                }
            }
        }
        // The PostgreSQL hub's projections are folded by its follower, through the same fold.
        let projection = try postgres.hub.projectionStore()
        let onPostgres = try projection.replay().digest
        #expect(try projection.storedDigest() == onPostgres)
        #expect(try sqlite.hub.store.replay().digest == onPostgres)
        // 300 filings per court, 200 of them online (i % 3 != 0): both hubs count the same.
        #expect(try projection.head(of: "410802").seq == 300 && projection.head(of: "410803").seq == 300)
    }

    @Test func aForkIsRefusedAndKeptAsEvidenceInPostgreSQL() throws {
        let f = try Fixture(count: 10, database: try PostgresCluster.database())
        defer { f.remove() }
        let node = f.nodes[0]
        let ingest = IngestService(hub: f.hub, checkpointSigner: try f.hub.checkpointSigner())
        _ = try ingest.ingest(court: "410802", body: try f.batches(node, size: 10)[0], nodeHead: nil, receivedAt: 1_664_100_000)
        // A second event 5, validly signed by 解放区's key after its event 4: a second history.
        let four = try #require(try node.store.events(of: "410802", from: 4, limit: 1).first)
        let other = try EventDraft(id: "other-5", type: "case.filed", at: try EventTime(parsing: "2022-09-20T09:00:00+08:00"), dept: nil,
                                   data: ["case_no": "(2022)豫0802民初999号", "channel": "online"])
        let forked = node.sealer.seal([other], after: LogHead(seq: 4, hash: four.hash))
        var body: [UInt8] = []
        for e in forked { body += e.exportLine; body.append(0x0A) }
        #expect(throws: HubRefusal.self) { try ingest.ingest(court: "410802", body: body, nodeHead: nil, receivedAt: 1_664_100_100) }
        let alarms = try f.hub.log.alarms()
        #expect(alarms.count == 1 && alarms[0].kind == "fork" && alarms[0].seq == 5 && alarms[0].evidence?.contains("other-5") == true)
        // Nothing of the forked batch was stored: the court's log is still its first history.
        #expect(try f.hub.log.events(of: "410802", from: 5, limit: 1).first?.hash == node.store.events(of: "410802", from: 5, limit: 1).first?.hash)
    }

    @Test func initRefusesABadURLAnUnreachableServerAUsedDatabaseAndANewerSchema() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-pg-init-\(UUID().uuidString.prefix(6))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        func create(_ url: String) throws -> HubDirectory {
            try HubDirectory.create(at: "\(root)/hub", hosts: ["localhost"], ips: ["127.0.0.1"], port: 8443,
                                    operatorCertificate: nil, operatorKey: nil, operatorCA: nil, database: try DatabaseURL(url))
        }
        func refusal(_ url: String) -> String {
            do { _ = try create(url); return "accepted" } catch { return "\(error)" }
        }
        #expect(refusal("mysql://root@localhost/courtsync").contains("must be a URL like postgres://"))
        #expect(refusal("postgres://localhost/courtsync").contains("names no user"))
        let secret = refusal("postgres://courtsync:s3cret@127.0.0.1:\(SyncHarness.freePort())/courtsync")
        #expect(secret.contains("cannot reach") && !secret.contains("s3cret") && secret.contains("***"), "\(secret)")
        #expect(!FileManager.default.fileExists(atPath: "\(root)/hub"))
        // A database written by a newer CourtSync is left alone.
        let newer = try PostgresCluster.database()
        try PostgresCluster.psql(newer, "CREATE TABLE courtsync_migration (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL); INSERT INTO courtsync_migration VALUES ('pg99-from-the-future', 0)")
        #expect(refusal(newer).contains("from a newer CourtSync"))
        #expect(try PostgresCluster.psql(newer, "SELECT COUNT(*) FROM pg_tables WHERE tablename = 'keylog'") == "0")
        #expect(!FileManager.default.fileExists(atPath: "\(root)/hub"))
        // A database that already holds a hub is never given a second one.
        let used = try PostgresCluster.database()
        _ = try create(used)
        try FileManager.default.removeItem(atPath: "\(root)/hub")
        #expect(refusal(used).contains("already holds a hub's log"))
        #expect(!FileManager.default.fileExists(atPath: "\(root)/hub"))
    }
}

/// A value shared by the pushing threads of a test.
final class Locked<Value>: @unchecked Sendable {
    private var stored: Value
    private let lock = NSLock()
    init(_ value: Value) { stored = value }
    var value: Value { lock.withLock { stored } }
    func update(_ body: (inout Value) -> Void) { lock.withLock { body(&stored) } }
}
