import CourtLog
import Crypto
import Foundation
import NodeStore
import PostgresNIO

/// The hub's authoritative state in PostgreSQL, shared by every `hub serve` replica that names
/// the same database (a province or the nation; the SQLite ``EventStore`` stays the default).
///
/// Concurrency is the database's: a push locks its court's row in `court_log` (`FOR UPDATE`)
/// for the whole transaction, so two replicas racing on one court serialize and the second sees
/// the first's events (known, or a gap). The push commits its new leaves as pending; the tree's
/// sequencer (``integrate(signer:at:through:)``, one transaction at a time under the tree's
/// advisory lock) then gives every pending leaf of every court its index in one go and signs
/// one checkpoint for them all, so concurrent pushes share one tree transaction instead of
/// queueing on the tree for the whole of theirs. No transaction holds the tree's lock and then
/// waits for a court's: no deadlock between pushes.
public final class PostgresHubStore: Sendable {
    let pool: PostgresPool
    /// What this replica's pushes stored, for its follower to fold without parsing again.
    let justStored = StoredEventCache()
    public var url: DatabaseURL { pool.url }

    /// Connects and brings the schema up to date (versioned migrations, under an advisory lock
    /// so that replicas starting together migrate once). A schema written by a newer CourtSync
    /// is refused, with nothing changed.
    public init(url: DatabaseURL) throws {
        pool = try PostgresPool(url: url)
        try migrate()
    }

    /// Closes the idle connections (a replica does this as it stops).
    public func close() { pool.closeAll() }

    /// The migrations, in order. Shipped ones are never edited: add a new named one at the end.
    static let migrations: [(name: String, sql: String)] = [
        ("pg1-hub-log", """
            CREATE TABLE court_log (court TEXT PRIMARY KEY, seq BIGINT NOT NULL, hash BYTEA NOT NULL);
            CREATE TABLE event (
                court TEXT NOT NULL, seq BIGINT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL, at_utc BIGINT NOT NULL,
                hash BYTEA NOT NULL, prev BYTEA NOT NULL, line BYTEA NOT NULL, recorded_at BIGINT NOT NULL,
                PRIMARY KEY (court, seq), UNIQUE (court, id)
            ) PARTITION BY HASH (court);
            \((0..<16).map { "CREATE TABLE event_h\($0) PARTITION OF event FOR VALUES WITH (MODULUS 16, REMAINDER \($0));" }.joined(separator: "\n"))
            CREATE TABLE tlog_state (id INTEGER PRIMARY KEY CHECK (id = 1), size BIGINT NOT NULL);
            INSERT INTO tlog_state (id, size) VALUES (1, 0);
            CREATE TABLE tlog_entry (idx BIGINT PRIMARY KEY, court TEXT NOT NULL, seq BIGINT NOT NULL, entry BYTEA NOT NULL, UNIQUE (court, seq));
            CREATE TABLE tlog_node (level INTEGER NOT NULL, idx BIGINT NOT NULL, hash BYTEA NOT NULL, PRIMARY KEY (level, idx));
            CREATE TABLE tlog_checkpoint (size BIGINT PRIMARY KEY, note TEXT NOT NULL, at BIGINT NOT NULL);
            CREATE TABLE tlog_cosignature (size BIGINT NOT NULL, witness TEXT NOT NULL, line TEXT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (size, witness));
            CREATE TABLE keylog (n BIGINT PRIMARY KEY, court TEXT NOT NULL, action TEXT NOT NULL, public_key TEXT NOT NULL, record BYTEA NOT NULL, at BIGINT NOT NULL);
            CREATE TABLE hub_node (court TEXT PRIMARY KEY, public_key TEXT NOT NULL, tls_serial TEXT NOT NULL, status TEXT NOT NULL,
                                   enrolled_at BIGINT NOT NULL, revoked_at BIGINT);
            CREATE TABLE hub_revoked_key (public_key TEXT PRIMARY KEY, court TEXT NOT NULL, revoked_at BIGINT NOT NULL);
            CREATE TABLE hub_auditor (name TEXT PRIMARY KEY, token_sha256 TEXT NOT NULL, created_at BIGINT NOT NULL, role TEXT NOT NULL DEFAULT 'auditor');
            CREATE TABLE hub_alarm (id BIGSERIAL PRIMARY KEY, court TEXT NOT NULL, seq BIGINT, kind TEXT NOT NULL, detail TEXT NOT NULL,
                                    evidence TEXT, at BIGINT NOT NULL);
            CREATE TABLE hub_push (court TEXT PRIMARY KEY, node_head BIGINT NOT NULL, at BIGINT NOT NULL);
            CREATE TABLE hub_witness (name TEXT PRIMARY KEY, url TEXT NOT NULL, verifier_key TEXT NOT NULL, ca_pem TEXT,
                                      size BIGINT NOT NULL DEFAULT 0, added_at BIGINT NOT NULL);
            """),
        // The tree's two big tables range-partitioned by leaf (2^20 leaves a partition, made ahead
        // as the tree grows; ``movePartitionedTree`` moves an existing tree's rows in), and the
        // leaves a push committed that the sequencer has not yet put in the tree.
        ("pg2-tree-partitions", """
            ALTER TABLE tlog_entry RENAME TO tlog_entry_unpartitioned;
            ALTER TABLE tlog_node RENAME TO tlog_node_unpartitioned;
            ALTER TABLE tlog_entry_unpartitioned RENAME CONSTRAINT tlog_entry_pkey TO tlog_entry_unpartitioned_pkey;
            ALTER TABLE tlog_entry_unpartitioned RENAME CONSTRAINT tlog_entry_court_seq_key TO tlog_entry_unpartitioned_court_seq_key;
            ALTER TABLE tlog_node_unpartitioned RENAME CONSTRAINT tlog_node_pkey TO tlog_node_unpartitioned_pkey;
            CREATE TABLE tlog_entry (idx BIGINT NOT NULL, court TEXT NOT NULL, seq BIGINT NOT NULL, entry BYTEA NOT NULL,
                                     PRIMARY KEY (idx)) PARTITION BY RANGE (idx);
            CREATE INDEX tlog_entry_court_seq ON tlog_entry (court, seq);
            CREATE TABLE tlog_node (level INTEGER NOT NULL, idx BIGINT NOT NULL, leaf BIGINT NOT NULL, hash BYTEA NOT NULL,
                                    PRIMARY KEY (level, leaf)) PARTITION BY RANGE (leaf);
            CREATE TABLE tlog_pending (id BIGSERIAL PRIMARY KEY, court TEXT NOT NULL, seq BIGINT NOT NULL, entry BYTEA NOT NULL, UNIQUE (court, seq));
            """),
    ]

