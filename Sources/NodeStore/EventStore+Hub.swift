import CourtLog
import Crypto
import Foundation
import GRDB
import Projections
import TransparencyLog

/// The hub's own tables, in the same database as the merged log: the registry of enrolled
/// nodes, auditors' credentials, alarms (forks), and what each node last reported.
extension EventStore {
    static func registerHubMigration(_ m: inout DatabaseMigrator) {
        m.registerMigration("v3-hub") { db in
            try db.execute(sql: """
                CREATE TABLE hub_node (
                    court TEXT PRIMARY KEY, public_key TEXT NOT NULL, tls_serial TEXT NOT NULL, status TEXT NOT NULL,
                    enrolled_at INTEGER NOT NULL, revoked_at INTEGER) WITHOUT ROWID;
                CREATE TABLE hub_auditor (name TEXT PRIMARY KEY, token_sha256 TEXT NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID;
                CREATE TABLE hub_alarm (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, court TEXT NOT NULL, seq INTEGER, kind TEXT NOT NULL,
                    detail TEXT NOT NULL, at INTEGER NOT NULL);
                CREATE TABLE hub_push (court TEXT PRIMARY KEY, node_head INTEGER NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;
                """)
        }
        // A fork alarm keeps the validly signed event that conflicts with the stored one, as
        // evidence; a revoked key is remembered so that it is never enrolled again.
        m.registerMigration("v4-hub-evidence-and-revoked-keys") { db in
            try db.execute(sql: """
                ALTER TABLE hub_alarm ADD COLUMN evidence TEXT;
                CREATE TABLE hub_revoked_key (public_key TEXT PRIMARY KEY, court TEXT NOT NULL, revoked_at INTEGER NOT NULL) WITHOUT ROWID;
                INSERT OR IGNORE INTO hub_revoked_key (public_key, court, revoked_at)
                    SELECT public_key, court, COALESCE(revoked_at, 0) FROM hub_node WHERE status = 'revoked';
                """)
        }
        // A credential's role: an auditor reads everything; a metrics scraper reads /metrics only.
        m.registerMigration("v5-credential-role") { db in
            try db.execute(sql: "ALTER TABLE hub_auditor ADD COLUMN role TEXT NOT NULL DEFAULT 'auditor'")
        }
    }

    /// An enrolled node.
    public struct EnrolledNode: Sendable, Equatable {
        public let court: String
        public let publicKey: String
        public let tlsSerial: String
        public let status: String
        public let enrolledAt: Int64
    }

