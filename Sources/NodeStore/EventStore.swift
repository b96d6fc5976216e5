import CanonicalJSON
import CourtLog
import CSQLiteConfig
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

    /// What a database is for, and so which tables it gets (design decision 9).
    public enum Role: Sendable {
        /// A court's log and the projections it folds locally: what `node init` makes.
        case court
        /// The hub's database (the hub directory's, 410800's, or a replica's projections): the
        /// court's tables and the hub's own (registry, key log, transparency log, witnesses).
        case hub
    }

    /// True when this database holds the hub's tables: opened as the hub's, or made before the
    /// schema was split (when every court's database got them too, empty).
    public let holdsHubTables: Bool

    /// Opens (creating if needed) the log at `path` and brings its schema up to date: the log's
    /// migrations always, the hub's too when `role` is `.hub`. `writerCacheMiB` is the writing
    /// connection's page cache: a log that keeps growing wants the default; a scratch store
    /// written once and read back (`audit replay FILE`) does as well with a few MiB, and its
    /// process then stays that much smaller.
    public init(path: String, role: Role = .court, writerCacheMiB: Int = 32) throws {
        _ = Self.sqliteConfigured
        self.path = path
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // The writer's larger page cache keeps the id index's pages hot while appending.
            // Readers scan in seq order (verify, export, replay): SQLite's default 2 MB cache
            // does as well there, and keeps a reader's memory the same whatever the log's length.
            if !db.configuration.readonly { try db.execute(sql: "PRAGMA cache_size = -\(writerCacheMiB * 1024)") }
        }
        config.busyMode = .timeout(10)
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try Self.migrator.migrate(pool)
            if role == .hub { try Self.hubMigrator.migrate(pool) }
            holdsHubTables = try pool.read { db in try Self.hubTablesExist(db) }
        } catch {
            throw StoreError.from(error, path: path)
        }
    }

    /// SQLite's process-wide settings, made once, before this process opens its first store.
    /// Memory statistics off: with them on, every allocation and free SQLite makes takes one
    /// process-wide mutex (1 % of the hub's CPU in `perf` while it ingests). Nothing here reads
    /// them. False when something opened SQLite first (the settings then stay as they were).
    static let sqliteConfigured: Bool = courtsync_sqlite_memory_statistics_off() == 0

    /// The log's migrations: every database has these. The two migrators share GRDB's
    /// `grdb_migrations` table with disjoint identifiers, and GRDB skips identifiers it was not
    /// given, so a database made before the split (every migration applied, in one sequence)
    /// opens under either. None of them reads a table the other makes.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        registerEventLogMigration(&m)
        registerProjectionMigration(&m)
        registerSystemColumnMigration(&m)
        registerRefoldMigration(&m)
        registerStaffRoleMigration(&m)
        return m
    }

    static func registerEventLogMigration(_ m: inout DatabaseMigrator) {
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
    }

    static func registerSystemColumnMigration(_ m: inout DatabaseMigrator) {
        // A stored column for system.used's system, read by indicators defined by policy.
        m.registerMigration("v6-event-system-column") { db in
            try db.execute(sql: """
                ALTER TABLE event ADD COLUMN system TEXT;
                CREATE INDEX event_indicator_defined ON event(node, seq) WHERE type = 'indicator.defined';
                """)
        }
    }

    /// The hub's migrations (v3–v5, v8, v10, v11), run after the log's in a hub's database only.
    /// A new hub table gets a new migration here; a new log column, one in ``migrator``.
    static var hubMigrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        registerHubMigration(&m)
        registerTransparencyMigration(&m)
        registerKeyLogMigration(&m)
        return m
    }

    /// The one sequence every database, a court's or the hub's, was migrated by before the split
    /// (v1 to v11 in order): how a database made by an earlier build looks, for the tests that
    /// open one. Never used to open a store.
    static var preSplitMigrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        registerEventLogMigration(&m)
        registerProjectionMigration(&m)
        registerHubMigration(&m)
        registerSystemColumnMigration(&m)
        registerRefoldMigration(&m)
        registerTransparencyMigration(&m)
        registerStaffRoleMigration(&m)
        registerKeyLogMigration(&m)
        return m
    }

    /// Every table the hub's migrations make, for telling a court's database from the hub's.
    static let hubTables = ["hub_node", "hub_auditor", "hub_alarm", "hub_push", "hub_revoked_key", "tlog_entry", "tlog_node",
                            "tlog_checkpoint", "tlog_state", "tlog_cosignature", "keylog", "hub_witness"]

    static func hubTablesExist(_ db: Database) throws -> Bool { try db.tableExists("tlog_state") }

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

    /// Events in every log this store holds (the sum of the heads' seqs). Logs only grow, so
    /// while a store lives the same length means the same events.
    public func logLength() throws -> Int64 {
        try read { db in try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(seq), 0) FROM log_head") ?? 0 }
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
        let rows = try read { db in try StoredRow.fetch(db, node: node, from: seq, limit: limit) }
        return try rows.map { row throws(EventError) in try row.event() }
    }

    /// Events of `node` from `seq` on, a window at a time (each re-read from its signed bytes
    /// and checked against its columns on all cores), handed to `body` in order: a log of any
    /// length is read in the same memory. Returns the number of events read.
    @discardableResult
    public func forEachWindow(of node: String, from seq: Int64 = 1, _ body: ([SignedEvent]) throws -> Void) throws -> Int64 {
        var count: Int64 = 0
        try forEachRowWindow(of: node, from: seq) { rows in
            let checked = Parallel.map(rows) { row in Result { () throws(EventError) in try row.event() } }
            var events: [SignedEvent] = []
            events.reserveCapacity(checked.count)
            for result in checked { events.append(try result.get()) }
            try body(events)
            count += Int64(events.count)
        }
        return count
    }

    /// Stored rows of `node` from `seq` on, a window at a time, in order. The next window is
    /// read from SQLite on another thread while `body` handles this one (reading a window is
    /// sequential; checking it runs on all cores, so the two overlap): never more than two
    /// windows are held, whatever the log's length.
    func forEachRowWindow(of node: String, from seq: Int64, _ body: ([StoredRow]) throws -> Void) throws {
        let window = Self.verifyWindow
        let fetch = { @Sendable [self] (from: Int64) -> Result<[StoredRow], any Error> in
            Result { try self.read { db in try StoredRow.fetch(db, node: node, from: from, limit: window) } }
        }
        var current = fetch(seq)
        while true {
            let rows = try current.get()
            guard let last = rows.last else { return }
            guard rows.count == window else { return try body(rows) }
            let ahead = ReadAhead()
            let group = DispatchGroup()
            DispatchQueue.global().async(group: group) { ahead.result = fetch(last.seq + 1) }
            // Whatever `body` does, the read ahead ends before this returns: no thread is left
            // reading a store its caller may close.
            defer { group.wait() }
            try body(rows)
            group.wait()
            current = ahead.result ?? .success([])
        }
    }

    /// The one window read ahead, handed from the reading thread to the caller's after
    /// `DispatchGroup.wait()` (which orders the two).
    final class ReadAhead: @unchecked Sendable {
        var result: Result<[StoredRow], any Error>?
    }

    /// Rows checked at once by ``verify(node:history:progress:)``: enough to keep every core
    /// busy, few enough that memory stays the same whatever the log's length.
    static let verifyWindow = 4096

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
        let prepared = try Self.prepare(drafts, node: sealer.node)
        do {
            return try pool.write { db in try Self.append(db, prepared, sealer: sealer, recordedAt: recordedAt) }
        } catch let e as EventError { throw e } catch let e as StoreError { throw e } catch {
            throw StoreError.from(error, path: path)
        }
    }

    /// What appending a stream of drafts did.
    public struct StreamOutcome: Sendable {
        public var appended: Int
        public var alreadyStored: Int
        public var head: LogHead
    }

    /// Seals and stores drafts handed over a chunk at a time by `next` (nil: no more), all in
    /// one transaction: a fault in any chunk, or thrown by `next`, leaves the log as it was. The
    /// chunks are not kept, so a stream of any length is stored in the same memory (SQLite
    /// spills the transaction's pages to its write-ahead log on disk).
    public func appendAll(sealer: EventSealer, recordedAt: Int64, _ next: () throws -> [EventDraft]?) throws -> StreamOutcome {
        do {
            return try pool.write { db in
                var outcome = StreamOutcome(appended: 0, alreadyStored: 0, head: try Self.head(db, sealer.node))
                while let drafts = try next() {
                    let chunk = try Self.append(db, try Self.prepare(drafts, node: sealer.node), sealer: sealer, recordedAt: recordedAt)
                    outcome.appended += chunk.appended.count
                    outcome.alreadyStored += chunk.alreadyStored.count
                    outcome.head = chunk.head
                }
                return outcome
            }
        } catch let e as EventError { throw e } catch let e as StoreError { throw e } catch {
            throw StoreError.from(error, path: path)
        }
    }

    /// Bodies, digests and columns need no database: computed on all cores before the write lock.
    static func prepare(_ drafts: [EventDraft], node: String) throws -> [PreparedDraft] {
        for draft in drafts where EventCatalog.shipped.types[draft.type]?.role == .policy && node != PolicyAuthority.intermediateCourt {
            throw EventError("policy event \(draft.type) refused: only \(PolicyAuthority.intermediateCourt) (the intermediate court) may write policy; a grassroots court may file explanation.filed for its own units")
        }
        return Parallel.map(drafts) { PreparedDraft($0, node: node) }
    }

    /// One batch inside a write transaction: ids already stored are no-ops (or refused with
    /// other content), the rest chained after the head, signed on all cores and inserted.
    static func append(_ db: Database, _ prepared: [PreparedDraft], sealer: EventSealer, recordedAt: Int64) throws -> AppendOutcome {
        let node = sealer.node
        let head = try Self.head(db, node)
        try Self.refuseAppendWhileOwed(db, node: node, head: head)
        let stored = try Self.storedIDs(db, node: node, ids: prepared.map(\.draft.id))
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
        // Signing on every core overlaps inserting the events already signed.
        let insert = try insertStatement(db)
        let sealed = try SealingPipeline(chained, key: sealer.key).run { i, event in
            try EventRowBinding.insert(event, digest: fresh[i].contentDigest, columns: fresh[i].columns, recordedAt: recordedAt, with: insert)
        }
        if let last = sealed.last { try setHead(db, node: node, seq: last.seq, hash: last.hash) }
        return AppendOutcome(appended: sealed, alreadyStored: existing, head: sealed.last.map { LogHead(seq: $0.seq, hash: $0.hash) } ?? head)
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

    static func setHead(_ db: Database, node: String, seq: Int64, hash: EventHash) throws {
        try db.execute(sql: """
            INSERT INTO log_head (node, seq, hash) VALUES (?, ?, ?)
            ON CONFLICT(node) DO UPDATE SET seq = excluded.seq, hash = excluded.hash
            """, arguments: [node, seq, Data(hash.bytes)])
    }

    /// Stores signed events in order, with their prepared digests and columns when known (else
    /// prepared on all cores), each row bound straight from the event's bytes.
    static func insert(_ db: Database, _ events: [SignedEvent], prepared: [PreparedDraft]? = nil, recordedAt: Int64) throws {
        guard let last = events.last else { return }
        let insert = try insertStatement(db)
        let drafts = prepared ?? Parallel.map(events) { PreparedDraft($0.draft, node: $0.node) }
        for i in events.indices {
            try EventRowBinding.insert(events[i], digest: drafts[i].contentDigest, columns: drafts[i].columns, recordedAt: recordedAt, with: insert)
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
        var count: Int64 = 0
        // A window at a time, whatever the log's length, the next read while this one is
        // checked: each row re-read from its signed body, checked against its columns and its
        // signer found in one pass on all cores; then linked in order.
        try forEachRowWindow(of: node, from: 1) { rows in
            let hint = verifier.keyHint
            // Chunks of 64 rows (a few milliseconds of signatures each): the window ends with
            // both cores busy to within one short chunk, not one of 256 rows.
            let checked = Parallel.map(rows, chunksPerCore: Self.verifyWindow / 64 / Parallel.width) { row in
                Result { () throws(EventError) -> (SignedEvent, Int?) in
                    let event = try row.event()
                    return (event, LogVerifier.signer(of: event, in: history, hint: hint))
                }
            }
            var events: [SignedEvent] = [], signers: [Int?] = []
            events.reserveCapacity(checked.count)
            signers.reserveCapacity(checked.count)
            for result in checked {
                let (event, signer) = try result.get()
                events.append(event)
                signers.append(signer)
            }
            try verifier.verify(events, signedBy: signers)
            count += Int64(events.count)
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

    /// `prepared`, when given, is each event's draft as its parse prepared it (content digest and
    /// stored columns), in the same order.
    static func receive(_ db: Database, _ events: [SignedEvent], prepared: [PreparedDraft]? = nil, recordedAt: Int64) throws -> Receipt {
        guard let first = events.first else { throw EventError("nothing to receive: the batch is empty") }

            let head = try Self.head(db, first.node)
            let lookup = try db.cachedStatement(sql: "SELECT hash FROM event WHERE node = ? AND seq = ?")
            // The events past the head are the batch's tail; when that is the whole batch (as
            // nearly always) the arrays are passed on as they are, not copied event by event.
            var fresh = events
            var freshPrepared = prepared
            if events.indices.contains(where: { events[$0].seq <= head.seq }) {
                for i in events.indices where events[i].seq <= head.seq {
                    let e = events[i]
                    guard let stored = try Data.fetchOne(lookup, arguments: [e.node, e.seq]) else {
                        throw EventError("seq \(e.seq) of node \(e.node) is missing from this store: its log here is damaged; verify it with `courtsync audit verify`", seq: e.seq)
                    }
                    guard Array(stored) == e.hash.bytes else {
                        throw ForkError(node: e.node, seq: e.seq, held: EventHash(raw: Array(stored)) ?? .genesis, offered: e.hash)
                    }
                }
                let past = events.indices.filter { events[$0].seq > head.seq }
                fresh = past.map { events[$0] }
                freshPrepared = prepared.map { drafts in past.map { drafts[$0] } }
            }
            if let next = fresh.first {
                guard next.seq == head.seq + 1, next.prev == head.hash else {
                    throw EventError("expected seq \(head.seq + 1) of node \(next.node) next, but the events start at \(next.seq): send the log from seq \(head.seq + 1)", seq: next.seq)
                }
                try Self.insert(db, fresh, prepared: freshPrepared, recordedAt: recordedAt)
            }
            let newHead = fresh.last.map { LogHead(seq: $0.seq, hash: $0.hash) } ?? head
            return Receipt(known: events.count - fresh.count, stored: fresh.count, head: newHead)
    }
}
