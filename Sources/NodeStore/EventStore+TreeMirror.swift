import Foundation
import GRDB

/// A copy of a PostgreSQL hub's tree in a replica's SQLite file: the leaves in their order, the
/// checkpoints and the cosignatures, kept by the projection follower after the events they name
/// are folded. With them, the log as it stood at a checkpoint and when each event was published
/// (protocol §16.12) are read here exactly as on a SQLite hub. The interior hashes are not copied
/// (roots and proofs come from PostgreSQL), and a copied tree is never extended here: the tree
/// is PostgreSQL's.
extension EventStore {
    public struct MirroredCheckpoint: Sendable {
        public let size: Int64
        public let note: String
        public let at: Int64
        public init(size: Int64, note: String, at: Int64) {
            self.size = size
            self.note = note
            self.at = at
        }
    }

    public struct MirroredCosignature: Sendable {
        public let size: Int64
        public let witness: String
        public let line: String
        public let at: Int64
        public init(size: Int64, witness: String, line: String, at: Int64) {
            self.size = size
            self.witness = witness
            self.line = line
            self.at = at
        }
    }

    /// How far the copy goes: leaves held, the largest checkpoint, the latest cosignature's time.
    public func mirrorState() throws -> (size: Int64, checkpoint: Int64, cosignedAt: Int64) {
        try read { db in
            (try Self.treeState(db).size,
             try Int64.fetchOne(db, sql: "SELECT MAX(size) FROM tlog_checkpoint") ?? 0,
             try Int64.fetchOne(db, sql: "SELECT MAX(at) FROM tlog_cosignature") ?? 0)
        }
    }

    /// Appends `leaves` (the source tree's leaves from index `start` on) to the copy, with
    /// checkpoints and cosignatures, in one transaction. Leaves the copy holds already (another
    /// process following into the same file copied them) are skipped; a gap is refused, with
    /// nothing written.
    public func mirrorTree(leaves: [ExtraLeaf], from start: Int64, checkpoints: [MirroredCheckpoint], cosignatures: [MirroredCosignature]) throws {
        guard !leaves.isEmpty || !checkpoints.isEmpty || !cosignatures.isEmpty else { return }
        try write { db in
            let held = try Self.treeState(db).size
            guard start <= held else {
                throw StoreError("the copy of the hub's tree in \(path) holds \(held) leaves and cannot take leaves from \(start) (a gap): nothing was written; run the command again")
            }
            let end = start + Int64(leaves.count)
            if end > held {
                let insert = try db.cachedStatement(sql: "INSERT INTO tlog_entry (idx, node, seq, entry) VALUES (?, ?, ?, ?)")
                for (i, leaf) in leaves.enumerated() where start + Int64(i) >= held {
                    insert.setUncheckedArguments([start + Int64(i), leaf.node, leaf.seq, Data(leaf.entry)])
                    try insert.execute()
                }
                try db.execute(sql: "UPDATE tlog_state SET size = ? WHERE id = 1", arguments: [end])
            }
            for c in checkpoints {
                try db.execute(sql: """
                    INSERT INTO tlog_checkpoint (size, note, at) VALUES (?, ?, ?)
                    ON CONFLICT (size) DO UPDATE SET note = excluded.note, at = excluded.at WHERE note != excluded.note OR at != excluded.at
                    """, arguments: [c.size, c.note, c.at])
            }
            for c in cosignatures {
                // Those held already (the latest second's are asked for again) write nothing.
                try db.execute(sql: """
                    INSERT INTO tlog_cosignature (size, witness, line, at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (size, witness) DO UPDATE SET line = excluded.line, at = excluded.at WHERE line != excluded.line OR at != excluded.at
                    """, arguments: [c.size, c.witness, c.line, c.at])
            }
        }
    }

    /// The courts with an event leaf at index `from` or later (key-log records aside), and the tree's size.
    public func courtsInTree(fromLeaf from: Int64) throws -> (courts: [String], size: Int64) {
        try read { db in
            (try String.fetchAll(db, sql: "SELECT DISTINCT node FROM tlog_entry WHERE idx >= ? AND node != 'keylog' ORDER BY node", arguments: [from]),
             try Self.treeState(db).size)
        }
    }
}
