import CourtLog
import Foundation
import NodeStore
import PostgresNIO
import TransparencyLog

/// The transparency log in PostgreSQL: `tlog_entry` (leaves in acceptance order), `tlog_node`
/// (every full subtree's hash, leaves included as level 0), signed checkpoints and cosignatures.
/// Both big tables are range-partitioned by leaf, 2^20 leaves a partition. A push commits its
/// leaves to `tlog_pending`; the sequencer (``appendToTree``, under the tree's advisory lock)
/// gives every pending leaf its index, writes the subtree hashes and signs one checkpoint for
/// all of them, so N pushes waiting at once pay one tree transaction and one signature.
extension PostgresHubStore: HubTransparency {
    /// Leaves a partition of `tlog_entry` and `tlog_node` holds (a node goes with its first leaf).
    static let leavesPerPartition: Int64 = 1 << 20

    /// The tree's lock: an advisory lock held until commit. Every writer of the tree takes it (a
    /// push's sequencer, key-log records), never while waiting for a court's row after it.
    /// Taking it writes nothing, so a push that finds its leaves already integrated commits
    /// without a WAL flush.
    static func lockTree(_ s: PostgresSession) throws {
        try s.execute("SELECT pg_advisory_xact_lock(410800, 16)")
    }

    /// Puts every committed pending leaf (in the order pushes committed them), then `extra`, at
    /// the tree's end with the subtree hashes they complete, and signs a checkpoint of the new
    /// size when given a signer (or returns the stored one of that size). Takes the tree's lock.
    static func appendToTree(_ s: PostgresSession, _ extra: [EventStore.ExtraLeaf], signer: NoteSigner?, at: Int64) throws -> (size: Int64, checkpoint: String?) {
        try lockTree(s)
        let start = try size(s)
        // The pending leaves in commit order, as one row: their ids and leaf hashes (RFC 9162,
        // SHA-256(0x00 ‖ entry), computed by PostgreSQL); the entries never leave the database.
        let pending = try s.query("""
            SELECT COALESCE(array_agg(id ORDER BY id), '{}'), COALESCE(string_agg(encode(sha256('\\x00'::bytea || entry), 'hex'), '' ORDER BY id), '')
            FROM tlog_pending
            """)[0]
        let pendingIDs = try pending[0].decode([Int64].self)
        let pendingHex = Array(try pending.text(1).utf8)
        let pendingHashes = try stride(from: 0, to: pendingHex.count, by: 64).map { i -> [UInt8] in
            guard let h = Hex.decode(String(decoding: pendingHex[i..<min(i + 64, pendingHex.count)], as: UTF8.self), count: 32) else {
                throw StoreError("PostgreSQL returned a damaged leaf hash for a pending leaf: check the hub's database")
            }
            return h
        }
        let count = pendingIDs.count + extra.count
        var known: [TreeNodeID: [UInt8]] = [:]
        // The right edge of the tree: all that appending (and the new root) needs of what is stored.
        let edge = (0..<63).filter { (start >> Int64($0)) & 1 == 1 }.map { TreeNodeID(level: $0, index: (start >> Int64($0)) - 1) }
        if !edge.isEmpty {
            for row in try s.query("SELECT level, idx, hash FROM tlog_node WHERE (level, leaf) IN (SELECT * FROM unnest($1::int[], $2::bigint[]))",
                                   [.ints(edge.map { Int64($0.level) }), .ints(edge.map(\.firstLeaf))]) {
                known[TreeNodeID(level: Int(try row.int(0)), index: try row.int(1))] = try row.bytes(2)
            }
        }
        let fetch: MerkleTree.NodeFetcher = { level, index in
            if let h = known[TreeNodeID(level: level, index: index)] { return h }
            return try Self.node(s, level: level, index: index)
        }
        var size = start
        if count > 0 {
            guard pendingHashes.count == pendingIDs.count else {
                throw StoreError("PostgreSQL returned \(pendingHashes.count) leaf hashes for \(pendingIDs.count) pending leaves: check the hub's database")
            }
            let hashes = pendingHashes + extra.map { MerkleTree.leafHash($0.entry) }
            let made = try MerkleTree.appendedNodes(start: start, leafHashes: hashes, node: fetch)
            for (i, h) in hashes.enumerated() { known[TreeNodeID(level: 0, index: start + Int64(i))] = h }
            for n in made { known[TreeNodeID(level: n.level, index: n.index)] = n.hash }
            size = start + Int64(count)
            try makePartitions(s, from: start, through: size)
            let indexes = (0..<count).map { start + Int64($0) }
            if !pendingIDs.isEmpty {
                try s.execute("""
                    INSERT INTO tlog_entry (idx, court, seq, entry)
                    SELECT $1::bigint + row_number() OVER (ORDER BY id) - 1, court, seq, entry FROM tlog_pending WHERE id = ANY($2)
                    """, [.int(start), .ints(pendingIDs)])
            }
            if !extra.isEmpty {
                try s.execute("""
                    INSERT INTO tlog_entry (idx, court, seq, entry) SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bytea[])
                    """, [.ints(Array(indexes[pendingIDs.count...])), .texts(extra.map(\.node)), .ints(extra.map(\.seq)), .bytesArray(extra.map(\.entry))])
            }
            let levels = Array(repeating: 0, count: hashes.count) + made.map(\.level)
            let nodeIndexes = indexes + made.map(\.index)
            try s.execute("INSERT INTO tlog_node (level, idx, leaf, hash) SELECT * FROM unnest($1::int[], $2::bigint[], $3::bigint[], $4::bytea[])",
                          [.ints(levels.map { Int64($0) }), .ints(nodeIndexes),
                           .ints(zip(levels, nodeIndexes).map { TreeNodeID(level: $0, index: $1).firstLeaf }), .bytesArray(hashes + made.map(\.hash))])
            if !pendingIDs.isEmpty { try s.execute("DELETE FROM tlog_pending WHERE id = ANY($1)", [.ints(pendingIDs)]) }
            try s.execute("UPDATE tlog_state SET size = $1 WHERE id = 1", [.int(size)])
        }
        guard let signer else { return (size, nil) }
        if let note = try s.query("SELECT note FROM tlog_checkpoint WHERE size = $1", [.int(size)]).first.map({ try $0.text(0) }),
           (try? signer.verifier.verifyCheckpoint(note)) != nil {
            return (size, note)
        }
        let root = try MerkleTree.root(size: size, node: fetch)
        let note = signer.sign(Checkpoint(origin: signer.name, size: size, root: root).body)
        try s.execute("""
            INSERT INTO tlog_checkpoint (size, note, at) VALUES ($1, $2, $3) ON CONFLICT (size) DO UPDATE SET note = excluded.note, at = excluded.at
            """, [.int(size), .text(note), .int(at)])
        return (size, note)
    }

