import Crypto
import Foundation
import Testing
import TransparencyLog

/// The tree, proofs, checkpoints and tile paths against `protocol/vectors/tlog.json`, made by
/// the independent Python implementation, and against the Certificate Transparency test tree.
@Suite("transparency log: RFC 9162 tree, proofs, checkpoints, tiles")
struct TransparencyLogTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    nonisolated(unsafe) static let vectors: [String: Any] = {
        let data = try! Data(contentsOf: root.appendingPathComponent("protocol/vectors/tlog.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()

    static func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex { let j = s.index(i, offsetBy: 2); out.append(UInt8(s[i..<j], radix: 16)!); i = j }
        return out
    }
    static func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }

    /// All full-subtree hashes of a leaf list, as a store would hold them.
    struct Memory {
        var levels: [[[UInt8]]]
        init(leaves: [[UInt8]]) {
            levels = [leaves]
            while let last = levels.last, last.count > 1 {
                levels.append(stride(from: 0, to: last.count - 1, by: 2).map { MerkleTree.nodeHash(last[$0], last[$0 + 1]) })
            }
        }
        func node(_ level: Int, _ index: Int64) throws -> [UInt8] { levels[level][Int(index)] }
    }

    var leaves: [[UInt8]] {
        (Self.vectors["entries"] as! [[String: Any]]).map { e in
            let entry = LogEntry(court: e["court"] as! String, seq: Int64(e["seq"] as! Int), eventHash: Self.hex(e["event_hash"] as! String))
            #expect(Self.hex(entry.bytes) == e["entry"] as! String)
            #expect((try? LogEntry(bytes: entry.bytes)) == entry)
            return entry.leafHash
        }
    }

    @Test func rootsMatchTheCertificateTransparencyTestTree() throws {
        let rfc = Self.vectors["rfc6962"] as! [String: Any]
        let leaves = (rfc["leaves"] as! [String]).map { MerkleTree.leafHash(Self.hex($0)) }
        let memory = Memory(leaves: leaves)
        let roots = try (1...8).map { Self.hex(try MerkleTree.root(size: Int64($0), node: memory.node)) }
        #expect(roots == rfc["roots"] as! [String])
        #expect(roots.last == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
        #expect(Self.hex(MerkleTree.emptyRoot) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func proofsEqualThePythonReferenceAndVerify() throws {
        let leaves = self.leaves
        let memory = Memory(leaves: leaves)
        var roots: [Int: [UInt8]] = [:]
        for r in Self.vectors["roots"] as! [[String: Any]] {
            let size = r["size"] as! Int
            roots[size] = try MerkleTree.root(size: Int64(size), node: memory.node)
            #expect(Self.hex(roots[size]!) == r["root"] as! String)
        }
        for c in Self.vectors["inclusion"] as! [[String: Any]] {
            let index = Int64(c["index"] as! Int), size = Int64(c["size"] as! Int)
            let proof = try MerkleTree.inclusionProof(index: index, size: size, node: memory.node)
            #expect(proof.map { Self.hex($0) } == c["proof"] as! [String])
            #expect(MerkleTree.verifyInclusion(index: index, size: size, leafHash: leaves[Int(index)], proof: proof, root: roots[Int(size)]!))
        }
        for c in Self.vectors["consistency"] as! [[String: Any]] {
            let old = c["old"] as! Int, new = c["new"] as! Int
            let proof = try MerkleTree.consistencyProof(old: Int64(old), new: Int64(new), node: memory.node)
            #expect(proof.map { Self.hex($0) } == c["proof"] as! [String])
            #expect(MerkleTree.verifyConsistency(old: Int64(old), new: Int64(new), oldRoot: roots[old]!, newRoot: roots[new]!, proof: proof))
        }
    }