    public func enrolledNodes() throws -> [EnrolledNode] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT court, public_key, tls_serial, status, enrolled_at FROM hub_node ORDER BY court").map {
                EnrolledNode(court: $0[0], publicKey: $0[1], tlsSerial: $0[2], status: $0[3], enrolledAt: $0[4])
            }
        }
    }

    /// Records a credential: `role` is `auditor` (reads everything) or `metrics` (reads /metrics only).
    public func addAuditor(name: String, token: String, role: String = "auditor", at: Int64) throws {
        try write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM hub_auditor WHERE name = ?", arguments: [name]) == true {
                throw StoreError("an auditor named '\(name)' already exists: choose another name")
            }
            try db.execute(sql: "INSERT INTO hub_auditor (name, token_sha256, created_at, role) VALUES (?, ?, ?, ?)",
                           arguments: [name, Self.tokenDigest(token), at, role])
        }
    }

    /// The auditor whose token this is, if any. A metrics scraper's token is not an auditor's.
    public func auditor(token: String) throws -> String? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT name FROM hub_auditor WHERE token_sha256 = ? AND role = 'auditor'", arguments: [Self.tokenDigest(token)])
        }
    }

    /// The metrics scraper whose token this is, if any.
    public func scraper(token: String) throws -> String? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT name FROM hub_auditor WHERE token_sha256 = ? AND role = 'metrics'", arguments: [Self.tokenDigest(token)])
        }
    }

    static func tokenDigest(_ token: String) -> String { Hex.encode(Array(SHA256.hash(data: Array(token.utf8)))) }

    /// Records an alarm; for a fork, `evidence` is the export line of the validly signed event
    /// that conflicts with the one the hub holds (which stays in the log).
    public func recordAlarm(court: String, seq: Int64?, kind: String, detail: String, evidence: String? = nil, at: Int64) throws {
        try write { db in
            try db.execute(sql: "INSERT INTO hub_alarm (court, seq, kind, detail, evidence, at) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [court, seq, kind, detail, evidence, at])
        }
    }

    public struct Alarm: Sendable {
        public let court: String; public let seq: Int64?; public let kind: String; public let detail: String
        /// The conflicting signed event, for a fork.
        public let evidence: String?
        public let at: Int64
    }

    public func alarms() throws -> [Alarm] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT court, seq, kind, detail, evidence, at FROM hub_alarm ORDER BY id").map {
                Alarm(court: $0[0], seq: $0[1], kind: $0[2], detail: $0[3], evidence: $0[4], at: $0[5])
            }
        }
    }

    /// What each node last reported of its own head, and when it last pushed.
    public func pushReports() throws -> [String: (nodeHead: Int64, at: Int64)] {
        try read { db in
            var out: [String: (Int64, Int64)] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT court, node_head, at FROM hub_push") { out[row[0]] = (row[1], row[2]) }
            return out
        }
    }

    /// Stores a pushed batch and folds it into the projections in one transaction, and notes
    /// the node's reported head. With a checkpoint signer, the same transaction appends the
    /// batch to the transparency log and signs a checkpoint that includes it (protocol §16).
    /// A fork or gap throws and stores nothing.
    public func ingest(_ events: [SignedEvent], nodeHead: Int64?, recordedAt: Int64, checkpointSigner: NoteSigner? = nil) throws -> Receipt {
        try ingest(events, prepared: nil, nodeHead: nodeHead, recordedAt: recordedAt, checkpointSigner: checkpointSigner)
    }

    /// The same, with each event's draft as its parse prepared it (`prepared[i]` of `events[i]`):
    /// the rows take its content digest and columns, and the fold its facts, without computing
    /// them again or reading the rows back.
    public func ingest(_ events: [SignedEvent], prepared: [PreparedDraft]?, nodeHead: Int64?, recordedAt: Int64, checkpointSigner: NoteSigner? = nil) throws -> Receipt {
        let drafts = prepared ?? Parallel.map(events) { PreparedDraft($0.draft, node: $0.node) }
        guard drafts.count == events.count else { throw StoreError("ingest: \(drafts.count) prepared drafts for \(events.count) events") }
        do {
            return try pool.write { db in
                var receipt = try Self.receive(db, events, prepared: drafts, recordedAt: recordedAt)
                if let checkpointSigner {
                    let tree = try Self.extendTree(db, signer: checkpointSigner, at: recordedAt)
                    receipt.treeSize = tree.size
                    receipt.checkpoint = tree.checkpoint
                }
                // The stored events are the batch's last `stored` (those past the head it held).
                // Read through the array, not from a copy of each event (a retain per member).
                let fresh = (events.count - receipt.stored..<events.count).map { i in
                    Fact(node: events[i].node, seq: events[i].seq, type: events[i].type, month: events[i].at.beijingMonth,
                         atUTC: events[i].at.utcSeconds, dept: events[i].dept, columns: drafts[i].columns, recordedAt: recordedAt)
                }
                _ = try Self.foldNewEvents(db, fresh: fresh)
                if let court = events.first?.node {
                    try db.execute(sql: "INSERT OR REPLACE INTO hub_push (court, node_head, at) VALUES (?, ?, ?)",
                                   arguments: [court, max(nodeHead ?? 0, receipt.head.seq), recordedAt])
                }
                return receipt
            }
        } catch let e as EventError { throw e } catch let e as StoreError { throw e } catch {
            throw StoreError.from(error, path: path)
        }
    }

    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.write(body) } catch let e as EventError { throw e } catch let e as StoreError { throw e } catch {
            throw StoreError.from(error, path: path)
        }
    }
}