    /// Steps of a migration that SQL alone cannot take (partitions named by the data), run right after its SQL.
    static let migrationSteps: [String: @Sendable (PostgresSession) throws -> Void] = [
        "pg2-tree-partitions": { s in try movePartitionedTree(s) },
    ]

    func migrate() throws {
        try pool.transaction { s in
            // One replica migrates at a time; the others wait here, then find nothing to do.
            try s.execute("SELECT pg_advisory_xact_lock(410800)")
            try s.execute("CREATE TABLE IF NOT EXISTS courtsync_migration (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)")
            let applied = Set(try s.query("SELECT name FROM courtsync_migration").map { try $0.text(0) })
            let known = Set(Self.migrations.map(\.name))
            if let newer = applied.subtracting(known).sorted().first {
                throw StoreError("the hub's database at \(url.redacted) has schema '\(newer)' from a newer CourtSync: upgrade courtsync on this machine (nothing was changed)")
            }
            for m in Self.migrations where !applied.contains(m.name) {
                try s.script(m.sql)
                try Self.migrationSteps[m.name]?(s)
                try s.execute("INSERT INTO courtsync_migration (name, applied_at) VALUES ($1, $2)", [.text(m.name), .int(Int64(Date().timeIntervalSince1970))])
            }
        }
    }

    /// True when the database holds no hub yet (no key-log record, no event): `hub init` uses only such a database.
    public func isEmpty() throws -> Bool {
        try pool.read { s in
            let keylog = try s.query("SELECT COUNT(*) FROM keylog")[0].int(0)
            let events = try s.query("SELECT size FROM tlog_state WHERE id = 1")[0].int(0)
            return keylog == 0 && events == 0
        }
    }

    /// Empties every table (the undo of a `hub init` that failed half way; never on a hub in use).
    func erase() throws {
        try pool.transaction { s in
            try s.execute("""
                TRUNCATE court_log, event, tlog_entry, tlog_node, tlog_pending, tlog_checkpoint, tlog_cosignature, keylog, hub_node, hub_revoked_key,
                         hub_auditor, hub_alarm, hub_push, hub_witness
                """)
            try s.execute("UPDATE tlog_state SET size = 0 WHERE id = 1")
        }
    }

    static func tokenDigest(_ token: String) -> String { Hex.encode(Array(SHA256.hash(data: Array(token.utf8)))) }
}

extension PostgresHubStore {
    /// The process id of the PostgreSQL server (the postmaster) when it runs on this machine:
    /// the parent of this connection's backend. What `bench sync --database` counts CPU time of.
    public func serverProcess() throws -> Int32 {
        let backend = try pool.read { s in Int32(try s.query("SELECT pg_backend_pid()::bigint")[0].int(0)) }
        guard let text = try? String(contentsOfFile: "/proc/\(backend)/stat", encoding: .utf8), let close = text.lastIndex(of: ")"),
              case let fields = text[text.index(after: close)...].split(separator: " "), fields.count > 1, let parent = Int32(fields[1]) else {
            throw StoreError("the PostgreSQL server at \(url.redacted) does not run on this machine (no process \(backend)): bench it with the database on this machine")
        }
        return parent
    }
}
