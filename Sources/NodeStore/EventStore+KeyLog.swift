import CourtLog
import Foundation
import GRDB
import TransparencyLog

/// The hub's key log (protocol §16.10): enrollments, rotations and revocations as leaves of the
/// transparency log, written in the same transaction as the registry change they record, with a
/// new checkpoint. The caller checks the record's signatures and rules by replaying the key log;
/// this store keeps the invariants that make that replay the truth: records are numbered without
/// gaps (a concurrent writer fails), and the registry tables change only with a record.
extension EventStore {
    static func registerKeyLogMigration(_ m: inout DatabaseMigrator) {
        m.registerMigration("v10-key-log") { db in
            try db.execute(sql: """
                CREATE TABLE keylog (n INTEGER PRIMARY KEY, court TEXT NOT NULL, action TEXT NOT NULL, public_key TEXT NOT NULL,
                                     record BLOB NOT NULL, at INTEGER NOT NULL);
                """)
        }
        // Standalone witnesses the hub sends its checkpoints to (protocol §16.11).
        m.registerMigration("v11-hub-witnesses") { db in
            try db.execute(sql: """
                CREATE TABLE hub_witness (name TEXT PRIMARY KEY, url TEXT NOT NULL, verifier_key TEXT NOT NULL, ca_pem TEXT,
                                          size INTEGER NOT NULL DEFAULT 0, added_at INTEGER NOT NULL) WITHOUT ROWID;
                """)
        }
    }

    /// What a key-log record changes in the registry tables (none for a migrated hub's records,
    /// which describe what the registry already holds).
    public enum RegistryChange: Sendable {
        case none
        case enroll(court: String, publicKey: String, tlsSerial: String)
        case rotate(court: String, oldPublicKey: String, publicKey: String, tlsSerial: String)
        case revoke(court: String, publicKey: String)
    }

    /// A record to append: its number, court, action, key and canonical JSON.
    public struct KeyLogAppend: Sendable {
        public let n: Int64
        public let court: String
        public let action: String
        public let publicKey: String
        public let record: [UInt8]
        public let entry: [UInt8]
        public let change: RegistryChange
        public init(n: Int64, court: String, action: String, publicKey: String, record: [UInt8], entry: [UInt8], change: RegistryChange) {
            self.n = n
            self.court = court
            self.action = action
            self.publicKey = publicKey
            self.record = record
            self.entry = entry
            self.change = change
        }
    }

    /// The records of the key log, in order (canonical JSON of each signed record).
    public func keyLogRecords() throws -> [[UInt8]] {
        try read { db in try Data.fetchAll(db, sql: "SELECT record FROM keylog ORDER BY n").map { Array($0) } }
    }

