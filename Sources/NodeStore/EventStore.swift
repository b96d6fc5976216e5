import CanonicalJSON
import CourtLog
import Foundation
import GRDB

/// The SQLite event log of a node (or, later, of the hub): the only place that speaks SQL.
///
/// WAL mode with `synchronous = FULL`, so a call returns only after its commit is on disk.
/// Every write keeps the invariants of the protocol: per node a gapless seq from 1, each
/// `prev` the hash of the row before, each id once. A batch is one transaction: stored whole
/// or not at all.
public final class EventStore: Sendable {
    @_spi(Bench) public let pool: DatabasePool
    public let path: String

    /// Opens (creating if needed) the log at `path` and brings its schema up to date.
    public init(path: String) throws {
        self.path = path
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Rows are appended in seq order; a larger page cache keeps the id index's pages hot.
            try db.execute(sql: "PRAGMA cache_size = -65536")
        }
        config.busyMode = .timeout(10)
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try Self.migrator.migrate(pool)
        } catch {
            throw StoreError.from(error, path: path)
        }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-event-log") { db in
            try db.execute(sql: """
                CREATE TABLE event (
                    node TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    id TEXT NOT NULL,
                    type TEXT NOT NULL,
                    at TEXT NOT NULL,
                    at_utc INTEGER NOT NULL,
                    month INTEGER NOT NULL,
                    dept TEXT,
                    subject TEXT,
                    channel TEXT,
                    ok INTEGER,
                    delay_s INTEGER,
                    amount INTEGER,
                    content BLOB NOT NULL,
                    hash BLOB NOT NULL,
                    prev BLOB NOT NULL,
                    sig BLOB NOT NULL,
                    body BLOB NOT NULL,
                    recorded_at INTEGER NOT NULL
                );
                CREATE UNIQUE INDEX event_node_seq ON event(node, seq);
                CREATE UNIQUE INDEX event_node_id ON event(node, id);
                CREATE TABLE log_head (
                    node TEXT PRIMARY KEY,
                    seq INTEGER NOT NULL,
                    hash BLOB NOT NULL
                ) WITHOUT ROWID;
                """)
        }
        registerProjectionMigration(&m)
        registerHubMigration(&m)
        // A stored column for system.used's system, read by indicators defined by policy.
        m.registerMigration("v6-event-system-column") { db in
            try db.execute(sql: """
                ALTER TABLE event ADD COLUMN system TEXT;
                CREATE INDEX event_indicator_defined ON event(node, seq) WHERE type = 'indicator.defined';
                """)
        }
        registerRefoldMigration(&m)
        registerTransparencyMigration(&m)
        registerStaffRoleMigration(&m)
        registerKeyLogMigration(&m)
        return m
    }

    // MARK: Reading

    /// The last event of `node`'s log as recorded in the head table.
    public func head(of node: String) throws -> LogHead {
        try read { db in try Self.head(db, node) }
    }

    static func head(_ db: Database, _ node: String) throws -> LogHead {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, hash FROM log_head WHERE node = ?"), arguments: [node]) else {
            return .empty
        }
        let hash: Data = row["hash"]
        return LogHead(seq: row["seq"], hash: EventHash(raw: Array(hash)) ?? .genesis)
    }

    /// The nodes whose logs this store holds.
    public func nodes() throws -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT node FROM log_head ORDER BY node") }
    }

    /// Number of events of each type in `node`'s log.
    public func countsByType(of node: String) throws -> [String: Int] {
        try read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT type, COUNT(*) AS n FROM event WHERE node = ? GROUP BY type", arguments: [node]) {
                counts[row["type"]] = row["n"]
            }
            return counts
        }
    }

    /// Events of `node` from `seq` on, at most `limit`, re-read from their signed bytes.
    public func events(of node: String, from seq: Int64 = 1, limit: Int = 10_000) throws -> [SignedEvent] {
        try read { db in
            let rows = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT * FROM event WHERE node = ? AND seq >= ? ORDER BY seq LIMIT ?
                """), arguments: [node, seq, limit])
            return try rows.map { row throws(EventError) in try Self.event(from: row) }
        }
    }

    /// Rebuilds an event from a row and checks that the columns say what the signed body says.
    static func event(from row: Row) throws(EventError) -> SignedEvent {
        let seq: Int64 = row["seq"]
        let bodyData: Data = row["body"]
        let hashData: Data = row["hash"]
        let sigData: Data = row["sig"]
        guard case .object(var members) = try? StrictJSONParser.parse(Array(bodyData)) else {
            throw EventError("the stored body is not valid JSON: the row was damaged or edited by hand", seq: seq)
        }
        members["hash"] = .string(Hex.encode(hashData))
        members["sig"] = .string(Hex.encode(sigData))
        let event = try SignedEvent(envelope: .object(members))
        let columns = ProjectionColumns(type: event.type, data: event.data)
        let prevData: Data = row["prev"]
        let contentData: Data = row["content"]
        let okValue: Bool? = row["ok"]
        let mismatches: [(String, Bool)] = [
            ("node", row["node"] as String == event.node), ("seq", seq == event.seq), ("id", row["id"] as String == event.id),
            ("type", row["type"] as String == event.type), ("at", row["at"] as String == event.at.text),
            ("at_utc", row["at_utc"] as Int64 == event.at.utcSeconds), ("month", row["month"] as Int == event.at.beijingMonth),
            ("dept", row["dept"] as String? == event.dept), ("subject", row["subject"] as String? == columns.subject),
            ("channel", row["channel"] as String? == columns.channel), ("ok", okValue == columns.ok),
            ("delay_s", row["delay_s"] as Int64? == columns.delaySeconds), ("amount", row["amount"] as Int64? == columns.amount),
            ("system", row["system"] as String? == columns.system), ("role", row["role"] as String? == columns.role),
            ("prev", Array(prevData) == event.prev.bytes), ("content", Array(contentData) == event.draft.contentDigest),
        ]
        if let bad = mismatches.first(where: { !$0.1 }) {
            throw EventError("stored column '\(bad.0)' differs from the signed body: the row was edited by hand; restore the log from a backup or the hub", seq: seq)
        }
        return event
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch let e as EventError { throw e } catch let e as StoreError { throw e } catch {
            throw StoreError.from(error, path: path)
        }
    }

    // MARK: Writing

    /// What an append did.
    public struct AppendOutcome: Sendable {
        /// The events sealed and stored by this call.
        public var appended: [SignedEvent]
        /// Drafts whose id was already stored with the same content (no-ops), with their seq.
        public var alreadyStored: [(id: String, seq: Int64)]
        /// The log's head after the call.
        public var head: LogHead
    }

    /// Seals and stores `drafts` as the next events of the sealer's node, in one transaction.
    ///
    /// A draft whose id is stored with the same content is a no-op; with different content the
    /// whole batch is refused. Returns after the commit is durable.
    public func append(_ drafts: [EventDraft], sealer: EventSealer, recordedAt: Int64) throws -> AppendOutcome {
        let node = sealer.node
        for draft in drafts where EventCatalog.shipped.types[draft.type]?.role == .policy && node != PolicyAuthority.intermediateCourt {
            throw EventError("policy event \(draft.type) refused: only \(PolicyAuthority.intermediateCourt) (the intermediate court) may write policy; a grassroots court may file explanation.filed for its own units")
        }
        // Bodies, digests and columns need no database: computed on all cores before the write lock.
        let prepared = Parallel.map(drafts) { PreparedDraft($0, node: node) }
        do {
            return try pool.write { db in
                let head = try Self.head(db, node)
                try Self.refuseAppendWhileOwed(db, node: node, head: head)
                let stored = try Self.storedIDs(db, node: node, ids: drafts.map(\.id))
                var fresh: [PreparedDraft] = []
                var existing: [(id: String, seq: Int64)] = []
                var inBatch: [String: [UInt8]] = [:]
                for p in prepared {
                    let draft = p.draft, digest = p.contentDigest
                    if let (seq, content) = stored[draft.id] {
                        guard content == digest else {
                            throw EventError("id '\(draft.id)' is already recorded (seq \(seq)) with different content: give this event a new id, or correct the data to match")
                        }
                        existing.append((draft.id, seq))
                        continue
                    }
                    if let earlier = inBatch[draft.id] {
                        guard earlier == digest else {
                            throw EventError("id '\(draft.id)' appears twice in this batch with different content: give each event its own id")
                        }
                        continue
                    }
                    inBatch[draft.id] = digest
                    fresh.append(p)
                }
                let chained = sealer.chain(fresh, after: head)
                let key = sealer.key
                let sealed = Parallel.map(chained) { $0.signed(by: key) }
                try Self.insert(db, sealed, prepared: fresh, recordedAt: recordedAt)
                return AppendOutcome(appended: sealed, alreadyStored: existing, head: sealed.last.map { LogHead(seq: $0.seq, hash: $0.hash) } ?? head)
            }
        } catch let e as EventError { throw e } catch let e as StoreError { throw e } catch {
            throw StoreError.from(error, path: path)
        }
    }

    /// The stored seq and content digest of those of `ids` that `node`'s log already holds.
    static func storedIDs(_ db: Database, node: String, ids: [String]) throws -> [String: (Int64, [UInt8])] {
        var found: [String: (Int64, [UInt8])] = [:]
        var start = 0
        while start < ids.count {
            let chunk = Array(ids[start..<min(start + 500, ids.count)])
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
            let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT id, seq, content FROM event WHERE node = ? AND id IN (\(marks))"),
                                           arguments: StatementArguments([node] + chunk))
            while let row = try rows.next() {
                let content: Data = row["content"]
                found[row["id"]] = (row["seq"], Array(content))
            }
            start += chunk.count
        }
        return found
    }

    /// Stores events already verified elsewhere (a log pulled or pushed from another node).
    /// They must continue the stored head of their node exactly.
    public func store(verified events: [SignedEvent], recordedAt: Int64) throws {
        guard let first = events.first else { return }
        do {
            try pool.write { db in
                let head = try Self.head(db, first.node)
                guard first.seq == head.seq + 1, first.prev == head.hash else {
                    throw EventError("expected seq \(head.seq + 1) linked to \(head.hash.hex.prefix(12))…: resume from the stored head", seq: first.seq)
                }
                try Self.insert(db, events, recordedAt: recordedAt)
            }
        } catch let e as EventError { throw e } catch {
            throw StoreError.from(error, path: path)
        }
    }

    static func insertStatement(_ db: Database) throws -> Statement {
        try db.cachedStatement(sql: """
            INSERT INTO event (node, seq, id, type, at, at_utc, month, dept, subject, channel, ok, delay_s, amount,
                               content, hash, prev, sig, body, recorded_at, system, role)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
    }

    /// The stored row of an event: the signed bytes and the columns projections read.
    static func row(_ e: SignedEvent, digest: [UInt8], columns c: ProjectionColumns, recordedAt: Int64) -> StatementArguments {
        StatementArguments([
            e.node.databaseValue, e.seq.databaseValue, e.id.databaseValue, e.type.databaseValue, e.at.text.databaseValue,
            e.at.utcSeconds.databaseValue, e.at.beijingMonth.databaseValue, e.dept.databaseValue,
            c.subject.databaseValue, c.channel.databaseValue, c.ok.databaseValue, c.delaySeconds.databaseValue, c.amount.databaseValue,
            Data(digest).databaseValue, Data(e.hash.bytes).databaseValue, Data(e.prev.bytes).databaseValue,
            Data(e.sig).databaseValue, Data(e.body).databaseValue, recordedAt.databaseValue, c.system.databaseValue, c.role.databaseValue,
        ] as [DatabaseValue])
    }

    static func setHead(_ db: Database, node: String, seq: Int64, hash: EventHash) throws {
        try db.execute(sql: """
            INSERT INTO log_head (node, seq, hash) VALUES (?, ?, ?)
            ON CONFLICT(node) DO UPDATE SET seq = excluded.seq, hash = excluded.hash
            """, arguments: [node, seq, Data(hash.bytes)])
    }

    /// Stores signed events in order, with their prepared digests and columns when known.
    static func insert(_ db: Database, _ events: [SignedEvent], prepared: [PreparedDraft]? = nil, recordedAt: Int64) throws {
        guard let last = events.last else { return }
        let insert = try insertStatement(db)
        let rows = Parallel.map(Array(events.indices)) { i in
            let p = prepared?[i] ?? PreparedDraft(events[i].draft, node: events[i].node)
            return row(events[i], digest: p.contentDigest, columns: p.columns, recordedAt: recordedAt)
        }
        for arguments in rows {
            insert.setUncheckedArguments(arguments)
            try insert.execute()
        }
        try setHead(db, node: last.node, seq: last.seq, hash: last.hash)
    }
}