    /// Gives the pending leaves their place in the tree and returns a checkpoint including
    /// `through` (the last leaf a push committed): the one another push's sequencer signed if it
    /// already took this push's leaves in, else one this call signs for everything pending.
    ///
    /// A push never queues for the tree's lock behind other pushes: it tries the lock, and when
    /// another push's sequencer holds it, waits (``waitForSequencer``) only until that one
    /// commits, then looks again, without the lock, whether its leaves are now in a signed
    /// checkpoint. So of N pushes waiting at once, those whose leaves the running sequencer took
    /// in answer as soon as it commits, and one of the rest becomes the next sequencer.
    func integrate(signer: NoteSigner?, at: Int64, through leaf: (court: String, seq: Int64)?) throws -> (size: Int64, checkpoint: String?) {
        for _ in 0..<Self.lockTries {
            if let leaf, let signer, let done = try pool.read({ s in try Self.checkpointIncluding(s, leaf, signer: signer) }) {
                return done
            }
            let sequenced = try pool.transaction { s -> (size: Int64, checkpoint: String?)? in
                guard try Self.tryLockTree(s) else { return nil }
                // Between the look and the lock another sequencer may have taken these leaves in.
                if let leaf, let signer, let done = try Self.checkpointIncluding(s, leaf, signer: signer) { return done }
                return try Self.appendToTree(s, [], signer: signer, at: at)
            }
            if let sequenced { return sequenced }
            try pool.read { s in try Self.waitForSequencer(s) }
        }
        // Many sequencers in a row took the lock first (or waiters kept the try from succeeding):
        // queue for it like any other writer of the tree.
        return try pool.transaction { s in
            try Self.lockTree(s)
            if let leaf, let signer, let done = try Self.checkpointIncluding(s, leaf, signer: signer) { return done }
            return try Self.appendToTree(s, [], signer: signer, at: at)
        }
    }

    /// How often a push tries the tree's lock and waits for another sequencer before it queues.
    static let lockTries = 16

    /// Takes the tree's lock if no one holds it (false at once otherwise); held until commit.
    static func tryLockTree(_ s: PostgresSession) throws -> Bool {
        try s.query("SELECT pg_try_advisory_xact_lock(410800, 16)")[0][0].decode(Bool.self)
    }

