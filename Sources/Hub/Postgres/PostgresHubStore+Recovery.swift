import CourtLog
import Foundation
import NodeStore
import PostgresNIO
import TransparencyLog

/// A hub on PostgreSQL rebuilt from a mirror of its tiles (protocol §16.13), as the SQLite hub is
/// (``HubDirectory/recover(mirror:policyEvents:now:)`` checks the mirror once for both): the
/// entries the database lacks are appended exactly as the mirror holds them, in one transaction;
/// an event entry past its court's head is an **expected** event, which its court re-pushes and
/// which then keeps its leaf (``ingest(_:nodeHead:recordedAt:checkpointSigner:)``).
extension PostgresHubStore: HubRecoveryTarget {
    /// Every entry of the tree, in order.
    public func treeEntries() throws -> [[UInt8]] {
        try pool.read { s in try s.query("SELECT entry FROM tlog_entry ORDER BY idx").map { try $0.bytes(0) } }
    }

    /// The courts whose entries the tree holds beyond the events the database holds (one index
    /// look per court: every court the tree names has a `court_log` row, made at recovery).
    public func owedEvents() throws -> [EventStore.OwedEvents] {
        try pool.read { s in
            try s.query("""
                SELECT c.court, c.seq, (SELECT MAX(t.seq) FROM tlog_entry t WHERE t.court = c.court) FROM court_log c ORDER BY c.court
                """).compactMap { row in
                let court = try row.text(0), held = try row.int(1)
                guard let tree = try row.optionalInt(2), tree > held else { return nil }
                return EventStore.OwedEvents(court: court, fromSeq: held + 1, toSeq: tree)
            }
        }
    }

    /// Appends `leaves` after the `heldSize` entries the tree holds, with their key-log records
    /// and registry changes, a `court_log` row for each court they name, and the checkpoints
    /// given with their cosignatures, all in one transaction: the root of the tree so made must
    /// be `root`, or nothing is written (a kill part way leaves the database as it was).
    public func restoreTree(heldSize: Int64, leaves: [EventStore.RestoredLeaf], root: [UInt8],
                            checkpoints: [EventStore.RestoredCheckpoint], at: Int64) throws {
        try pool.transaction { s in
            // The tree's lock first, as every writer of the tree takes it: a replica still serving
            // waits, then finds the tree moved.
            try Self.lockTree(s)
            let size = try Self.size(s)
            guard size == heldSize else {
                throw StoreError("the hub's tree changed while it was being recovered (\(size) entries, not \(heldSize)): stop every `hub serve` replica and run `hub recover` again")
            }
            var nextRecord = (try s.query("SELECT COALESCE(MAX(n), 0) FROM keylog")[0].int(0)) + 1
            for restored in leaves {
                guard let record = restored.keyLog else { continue }
                guard record.n == nextRecord else {
                    throw StoreError("the mirror's key-log record \(record.n) does not follow the hub's \(nextRecord - 1): the mirror is not of this hub's log")
                }
                nextRecord += 1
                try s.execute("INSERT INTO keylog (n, court, action, public_key, record, at) VALUES ($1, $2, $3, $4, $5, $6)",
                              [.int(record.n), .text(record.court), .text(record.action), .text(record.publicKey), .bytes(record.record), .int(at)])
                try Self.applyRegistryChange(s, record.change, at: at)
            }
            let courts = Set(leaves.filter { $0.keyLog == nil }.map(\.leaf.node)).sorted()
            if !courts.isEmpty {
                try s.execute("""
                    INSERT INTO court_log (court, seq, hash) SELECT c, 0, $2 FROM unnest($1::text[]) AS c ON CONFLICT (court) DO NOTHING
                    """, [.texts(courts), .bytes(EventHash.genesis.bytes)])
            }
            var start = 0
            while start < leaves.count {
                let chunk = leaves[start..<min(start + 10_000, leaves.count)].map(\.leaf)
                _ = try Self.appendToTree(s, chunk, signer: nil, at: at)
                start += chunk.count
            }
            let made = try MerkleTree.root(size: heldSize + Int64(leaves.count)) { try Self.node(s, level: $0, index: $1) }
            guard made == root else {
                throw StoreError("the restored tree's root is not the mirror checkpoint's: nothing was changed; check the mirror with `courtsync audit mirror`")
            }
            for checkpoint in checkpoints {
                try s.execute("""
                    INSERT INTO tlog_checkpoint (size, note, at) VALUES ($1, $2, $3) ON CONFLICT (size) DO UPDATE SET note = excluded.note, at = excluded.at
                    """, [.int(checkpoint.size), .text(checkpoint.note), .int(checkpoint.at)])
                for c in checkpoint.cosignatures {
                    try s.execute("""
                        INSERT INTO tlog_cosignature (size, witness, line, at) VALUES ($1, $2, $3, $4)
                        ON CONFLICT (size, witness) DO UPDATE SET line = excluded.line, at = excluded.at
                        """, [.int(checkpoint.size), .text(c.witness), .text(c.line), .int(at)])
                }
            }
        }
    }
}
