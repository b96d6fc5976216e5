import CourtLog
import NodeStore
import TransparencyLog

/// What a replica's ``ProjectionFollower`` copies from PostgreSQL besides the events: the tree's
/// leaves in order, its checkpoints and the witnesses' cosignatures, so that a report or query
/// as of a checkpoint (protocol §16.12) replays from the replica's own SQLite file the way a
/// SQLite hub does. The tree's interior hashes stay in PostgreSQL (``treeRoot(size:)``).
extension PostgresHubStore {
    /// A leaf of the tree, and the event it commits to (none for a key-log record).
    public struct AcceptedLeaf: Sendable {
        public let index: Int64
        public let leaf: EventStore.ExtraLeaf
        public let event: SignedEvent?
        public let recordedAt: Int64
    }

    /// The leaves from `from` on (at most `limit`), in tree order, each with its event. After a
    /// recovery from a mirror (protocol §16.13) the tree may hold an event its court has not
    /// re-pushed yet: the leaves stop before the first such one, so a follower never folds past
    /// a gap.
    public func acceptedLeaves(fromLeaf from: Int64, limit: Int) throws -> [AcceptedLeaf] {
        try pool.read { s in
            let rows = try s.query("""
                SELECT t.idx, t.court, t.seq, t.entry, e.hash, e.line, e.recorded_at FROM tlog_entry t
                LEFT JOIN event e ON e.court = t.court AND e.seq = t.seq
                WHERE t.idx >= $1 ORDER BY t.idx LIMIT $2
                """, [.int(from), .int(Int64(limit))])
            var out: [AcceptedLeaf] = []
            for row in rows {
                let court = try row.text(1), seq = try row.int(2)
                let leaf = EventStore.ExtraLeaf(node: court, seq: seq, entry: try row.bytes(3))
                guard court != "keylog" else {
                    out.append(AcceptedLeaf(index: try row.int(0), leaf: leaf, event: nil, recordedAt: 0))
                    continue
                }
                guard let recordedAt = try row.optionalInt(6) else { break }
                let hash = try row.bytes(4)
                let event = try justStored.take(court: court, seq: seq, hash: hash) ?? Self.event(seq: seq, hash: hash, line: try row.bytes(5), court: court)
                out.append(AcceptedLeaf(index: try row.int(0), leaf: leaf, event: event, recordedAt: recordedAt))
            }
            return out
        }
    }

    /// The checkpoints signed of sizes in `above + 1 … upTo`, in order.
    public func checkpoints(above: Int64, upTo: Int64) throws -> [EventStore.MirroredCheckpoint] {
        try pool.read { s in
            try s.query("SELECT size, note, at FROM tlog_checkpoint WHERE size > $1 AND size <= $2 ORDER BY size", [.int(above), .int(upTo)]).map {
                EventStore.MirroredCheckpoint(size: try $0.int(0), note: try $0.text(1), at: try $0.int(2))
            }
        }
    }

    /// The cosignatures received at `since` or later (a witness's newer one for a size replaces its older).
    public func cosignatures(since: Int64) throws -> [EventStore.MirroredCosignature] {
        try pool.read { s in
            try s.query("SELECT size, witness, line, at FROM tlog_cosignature WHERE at >= $1 ORDER BY at", [.int(since)]).map {
                EventStore.MirroredCosignature(size: try $0.int(0), witness: try $0.text(1), line: try $0.text(2), at: try $0.int(3))
            }
        }
    }

    /// The root of the tree of `size` leaves, from the subtree hashes PostgreSQL holds.
    public func treeRoot(size: Int64) throws -> [UInt8] {
        try pool.read { s in
            try checkSize(s, size)
            return try MerkleTree.root(size: size) { try Self.node(s, level: $0, index: $1) }
        }
    }
}
