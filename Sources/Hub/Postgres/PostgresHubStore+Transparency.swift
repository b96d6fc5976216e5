import CourtLog
import Foundation
import NodeStore
import PostgresNIO
import TransparencyLog

/// The transparency log in PostgreSQL: `tlog_entry` (leaves in acceptance order), `tlog_node`
/// (every full subtree's hash, leaves included as level 0), signed checkpoints and cosignatures.
/// Leaf indexes are allocated under the `tlog_state` row, locked until the push commits.
extension PostgresHubStore: HubTransparency {
    /// Appends `leaves` at the tree's end with the subtree hashes they complete, and signs a
    /// checkpoint of the new size when given a signer. Locks the tree's row until commit.
    static func appendToTree(_ s: PostgresSession, _ leaves: [EventStore.ExtraLeaf], signer: NoteSigner?, at: Int64) throws -> (size: Int64, checkpoint: String?) {
        let start = try s.query("SELECT size FROM tlog_state WHERE id = 1 FOR UPDATE")[0].int(0)
        var known: [TreeNodeID: [UInt8]] = [:]
        // The right edge of the tree: all that appending (and the new root) needs of what is stored.
        let edge = (0..<63).filter { (start >> Int64($0)) & 1 == 1 }.map { TreeNodeID(level: $0, index: (start >> Int64($0)) - 1) }
        if !edge.isEmpty {
            for row in try s.query("SELECT level, idx, hash FROM tlog_node WHERE (level, idx) IN (SELECT * FROM unnest($1::int[], $2::bigint[]))",
                                   [.ints(edge.map { Int64($0.level) }), .ints(edge.map(\.index))]) {
                known[TreeNodeID(level: Int(try row.int(0)), index: try row.int(1))] = try row.bytes(2)
            }
        }
        let fetch: MerkleTree.NodeFetcher = { level, index in
            if let h = known[TreeNodeID(level: level, index: index)] { return h }
            return try Self.node(s, level: level, index: index)
        }
        var size = start
        if !leaves.isEmpty {
            let hashes = leaves.map { MerkleTree.leafHash($0.entry) }
            let made = try MerkleTree.appendedNodes(start: start, leafHashes: hashes, node: fetch)
            for (i, h) in hashes.enumerated() { known[TreeNodeID(level: 0, index: start + Int64(i))] = h }
            for n in made { known[TreeNodeID(level: n.level, index: n.index)] = n.hash }
            let indexes = leaves.indices.map { start + Int64($0) }
            try s.execute("""
                INSERT INTO tlog_entry (idx, court, seq, entry) SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bytea[])
                """, [.ints(indexes), .texts(leaves.map(\.node)), .ints(leaves.map(\.seq)), .bytesArray(leaves.map(\.entry))])
            let levels = Array(repeating: Int64(0), count: hashes.count) + made.map { Int64($0.level) }
            try s.execute("INSERT INTO tlog_node (level, idx, hash) SELECT * FROM unnest($1::int[], $2::bigint[], $3::bytea[])",
                          [.ints(levels), .ints(indexes + made.map(\.index)), .bytesArray(hashes + made.map(\.hash))])
            size = start + Int64(leaves.count)
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

    struct TreeNodeID: Hashable { let level: Int; let index: Int64 }

    static func node(_ s: PostgresSession, level: Int, index: Int64) throws -> [UInt8] {
        guard let row = try s.query("SELECT hash FROM tlog_node WHERE level = $1 AND idx = $2", [.int(Int64(level)), .int(index)]).first else {
            throw StoreError("the transparency log has no node \(level)/\(index): its tables in PostgreSQL were damaged; restore the hub's database from a backup")
        }
        return try row.bytes(0)
    }

    static func size(_ s: PostgresSession) throws -> Int64 { try s.query("SELECT size FROM tlog_state WHERE id = 1")[0].int(0) }

    public func updateTransparencyLog(signer: NoteSigner, at: Int64) throws -> (size: Int64, checkpoint: String) {
        let current = try pool.read { s -> (size: Int64, checkpoint: String)? in
            let size = try Self.size(s)
            guard let note = try s.query("SELECT note FROM tlog_checkpoint WHERE size = $1", [.int(size)]).first.map({ try $0.text(0) }),
                  (try? signer.verifier.verifyCheckpoint(note)) != nil else { return nil }
            return (size, note)
        }
        if let current { return current }
        return try pool.transaction { s in
            let tree = try Self.appendToTree(s, [], signer: signer, at: at)
            return (tree.size, tree.checkpoint ?? "")
        }
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
            for row in try s.query("SELECT hash FROM tlog_node WHERE level = $1 AND idx >= $2 AND idx < $3 ORDER BY idx",
                                   [.int(Int64(level * TilePath.height)), .int(first), .int(first + width)]) {
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