extension EventStore {
    /// The result of checking a stored log end to end.
    public struct Verification: Sendable {
        public var events: Int64
        public var head: LogHead
    }

    /// Checks every row of `node`'s log: the columns against the signed body, every hash, every
    /// link, every signature (on all cores), and the recorded head. Throws the first fault.
    public func verify(node: String, publicKey: NodePublicKey, progress: (Int64, Int64) -> Void = { _, _ in }) throws -> Verification {
        try verify(node: node, history: [CourtKey(key: publicKey)], progress: progress)
    }

    /// The same, under a court's key history (oldest first, protocol §10): a court that rotated
    /// its key verifies whole.
    public func verify(node: String, history: [CourtKey], progress: (Int64, Int64) -> Void = { _, _ in }) throws -> Verification {
        let recorded = try head(of: node)
        let total = try read { db in try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM event WHERE node = ?", arguments: [node]) ?? 0 }
        var verifier = LogVerifier(node: node, history: history)
        var next: Int64 = 1
        var count: Int64 = 0
        while true {
            let page = try read { db in
                try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM event WHERE node = ? AND seq >= ? ORDER BY seq LIMIT 20000"),
                                 arguments: [node, next])
            }
            if page.isEmpty { break }
            let events = try page.map { row throws(EventError) in try Self.event(from: row) }
            try verifier.verify(events)
            count += Int64(events.count)
            next = verifier.head.seq + 1
            progress(count, total)
        }
        guard verifier.head == recorded else {
            if verifier.head.seq < recorded.seq {
                throw EventError("expected seq \(verifier.head.seq + 1) but the log ends at seq \(verifier.head.seq) while its head says \(recorded.seq): events were deleted from the end", seq: verifier.head.seq + 1)
            }
            throw EventError("the recorded head (seq \(recorded.seq)) does not match the last event (seq \(verifier.head.seq)): the head row was edited by hand")
        }
        return Verification(events: count, head: verifier.head)
    }
}