    @Test func proofsOfManyLeavesReadEveryNodeInOneCallAndEqualThePythonReference() throws {
        let memory = Memory(leaves: leaves)
        let cases = Self.vectors["inclusion"] as! [[String: Any]]
        let bySize = Dictionary(grouping: cases) { Int64($0["size"] as! Int) }
        #expect(bySize.values.contains { $0.count > 1 }, "the vectors should hold several proofs in one tree")
        for (size, group) in bySize {
            let indexes = group.map { Int64($0["index"] as! Int) }
            var calls = 0
            let proofs = try MerkleTree.inclusionProofs(indexes: indexes, size: size) { wanted in
                calls += 1
                return try Dictionary(uniqueKeysWithValues: wanted.map { ($0, try memory.node($0.level, $0.index)) })
            }
            #expect(calls == (size == 1 ? 0 : 1), "size \(size): nodes read in \(calls) calls")
            #expect(proofs.map { $0.map { Self.hex($0) } } == group.map { $0["proof"] as! [String] }, "size \(size)")
        }
        // A store that lacks a node the proofs need is an error, not a short proof.
        let wanted = MerkleTree.nodesForInclusion(indexes: [0, 5], size: 7)
        #expect(wanted.contains(MerkleTree.NodeID(level: 0, index: 1)) && wanted.contains(MerkleTree.NodeID(level: 0, index: 4)))
        #expect(throws: MerkleTree.MissingNode.self) {
            try MerkleTree.inclusionProofs(indexes: [0, 5], size: 7) { wanted in
                try Dictionary(uniqueKeysWithValues: wanted.filter { $0 != MerkleTree.NodeID(level: 0, index: 1) }.map { ($0, try memory.node($0.level, $0.index)) })
            }
        }
    }

    @Test func tamperedProofsFail() throws {
        let leaves = self.leaves
        let memory = Memory(leaves: leaves)
        func root(_ n: Int) throws -> [UInt8] { try MerkleTree.root(size: Int64(n), node: memory.node) }
        for c in Self.vectors["invalid_proofs"] as! [[String: Any]] {
            let proof: [[UInt8]] = (c["proof"] as! [String]).map { Self.hex($0) }
            let ok: Bool
            if c["kind"] as! String == "inclusion" {
                let index = c["index"] as! Int, size = c["size"] as! Int
                ok = MerkleTree.verifyInclusion(index: Int64(index), size: Int64(size), leafHash: leaves[c["leaf_of"] as? Int ?? index],
                                                proof: proof, root: try root(c["root_of"] as? Int ?? size))
            } else {
                let old = c["old"] as! Int, new = c["new"] as! Int
                let stated: [UInt8]? = (c["old_root"] as? String).map { Self.hex($0) }
                let oldRoot = try stated ?? root(old)
                let newRoot = try root(new)
                ok = MerkleTree.verifyConsistency(old: Int64(old), new: Int64(new), oldRoot: oldRoot, newRoot: newRoot, proof: proof)
            }
            #expect(!ok, "\(c["name"]!)")
        }
    }

    @Test func appendingComputesTheSameNodesAsTheWholeTree() throws {
        let leaves = (0..<1000).map { MerkleTree.leafHash(Array("leaf \($0)".utf8)) }
        var stored: [Int: [Int64: [UInt8]]] = [:]
        let fetch: MerkleTree.NodeFetcher = { level, index in stored[level]![index]! }
        var start = 0
        for size in [1, 2, 5, 200, 300, 1000] {
            let batch = Array(leaves[start..<size])
            for (i, h) in batch.enumerated() { stored[0, default: [:]][Int64(start + i)] = h }
            for n in try MerkleTree.appendedNodes(start: Int64(start), leafHashes: batch, node: fetch) { stored[n.level, default: [:]][n.index] = n.hash }
            start = size
            let memory = Memory(leaves: Array(leaves[0..<size]))
            #expect(try MerkleTree.root(size: Int64(size), node: fetch) == (try MerkleTree.root(size: Int64(size), node: memory.node)))
        }
    }

    @Test func checkpointsAreSignedNotesWithTheC2SPKeyID() throws {
        let ck = Self.vectors["checkpoint"] as! [String: Any]
        let signer = try NoteSigner(name: ck["origin"] as! String, seed: Self.hex(ck["seed"] as! String))
        #expect(signer.verifier.encoded == ck["verifier_key"] as! String)
        #expect(Self.hex(signer.verifier.keyID) == ck["key_id"] as! String)
        #expect(signer.sign(ck["body"] as! String) == ck["note"] as! String)   // Ed25519 is deterministic
        let verifier = try NoteVerifier(encoded: ck["verifier_key"] as! String)
        let checkpoint = try verifier.verifyCheckpoint(ck["note"] as! String)
        #expect(checkpoint.size == 13 && checkpoint.origin == ck["origin"] as! String)
        let note = ck["note"] as! String
        #expect(throws: TransparencyError.self) { try verifier.verifyCheckpoint(note.replacingOccurrences(of: "\n13\n", with: "\n12\n")) }
        let other = try NoteSigner(name: ck["origin"] as! String, seed: [UInt8](repeating: 7, count: 32))
        #expect(throws: TransparencyError.self) { try verifier.verifyCheckpoint(other.sign(ck["body"] as! String)) }
    }

    @Test func witnessesCosignPerTlogCosignature() throws {
        let ck = Self.vectors["checkpoint"] as! [String: Any]
        let co = Self.vectors["cosignature"] as! [String: Any]
        let body = ck["body"] as! String
        let cosigner = try Cosigner(name: co["witness"] as! String, seed: Self.hex(co["seed"] as! String))
        #expect(Self.hex(cosigner.verifier.publicKey) == co["public_key"] as! String)
        #expect(Self.hex(cosigner.verifier.keyID) == co["key_id"] as! String)
        #expect(cosigner.cosign(body: body, time: UInt64(co["time"] as! Int)) == co["line"] as! String)
        let note = co["note"] as! String
        #expect(cosigner.verifier.cosignatures(in: note, body: body) == [UInt64(co["time"] as! Int)])
        #expect(cosigner.verifier.cosignatures(in: note, body: body.replacingOccurrences(of: "\n13\n", with: "\n12\n")).isEmpty)
        // The hub's own signature still verifies on a cosigned note.
        #expect(try NoteVerifier(encoded: ck["verifier_key"] as! String).verifyCheckpoint(note).size == 13)
    }

    @Test func tilePathsFollowTlogTiles() throws {
        for t in Self.vectors["tile_indexes"] as! [[String: Any]] {
            let n = Int64(t["n"] as! Int), path = t["path"] as! String
            #expect(TilePath.index(n) == path)
            #expect(TilePath.parseIndex(path.split(separator: "/")) == n)
        }
        let tiles = Self.vectors["tiles"] as! [String: Any]
        let size = Int64(tiles["tree_size"] as! Int)
        let courts = ["410800", "410802", "410803"]
        let entries = (0..<Int(size)).map { i -> LogEntry in
            let court = courts[i % 3], seq = i / 3 + 1
            return LogEntry(court: court, seq: Int64(seq), eventHash: Array(SHA256.hash(data: Array("vector event \(court) \(seq)".utf8))))
        }
        let memory = Memory(leaves: entries.map(\.leafHash))
        #expect(Self.hex(try MerkleTree.root(size: size, node: memory.node)) == tiles["root"] as! String)
        for t in tiles["tiles"] as! [[String: Any]] {
            let level = t["level"] as! Int, index = Int64(t["index"] as! Int)
            let width = TilePath.width(level: level, index: index, size: size)
            #expect(width == Int64(t["width"] as! Int))
            #expect(TilePath.path(level: level, index: index, width: width) == t["path"] as! String)
            let data = try (0..<width).flatMap { try memory.node(level * 8, index * 256 + $0) }
            #expect(Self.hex(Array(SHA256.hash(data: data))) == t["sha256"] as! String)
        }
        for b in tiles["entry_bundles"] as! [[String: Any]] {
            let index = Int(b["index"] as! Int)
            let chunk = entries[(index * 256)..<min(entries.count, index * 256 + 256)]
            let data = chunk.flatMap { e -> [UInt8] in [0, UInt8(e.bytes.count)] + e.bytes }
            #expect(TilePath.path(level: nil, index: Int64(index), width: Int64(chunk.count)) == b["path"] as! String)
            #expect(Self.hex(Array(SHA256.hash(data: data))) == b["sha256"] as! String)
        }
    }
}
