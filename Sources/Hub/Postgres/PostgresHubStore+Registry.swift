import CourtLog
import Foundation
import NodeStore
import PostgresNIO
import TransparencyLog

/// Enrolled nodes, revoked keys, credentials and the key log, with the same rules as the SQLite
/// hub's (EventStore+KeyLog.swift): the registry changes only with a key-log record, in the
/// transaction that appends the record's leaf and signs a checkpoint.
extension PostgresHubStore: HubRegistry {
    public func enrolledNodes() throws -> [EventStore.EnrolledNode] {
        try pool.read { s in
            try s.query("SELECT court, public_key, tls_serial, status, enrolled_at FROM hub_node ORDER BY court").map {
                EventStore.EnrolledNode.make(court: try $0.text(0), publicKey: try $0.text(1), tlsSerial: try $0.text(2), status: try $0.text(3), enrolledAt: try $0.int(4))
            }
        }
    }

    public func addAuditor(name: String, token: String, role: String, at: Int64) throws {
        try pool.transaction { s in
            guard try s.query("SELECT 1 FROM hub_auditor WHERE name = $1 FOR UPDATE", [.text(name)]).isEmpty else {
                throw StoreError("an auditor named '\(name)' already exists: choose another name")
            }
            try s.execute("INSERT INTO hub_auditor (name, token_sha256, created_at, role) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
                          [.text(name), .text(Self.tokenDigest(token)), .int(at), .text(role)])
        }
    }

    public func auditor(token: String) throws -> String? { try credential(token: token, role: "auditor") }
    public func scraper(token: String) throws -> String? { try credential(token: token, role: "metrics") }

    func credential(token: String, role: String) throws -> String? {
        try pool.read { s in
            try s.query("SELECT name FROM hub_auditor WHERE token_sha256 = $1 AND role = $2", [.text(Self.tokenDigest(token)), .text(role)]).first.map { try $0.text(0) }
        }
    }

    public func keyLogRecords() throws -> [[UInt8]] {
        try pool.read { s in try s.query("SELECT record FROM keylog ORDER BY n").map { try $0.bytes(0) } }
    }

    public func appendKeyLog(_ records: [EventStore.KeyLogAppend], signer: NoteSigner, at: Int64, first: Bool,
                             requiringHead: (court: String, seq: Int64)? = nil) throws -> (size: Int64, checkpoint: String) {
        try pool.transaction { s in
            // The court's row before the tree's (the lock order of a push): a push committed since
            // the rotation's from_seq was checked would put old-key events past it.
            if let (court, seq) = requiringHead, case let now = try Self.head(s, court, lock: true).seq, now != seq {
                throw StoreError("court \(court)'s log at the hub moved from seq \(seq) to \(now) while the rotation was being recorded: nothing was written; run the command again")
            }
            // The tree's lock first: key-log records and pushes take their leaves in one order.
            try Self.lockTree(s)
            var next = (try s.query("SELECT COALESCE(MAX(n), 0) FROM keylog")[0].int(0)) + 1
            for r in records {
                guard r.n == next else {
                    throw StoreError("the key log changed while this record was made (expected record \(next), got \(r.n)): run the command again")
                }
                next += 1
                try s.execute("INSERT INTO keylog (n, court, action, public_key, record, at) VALUES ($1, $2, $3, $4, $5, $6)",
                              [.int(r.n), .text(r.court), .text(r.action), .text(r.publicKey), .bytes(r.record), .int(at)])
                try Self.applyRegistryChange(s, r.change, at: at)
            }
            let leaves = records.map { EventStore.ExtraLeaf(node: "keylog", seq: $0.n, entry: $0.entry) }
            let tree = try Self.appendToTree(s, leaves, signer: signer, at: at)
            return (tree.size, tree.checkpoint ?? "")
        }
    }

    static func applyRegistryChange(_ s: PostgresSession, _ change: EventStore.RegistryChange, at: Int64) throws {
        switch change {
        case .none:
            return
        case .enroll(let court, let key, let serial):
            if try !s.query("SELECT 1 FROM hub_revoked_key WHERE public_key = $1", [.text(key)]).isEmpty {
                throw StoreError("this key (\((try? NodePublicKey(hex: key).fingerprint) ?? key)) was revoked: a revoked key is never enrolled again; the court must make a new key and a new request")
            }
            if try s.query("SELECT status FROM hub_node WHERE court = $1", [.text(court)]).first.map({ try $0.text(0) }) == "active" {
                throw StoreError("court \(court) is already enrolled: a new key needs `courtsync hub rotate` with a request signed by the old key, or `courtsync hub revoke --reason` first")
            }
            try s.execute("""
                INSERT INTO hub_node (court, public_key, tls_serial, status, enrolled_at) VALUES ($1, $2, $3, 'active', $4)
                ON CONFLICT (court) DO UPDATE SET public_key = excluded.public_key, tls_serial = excluded.tls_serial,
                    status = 'active', enrolled_at = excluded.enrolled_at, revoked_at = NULL
                """, [.text(court), .text(key), .text(serial), .int(at)])
        case .rotate(let court, let old, let key, let serial):
            let changed = try s.query("""
                UPDATE hub_node SET public_key = $1, tls_serial = $2, enrolled_at = $3 WHERE court = $4 AND public_key = $5 AND status = 'active' RETURNING court
                """, [.text(key), .text(serial), .int(at), .text(court), .text(old)])
            guard changed.count == 1 else { throw StoreError("court \(court) has no active key to rotate: enroll it instead") }
            try s.execute("INSERT INTO hub_revoked_key (public_key, court, revoked_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [.text(old), .text(court), .int(at)])
        case .revoke(let court, let key):
            let changed = try s.query("""
                UPDATE hub_node SET status = 'revoked', revoked_at = $1 WHERE court = $2 AND public_key = $3 AND status = 'active' RETURNING court
                """, [.int(at), .text(court), .text(key)])
            guard changed.count == 1 else { throw StoreError("court \(court) is not enrolled with an active key: nothing to revoke") }
            try s.execute("INSERT INTO hub_revoked_key (public_key, court, revoked_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [.text(key), .text(court), .int(at)])
        }
    }

    public func revokedKeys() throws -> [(court: String, publicKey: String, at: Int64)] {
        try pool.read { s in
            try s.query("SELECT court, public_key, revoked_at FROM hub_revoked_key ORDER BY revoked_at, court").map {
                (court: try $0.text(0), publicKey: try $0.text(1), at: try $0.int(2))
            }
        }
    }
}