extension EventStore {
    /// What receiving another node's verified events did.
    public struct Receipt: Sendable {
        /// Events already held with the same hash (a batch sent twice is stored once).
        public var known: Int
        /// Events stored by this call.
        public var stored: Int
        public var head: LogHead
        /// The transparency log's size and signed checkpoint after the batch (hub ingest only).
        public var treeSize: Int64? = nil
        public var checkpoint: String? = nil
    }

    /// Stores another node's events, already verified under its enrolled key. Events already
    /// held must have the same hash (otherwise it is a fork, refused); the rest must continue
    /// the stored head without a gap. All or nothing.
    public func receive(_ events: [SignedEvent], recordedAt: Int64) throws -> Receipt {
        do {
            return try pool.write { db in try Self.receive(db, events, recordedAt: recordedAt) }
        } catch let e as EventError { throw e } catch let e as ForkError { throw e } catch {
            throw StoreError.from(error, path: path)
        }
    }

    static func receive(_ db: Database, _ events: [SignedEvent], recordedAt: Int64) throws -> Receipt {
        guard let first = events.first else { throw EventError("nothing to receive: the batch is empty") }

            let head = try Self.head(db, first.node)
            let lookup = try db.cachedStatement(sql: "SELECT hash FROM event WHERE node = ? AND seq = ?")
            var fresh: [SignedEvent] = []
            for e in events {
                if e.seq <= head.seq {
                    guard let stored = try Data.fetchOne(lookup, arguments: [e.node, e.seq]) else {
                        throw EventError("seq \(e.seq) of node \(e.node) is missing from this store: its log here is damaged; verify it with `courtsync audit verify`", seq: e.seq)
                    }
                    guard Array(stored) == e.hash.bytes else {
                        throw ForkError(node: e.node, seq: e.seq, held: EventHash(raw: Array(stored)) ?? .genesis, offered: e.hash)
                    }
                } else {
                    fresh.append(e)
                }
            }
            if let next = fresh.first {
                guard next.seq == head.seq + 1, next.prev == head.hash else {
                    throw EventError("expected seq \(head.seq + 1) of node \(next.node) next, but the events start at \(next.seq): send the log from seq \(head.seq + 1)", seq: next.seq)
                }
                try Self.insert(db, fresh, recordedAt: recordedAt)
            }
            let newHead = fresh.last.map { LogHead(seq: $0.seq, hash: $0.hash) } ?? head
            return Receipt(known: events.count - fresh.count, stored: fresh.count, head: newHead)
    }
}