    /// Returns when the sequencer holding the tree's lock has committed (at once if none does):
    /// the shared form of the lock waits for the exclusive holder and is released at once (this
    /// statement is its own transaction). Pushes only try the exclusive lock, so a waiter here
    /// is not queued behind the next sequencer; it writes nothing.
    static func waitForSequencer(_ s: PostgresSession) throws {
        try s.execute("SELECT pg_advisory_xact_lock_shared(410800, 16)")
    }

    /// The latest checkpoint, if it holds `leaf`'s entry and is signed by `signer`'s key.
    static func checkpointIncluding(_ s: PostgresSession, _ leaf: (court: String, seq: Int64), signer: NoteSigner) throws -> (size: Int64, checkpoint: String?)? {
        guard let index = try s.query("SELECT idx FROM tlog_entry WHERE court = $1 AND seq = $2", [.text(leaf.court), .int(leaf.seq)]).first.map({ try $0.int(0) }),
              let latest = try s.query("SELECT size, note FROM tlog_checkpoint ORDER BY size DESC LIMIT 1").first,
              case let size = try latest.int(0), size > index,
              case let note = try latest.text(1), (try? signer.verifier.verifyCheckpoint(note)) != nil else { return nil }
        return (size, note)
    }

    /// Makes the partitions of `tlog_entry` and `tlog_node` for the leaves up to half a partition
    /// past `end`, when the tree crosses into a new half (or on a tree's first leaf): a partition
    /// exists before the tree needs it, and the check costs nothing on other appends.
    static func makePartitions(_ s: PostgresSession, from start: Int64, through end: Int64) throws {
        let ahead = leavesPerPartition / 2
        let first = start / leavesPerPartition, last = (end + ahead) / leavesPerPartition
        guard start == 0 || (start + ahead) / leavesPerPartition != last else { return }
        for k in first...last {
            let name = String(format: "%06lld", k)
            let low = k * leavesPerPartition, high = (k + 1) * leavesPerPartition
            try s.execute("CREATE TABLE IF NOT EXISTS tlog_entry_p\(name) PARTITION OF tlog_entry FOR VALUES FROM (\(low)) TO (\(high))")
            try s.execute("CREATE TABLE IF NOT EXISTS tlog_node_p\(name) PARTITION OF tlog_node FOR VALUES FROM (\(low)) TO (\(high))")
        }
    }

    /// Migration `pg2-tree-partitions`: the partitions an existing tree needs, its rows moved
    /// into them (each node with its first leaf), and the unpartitioned tables dropped.
    static func movePartitionedTree(_ s: PostgresSession) throws {
        let size = try Self.size(s)
        try makePartitions(s, from: 0, through: size)
        try s.execute("INSERT INTO tlog_entry (idx, court, seq, entry) SELECT idx, court, seq, entry FROM tlog_entry_unpartitioned")
        try s.execute("INSERT INTO tlog_node (level, idx, leaf, hash) SELECT level, idx, idx << level, hash FROM tlog_node_unpartitioned")
        try s.execute("DROP TABLE tlog_entry_unpartitioned")
        try s.execute("DROP TABLE tlog_node_unpartitioned")
    }

    struct TreeNodeID: Hashable {
        let level: Int
        let index: Int64
        /// The first leaf under the node: what `tlog_node` is keyed and partitioned by.
        var firstLeaf: Int64 { index << Int64(level) }
    }

    static func node(_ s: PostgresSession, level: Int, index: Int64) throws -> [UInt8] {
        let leaf = TreeNodeID(level: level, index: index).firstLeaf
        guard let row = try s.query("SELECT hash FROM tlog_node WHERE level = $1 AND leaf = $2", [.int(Int64(level)), .int(leaf)]).first else {
            throw StoreError("the transparency log has no node \(level)/\(index): its tables in PostgreSQL were damaged; restore the hub's database from a backup")
        }
        return try row.bytes(0)
    }

    static func size(_ s: PostgresSession) throws -> Int64 { try s.query("SELECT size FROM tlog_state WHERE id = 1")[0].int(0) }

    public func updateTransparencyLog(signer: NoteSigner, at: Int64) throws -> (size: Int64, checkpoint: String) {
        let current = try pool.read { s -> (size: Int64, checkpoint: String)? in
            let size = try Self.size(s)
            // A push that committed and died before its leaves were integrated leaves them pending.
            guard try s.query("SELECT 1 FROM tlog_pending LIMIT 1").isEmpty,
                  let note = try s.query("SELECT note FROM tlog_checkpoint WHERE size = $1", [.int(size)]).first.map({ try $0.text(0) }),
                  (try? signer.verifier.verifyCheckpoint(note)) != nil else { return nil }
            return (size, note)
        }
        if let current { return current }
        let tree = try integrate(signer: signer, at: at, through: nil)
        return (tree.size, tree.checkpoint ?? "")
    }