    /// Appends key-log records and their registry changes in one transaction, extends the tree
    /// with them (after the events not yet in it, or before when `first`) and signs a checkpoint.
    /// Refused, with nothing written, when a record's number is not the next one.
    @discardableResult
    public func appendKeyLog(_ records: [KeyLogAppend], signer: NoteSigner, at: Int64, first: Bool = false,
                             requiringHead: (court: String, seq: Int64)? = nil) throws -> (size: Int64, checkpoint: String) {
        try write { db in
            // A rotation's from_seq was checked against the court's head: a push committed since
            // would put old-key events past it.
            if let (court, seq) = requiringHead, case let now = try Self.head(db, court).seq, now != seq {
                throw StoreError("court \(court)'s log at the hub moved from seq \(seq) to \(now) while the rotation was being recorded: nothing was written; run the command again")
            }
            var next = (try Int64.fetchOne(db, sql: "SELECT MAX(n) FROM keylog") ?? 0) + 1
            for r in records {
                guard r.n == next else {
                    throw StoreError("the key log changed while this record was made (expected record \(next), got \(r.n)): run the command again")
                }
                next += 1
                try db.execute(sql: "INSERT INTO keylog (n, court, action, public_key, record, at) VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [r.n, r.court, r.action, r.publicKey, Data(r.record), at])
                try Self.applyRegistryChange(db, r.change, at: at)
            }
            let leaves = records.map { ExtraLeaf(node: "keylog", seq: $0.n, entry: $0.entry) }
            return try Self.extendTree(db, signer: signer, at: at, extra: leaves, extraFirst: first)
        }
    }

    static func applyRegistryChange(_ db: Database, _ change: RegistryChange, at: Int64) throws {
        switch change {
        case .none:
            return
        case .enroll(let court, let key, let serial):
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM hub_revoked_key WHERE public_key = ?", arguments: [key]) == true {
                throw StoreError("this key (\((try? NodePublicKey(hex: key).fingerprint) ?? key)) was revoked: a revoked key is never enrolled again; the court must make a new key and a new request")
            }
            if try String.fetchOne(db, sql: "SELECT status FROM hub_node WHERE court = ?", arguments: [court]) == "active" {
                throw StoreError("court \(court) is already enrolled: a new key needs `courtsync hub rotate` with a request signed by the old key, or `courtsync hub revoke --reason` first")
            }
            try db.execute(sql: """
                INSERT INTO hub_node (court, public_key, tls_serial, status, enrolled_at) VALUES (?, ?, ?, 'active', ?)
                ON CONFLICT(court) DO UPDATE SET public_key = excluded.public_key, tls_serial = excluded.tls_serial,
                    status = 'active', enrolled_at = excluded.enrolled_at, revoked_at = NULL
                """, arguments: [court, key, serial, at])
        case .rotate(let court, let old, let key, let serial):
            try db.execute(sql: "UPDATE hub_node SET public_key = ?, tls_serial = ?, enrolled_at = ? WHERE court = ? AND public_key = ? AND status = 'active'",
                           arguments: [key, serial, at, court, old])
            guard db.changesCount == 1 else { throw StoreError("court \(court) has no active key to rotate: enroll it instead") }
            // A key rotated out is never admitted again, like a revoked one.
            try db.execute(sql: "INSERT OR IGNORE INTO hub_revoked_key (public_key, court, revoked_at) VALUES (?, ?, ?)", arguments: [old, court, at])
        case .revoke(let court, let key):
            try db.execute(sql: "UPDATE hub_node SET status = 'revoked', revoked_at = ? WHERE court = ? AND public_key = ? AND status = 'active'",
                           arguments: [at, court, key])
            guard db.changesCount == 1 else { throw StoreError("court \(court) is not enrolled with an active key: nothing to revoke") }
            try db.execute(sql: "INSERT OR IGNORE INTO hub_revoked_key (public_key, court, revoked_at) VALUES (?, ?, ?)", arguments: [key, court, at])
        }
    }

    /// Keys revoked before the key log existed, oldest first (for a migrated hub's records).
    public func revokedKeys() throws -> [(court: String, publicKey: String, at: Int64)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT court, public_key, revoked_at FROM hub_revoked_key ORDER BY revoked_at, court").map {
                (court: $0[0] as String, publicKey: $0[1] as String, at: $0[2] as Int64)
            }
        }
    }

    /// A standalone witness the hub sends its checkpoints to (protocol §16.11).
    public struct HubWitness: Sendable {
        public let name: String
        public let url: String
        public let verifierKey: String
        /// The CA that issued the witness's HTTPS certificate (nil: the system's roots).
        public let caPEM: String?
        /// The size the witness last cosigned, as far as the hub knows.
        public let size: Int64
    }

    public func addWitness(name: String, url: String, verifierKey: String, caPEM: String?, at: Int64) throws {
        try write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM hub_witness WHERE name = ?", arguments: [name]) == true {
                throw StoreError("a witness named '\(name)' is already added: each witness is added once")
            }
            try db.execute(sql: "INSERT INTO hub_witness (name, url, verifier_key, ca_pem, added_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [name, url, verifierKey, caPEM, at])
        }
    }

    public func witnesses() throws -> [HubWitness] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT name, url, verifier_key, ca_pem, size FROM hub_witness ORDER BY name").map {
                HubWitness(name: $0[0], url: $0[1], verifierKey: $0[2], caPEM: $0[3], size: $0[4])
            }
        }
    }

    /// Notes the size a witness holds (from its cosignature or its 409 answer).
    public func setWitnessSize(name: String, size: Int64) throws {
        try write { db in try db.execute(sql: "UPDATE hub_witness SET size = ? WHERE name = ?", arguments: [size, name]) }
    }
}
