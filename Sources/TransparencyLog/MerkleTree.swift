import Crypto

/// RFC 9162 §2.1 Merkle tree hashing and proofs over hashes fetched by the caller.
///
/// Nothing here stores anything: the caller passes `node(level, index)`, the hash of the full
/// subtree of 2^level leaves starting at leaf `index << level` (level 0: the leaf hashes). That
/// is exactly what C2SP tlog-tiles serves, so the same code proves from a database or from tiles.
public enum MerkleTree {
    /// A 32-byte SHA-256 hash.
    public typealias Hash = [UInt8]
    /// The stored hash of a full subtree; throws when the store does not hold it.
    public typealias NodeFetcher = (_ level: Int, _ index: Int64) throws -> Hash

    /// MTH({}) = SHA-256 of nothing.
    public static let emptyRoot: Hash = Array(SHA256.hash(data: [UInt8]()))

    /// Leaf hash: SHA-256(0x00 ‖ entry).
    public static func leafHash(_ entry: [UInt8]) -> Hash {
        var h = SHA256()
        h.update(data: [0])
        h.update(data: entry)
        return Array(h.finalize())
    }

    /// Interior hash: SHA-256(0x01 ‖ left ‖ right).
    public static func nodeHash(_ left: Hash, _ right: Hash) -> Hash {
        var h = SHA256()
        h.update(data: [1])
        h.update(data: left)
        h.update(data: right)
        return Array(h.finalize())
    }