    public func latestCheckpoint() throws -> (size: Int64, checkpoint: String)? {
        try pool.read { s in
            try s.query("SELECT size, note FROM tlog_checkpoint ORDER BY size DESC LIMIT 1").first.map { (size: try $0.int(0), checkpoint: try $0.text(1)) }
        }
    }

    public func checkpoint(size: Int64) throws -> String? {
        try pool.read { s in try s.query("SELECT note FROM tlog_checkpoint WHERE size = $1", [.int(size)]).first.map { try $0.text(0) } }
    }

    public func treeSize() throws -> Int64 { try pool.read { s in try Self.size(s) } }

    public func leafIndex(court: String, seq: Int64) throws -> (index: Int64, entry: [UInt8])? {
        try pool.read { s in
            try s.query("SELECT idx, entry FROM tlog_entry WHERE court = $1 AND seq = $2", [.text(court), .int(seq)]).first.map {
                (index: try $0.int(0), entry: try $0.bytes(1))
            }
        }
    }

    /// From the hub's own `tlog_entry`: past a court's head, only after `hub recover` rebuilt the
    /// tree from a mirror (PostgresHubStore+Recovery.swift); otherwise "none expected".
    public func expectedEntries(court: String, from: Int64, to: Int64) throws -> [Int64: [UInt8]] {
        try pool.read { s in
            var out: [Int64: [UInt8]] = [:]
            for row in try s.query("SELECT seq, entry FROM tlog_entry WHERE court = $1 AND seq >= $2 AND seq <= $3",
                                   [.text(court), .int(from), .int(to)]) {
                out[try row.int(0)] = try row.bytes(1)
            }
            return out
        }
    }

    func checkSize(_ s: PostgresSession, _ size: Int64) throws {
        let held = try Self.size(s)
        guard size >= 0, size <= held else { throw StoreError("the tree has \(held) leaves, not \(size): ask for a size at most \(held)") }
    }

    public func inclusionProof(index: Int64, size: Int64) throws -> [[UInt8]] {
        try pool.read { s in
            try checkSize(s, size)
            guard index >= 0, index < size else { throw StoreError("leaf \(index) is not in a tree of \(size) leaves") }
            return try MerkleTree.inclusionProof(index: index, size: size) { try Self.node(s, level: $0, index: $1) }
        }
    }

    /// The entries named `name` at seqs `from`, `from + 1`, … without a gap (at most `limit`) in
    /// the tree of `size` leaves, each with its inclusion proof: three queries whatever the count,
    /// the proofs' nodes read in one (one query per node was a round trip each).
    public func entryProofs(name: String, from: Int64, size: Int64, limit: Int) throws -> [EntryProof] {
        try pool.read { s in
            try checkSize(s, size)
            var found: [(seq: Int64, index: Int64, entry: [UInt8])] = []
            for row in try s.query("SELECT seq, idx, entry FROM tlog_entry WHERE court = $1 AND seq >= $2 AND idx < $3 ORDER BY seq LIMIT $4",
                                   [.text(name), .int(from), .int(size), .int(Int64(limit))]) {
                let seq = try row.int(0)
                guard seq == from + Int64(found.count) else { break }
                found.append((seq, try row.int(1), try row.bytes(2)))
            }
            let proofs = try MerkleTree.inclusionProofs(indexes: found.map(\.index), size: size) { wanted in
                let ids = Array(wanted)
                var out: [MerkleTree.NodeID: MerkleTree.Hash] = [:]
                for row in try s.query("""
                    SELECT n.level::bigint, n.leaf, n.hash FROM unnest($1::bigint[], $2::bigint[]) AS w(level, leaf)
                    JOIN tlog_node n ON n.level = w.level AND n.leaf = w.leaf
                    """, [.ints(ids.map { Int64($0.level) }), .ints(ids.map { TreeNodeID(level: $0.level, index: $0.index).firstLeaf })]) {
                    let level = Int(try row.int(0))
                    out[MerkleTree.NodeID(level: level, index: try row.int(1) >> Int64(level))] = try row.bytes(2)
                }
                if let missing = ids.first(where: { out[$0] == nil }) {
                    throw StoreError("the transparency log has no node \(missing.level)/\(missing.index): its tables in PostgreSQL were damaged; restore the hub's database from a backup")
                }
                return out
            }
            return found.indices.map { EntryProof(seq: found[$0].seq, leafIndex: found[$0].index, entry: found[$0].entry, inclusion: proofs[$0]) }
        }
    }

    public func consistencyProof(old: Int64, new: Int64) throws -> [[UInt8]] {
        try pool.read { s in
            try checkSize(s, new)
            guard old >= 0, old <= new else { throw StoreError("a consistency proof needs 0 ≤ old (\(old)) ≤ new (\(new))") }
            return try MerkleTree.consistencyProof(old: old, new: new) { try Self.node(s, level: $0, index: $1) }
        }
    }

    public func tile(level: Int, index: Int64, width: Int64) throws -> [UInt8]? {
        try pool.read { s in
            let size = try Self.size(s)
            guard width >= 1, width <= TilePath.width(level: level, index: index, size: size) else { return nil }
            let first = index * TilePath.width
            var out: [UInt8] = []
            let nodeLevel = level * TilePath.height
            for row in try s.query("SELECT hash FROM tlog_node WHERE level = $1 AND leaf >= $2 AND leaf < $3 ORDER BY leaf",
                                   [.int(Int64(nodeLevel)), .int(TreeNodeID(level: nodeLevel, index: first).firstLeaf),
                                    .int(TreeNodeID(level: nodeLevel, index: first + width).firstLeaf)]) {
                out += try row.bytes(0)
            }
            return out.count == Int(width) * 32 ? out : nil
        }
    }

    public func entryBundle(index: Int64, width: Int64) throws -> [UInt8]? {
        try pool.read { s in
            let size = try Self.size(s)
            guard width >= 1, width <= TilePath.width(level: 0, index: index, size: size) else { return nil }
            let first = index * TilePath.width
            var out: [UInt8] = []
            for row in try s.query("SELECT entry FROM tlog_entry WHERE idx >= $1 AND idx < $2 ORDER BY idx", [.int(first), .int(first + width)]) {
                let e = try row.bytes(0)
                out += [UInt8(e.count >> 8), UInt8(e.count & 0xff)] + e
            }
            return out
        }
    }

    public func addCosignature(size: Int64, witness: String, line: String, at: Int64) throws -> Int {
        try pool.transaction { s in
            try s.execute("""
                INSERT INTO tlog_cosignature (size, witness, line, at) VALUES ($1, $2, $3, $4)
                ON CONFLICT (size, witness) DO UPDATE SET line = excluded.line, at = excluded.at
                """, [.int(size), .text(witness), .text(line), .int(at)])
            return Int(try s.query("SELECT COUNT(*) FROM tlog_cosignature WHERE size = $1", [.int(size)])[0].int(0))
        }
    }

    public func witnessedCheckpoint(quorum: Int) throws -> (size: Int64, checkpoint: String, cosignatures: [String])? {
        try pool.read { s in
            guard let size = try s.query("SELECT size FROM tlog_cosignature GROUP BY size HAVING COUNT(*) >= $1 ORDER BY size DESC LIMIT 1",
                                         [.int(Int64(quorum))]).first.map({ try $0.int(0) }),
                  let note = try s.query("SELECT note FROM tlog_checkpoint WHERE size = $1", [.int(size)]).first.map({ try $0.text(0) }) else { return nil }
            let lines = try s.query("SELECT line FROM tlog_cosignature WHERE size = $1 ORDER BY witness", [.int(size)]).map { try $0.text(0) }
            return (size, note, lines)
        }
    }

    public func addWitness(name: String, url: String, verifierKey: String, caPEM: String?, at: Int64) throws {
        try pool.transaction { s in
            guard try s.query("SELECT 1 FROM hub_witness WHERE name = $1", [.text(name)]).isEmpty else {
                throw StoreError("a witness named '\(name)' is already added: each witness is added once")
            }
            try s.execute("INSERT INTO hub_witness (name, url, verifier_key, ca_pem, added_at) VALUES ($1, $2, $3, $4, $5)",
                          [.text(name), .text(url), .text(verifierKey), .text(caPEM), .int(at)])
        }
    }

    public func witnesses() throws -> [EventStore.HubWitness] {
        try pool.read { s in
            try s.query("SELECT name, url, verifier_key, ca_pem, size FROM hub_witness ORDER BY name").map {
                EventStore.HubWitness.make(name: try $0.text(0), url: try $0.text(1), verifierKey: try $0.text(2), caPEM: try $0.optionalText(3), size: try $0.int(4))
            }
        }
    }

    public func setWitnessSize(name: String, size: Int64) throws {
        try pool.read { s in try s.execute("UPDATE hub_witness SET size = $1 WHERE name = $2", [.int(size), .text(name)]) }
    }
}