    /// The largest power of two strictly below `n` (n > 1).
    static func split(_ n: Int64) -> Int64 {
        var k: Int64 = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    /// MTH of leaves [start, end).
    public static func subtreeHash(_ start: Int64, _ end: Int64, node: NodeFetcher) throws -> Hash {
        let n = end - start
        precondition(n > 0)
        if n & (n - 1) == 0 {
            let level = n.trailingZeroBitCount
            if start % n == 0 { return try node(level, start >> level) }
        }
        let k = split(n)
        return nodeHash(try subtreeHash(start, start + k, node: node), try subtreeHash(start + k, end, node: node))
    }

    /// The root hash of the tree of `size` leaves.
    public static func root(size: Int64, node: NodeFetcher) throws -> Hash {
        size == 0 ? emptyRoot : try subtreeHash(0, size, node: node)
    }

    /// RFC 9162 §2.1.3.1: PATH(index, D[0:size]).
    public static func inclusionProof(index: Int64, size: Int64, node: NodeFetcher) throws -> [Hash] {
        precondition(index >= 0 && index < size)
        func path(_ m: Int64, _ start: Int64, _ end: Int64) throws -> [Hash] {
            let n = end - start
            if n == 1 { return [] }
            let k = split(n)
            if m < k { return try path(m, start, start + k) + [try subtreeHash(start + k, end, node: node)] }
            return try path(m - k, start + k, end) + [try subtreeHash(start, start + k, node: node)]
        }
        return try path(index, 0, size)
    }

    /// The position of a stored full subtree: `level`, and `index` among the subtrees of that level.
    public struct NodeID: Hashable, Sendable {
        public let level: Int
        public let index: Int64
        public init(level: Int, index: Int64) { self.level = level; self.index = index }
    }

    /// The stored nodes the inclusion proofs of `indexes` in the tree of `size` read, each once.
    /// Which nodes a proof reads depends only on the index and the size, never on the hashes.
    public static func nodesForInclusion(indexes: [Int64], size: Int64) -> Set<NodeID> {
        var wanted = Set<NodeID>()
        for index in indexes {
            // Cannot throw: the recorder answers every node with a placeholder.
            _ = try? inclusionProof(index: index, size: size) { level, i in
                wanted.insert(NodeID(level: level, index: i))
                return emptyRoot
            }
        }
        return wanted
    }

    /// RFC 9162 inclusion proofs of many leaves in one tree, reading every stored node they need
    /// in one call to `nodes` (one query to a database across the network, where one proof at a
    /// time would ask for each of its nodes in turn). Each proof equals ``inclusionProof(index:size:node:)``'s.
    public static func inclusionProofs(indexes: [Int64], size: Int64, nodes: (Set<NodeID>) throws -> [NodeID: Hash]) throws -> [[Hash]] {
        let wanted = nodesForInclusion(indexes: indexes, size: size)
        let fetched = wanted.isEmpty ? [:] : try nodes(wanted)
        return try indexes.map { index in
            try inclusionProof(index: index, size: size) { level, i in
                guard let hash = fetched[NodeID(level: level, index: i)] else { throw MissingNode(level: level, index: i) }
                return hash
            }
        }
    }

    /// A node a batch of proofs needed that the store did not give.
    public struct MissingNode: Error, CustomStringConvertible {
        public let level: Int
        public let index: Int64
        public var description: String { "the tree's store has no node \(level)/\(index)" }
    }

    /// RFC 9162 §2.1.4.1: PROOF(old, D[0:new]).
    public static func consistencyProof(old: Int64, new: Int64, node: NodeFetcher) throws -> [Hash] {
        precondition(old >= 0 && old <= new)
        if old == 0 || old == new { return [] }
        func subproof(_ m: Int64, _ start: Int64, _ end: Int64, _ complete: Bool) throws -> [Hash] {
            let n = end - start
            if m == n { return complete ? [] : [try subtreeHash(start, end, node: node)] }
            let k = split(n)
            if m <= k { return try subproof(m, start, start + k, complete) + [try subtreeHash(start + k, end, node: node)] }
            return try subproof(m - k, start + k, end, false) + [try subtreeHash(start, start + k, node: node)]
        }
        return try subproof(old, 0, new, true)
    }

    /// RFC 9162 §2.1.3.2: whether `proof` shows leaf `index` with `leafHash` in the tree of `size` with `root`.
    public static func verifyInclusion(index: Int64, size: Int64, leafHash: Hash, proof: [Hash], root: Hash) -> Bool {
        guard index >= 0, index < size else { return false }
        var fn = index, sn = size - 1
        var r = leafHash
        for p in proof {
            guard p.count == 32, sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 { fn >>= 1; sn >>= 1 }
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1; sn >>= 1
        }
        return sn == 0 && r == root
    }

    /// RFC 9162 §2.1.4.2: whether `proof` shows the tree (`old`, `oldRoot`) is a prefix of (`new`, `newRoot`).
    public static func verifyConsistency(old: Int64, new: Int64, oldRoot: Hash, newRoot: Hash, proof: [Hash]) -> Bool {
        guard old >= 0, old <= new else { return false }
        if old == new { return proof.isEmpty && oldRoot == newRoot }
        if old == 0 { return proof.isEmpty }
        guard !proof.isEmpty, proof.allSatisfy({ $0.count == 32 }) else { return false }
        var path = proof
        if old & (old - 1) == 0 { path.insert(oldRoot, at: 0) }
        var fn = old - 1, sn = new - 1
        while fn & 1 == 1 { fn >>= 1; sn >>= 1 }
        var fr = path[0], sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 { fn >>= 1; sn >>= 1 }
                }
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1; sn >>= 1
        }
        return fr == oldRoot && sr == newRoot && sn == 0
    }

    /// The full-subtree hashes that appending leaves `start..<start+leaves.count` creates, in
    /// order (level, index, hash), given the stored right edge via `node`. Levels ≥ 1 only;
    /// the leaves themselves are level 0. Each leaf costs on average one fetch and one hash.
    public static func appendedNodes(start: Int64, leafHashes: [Hash], node: NodeFetcher) throws -> [(level: Int, index: Int64, hash: Hash)] {
        // Only a node with an even index is ever a left sibling, and nodes of a level are made
        // left to right: the left sibling a new node needs, when this call made it, is the last
        // even-indexed node made at its level. One slot per level, no dictionary.
        var lastMade: [(index: Int64, hash: Hash)?] = []
        var out: [(level: Int, index: Int64, hash: Hash)] = []
        out.reserveCapacity(leafHashes.count)
        func fetch(_ level: Int, _ index: Int64) throws -> Hash {
            if level == 0 {
                let i = index - start
                if i >= 0 { return leafHashes[Int(i)] }
            } else if level < lastMade.count, let made = lastMade[level], made.index == index { return made.hash }
            return try node(level, index)
        }
        for (offset, leaf) in leafHashes.enumerated() {
            var index = start + Int64(offset)
            var level = 0
            var h = leaf
            while index & 1 == 1 {
                let left = try fetch(level, index - 1)
                h = nodeHash(left, h)
                index >>= 1
                level += 1
                if index & 1 == 0 {
                    while lastMade.count <= level { lastMade.append(nil) }
                    lastMade[level] = (index: index, hash: h)
                }
                out.append((level: level, index: index, hash: h))
            }
        }
        return out
    }
}
