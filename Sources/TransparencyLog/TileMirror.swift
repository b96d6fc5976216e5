import Foundation

/// A copy of a log's public read side on disk, in the C2SP tlog-tiles layout (protocol §16.13):
/// `checkpoint`, `tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]` and
/// `v1/checkpoint/witnessed`, so that the directory can itself be served as static files.
///
/// The mirror never trusts what it fetched: every entry bundle is hashed into the tree, every
/// hash tile is compared with the tree the entries make, and that tree's root must be the root
/// of a checkpoint signed by the log's key. A hub restored from an old backup rebuilds its tree
/// from such a mirror, entry for entry (`courtsync hub recover`).
public struct TileMirror: Sendable {
    public let path: String
    public static let checkpointFile = "checkpoint"
    public static let witnessedFile = "v1/checkpoint/witnessed"

    public init(path: String) { self.path = path }

    /// A tile of the tree of some size: hash tile `level` (nil: entry bundle), `index`, `width` hashes or entries.
    public struct Tile: Sendable, Hashable {
        public let level: Int?
        public let index: Int64
        public let width: Int64
        public var path: String { TilePath.path(level: level, index: index, width: width) }
    }

    /// Every tile (hash tiles of every level, and entry bundles) that makes up a tree of `size` leaves.
    public static func tiles(size: Int64) -> [Tile] {
        var out: [Tile] = []
        var level = 0
        while size >> Int64(level * TilePath.height) > 0 {
            let nodes = size >> Int64(level * TilePath.height)
            for n in 0...((nodes - 1) / TilePath.width) {
                let w = TilePath.width(level: level, index: n, size: size)
                out.append(Tile(level: level, index: n, width: w))
                if level == 0 { out.append(Tile(level: nil, index: n, width: w)) }
            }
            level += 1
        }
        return out
    }

    public func file(_ relative: String) -> String { "\(path)/\(relative)" }

    public func read(_ relative: String) -> [UInt8]? { FileManager.default.contents(atPath: file(relative)).map { Array($0) } }

    /// The checkpoint the mirror holds (a signed note), if any.
    public var checkpointNote: String? { read(Self.checkpointFile).map { String(decoding: $0, as: UTF8.self) } }

    /// The largest witnessed checkpoint the mirror holds (signed note with cosignature lines), if any.
    public var witnessedNote: String? { read(Self.witnessedFile).map { String(decoding: $0, as: UTF8.self) } }

    /// Writes `bytes` at `relative` (directories made as needed), atomically: a reader sees the old file or the new one.
    public func write(_ bytes: [UInt8], to relative: String) throws(TransparencyError) {
        let target = file(relative)
        let dir = (target as NSString).deletingLastPathComponent
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw TransparencyError("cannot make \(dir): check that the mirror directory is writable")
        }
        let tmp = target + ".tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: Data(bytes)), rename(tmp, target) == 0 else {
            throw TransparencyError("cannot write \(target): check that the mirror directory is writable and the disk not full")
        }
    }

    /// The entries of an entry bundle (each a big-endian uint16 length, then the entry).
    public static func entries(bundle: [UInt8], width: Int64) throws(TransparencyError) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var i = 0
        while i < bundle.count {
            guard i + 2 <= bundle.count else { throw TransparencyError("an entry bundle ends in the middle of a length") }
            let n = Int(bundle[i]) << 8 | Int(bundle[i + 1])
            guard i + 2 + n <= bundle.count else { throw TransparencyError("an entry bundle ends in the middle of an entry") }
            out.append(Array(bundle[(i + 2)..<(i + 2 + n)]))
            i += 2 + n
        }
        guard out.count == Int(width) else { throw TransparencyError("an entry bundle holds \(out.count) entries, not \(width)") }
        return out
    }

    /// The entries 0 ..< size as the mirror's bundles hold them, reading each bundle from
    /// `fetched` when given there (not yet written), else from disk.
    public func entries(size: Int64, fetched: [Tile: [UInt8]] = [:]) throws(TransparencyError) -> [[UInt8]] {
        var out: [[UInt8]] = []
        out.reserveCapacity(Int(size))
        for tile in Self.tiles(size: size) where tile.level == nil {
            guard let bytes = fetched[tile] ?? read(tile.path) else {
                throw TransparencyError("the mirror lacks \(tile.path): update it with `courtsync audit mirror`")
            }
            out += try Self.entries(bundle: bytes, width: tile.width)
        }
        return out
    }

    /// Checks that the mirror's tiles are the tree of `checkpoint` (whose signature the caller
    /// verified): the entries hash to its root, and every hash tile on disk (or in `fetched`)
    /// is the tree's. Returns the tree the entries make.
    public func verify(_ checkpoint: Checkpoint, fetched: [Tile: [UInt8]] = [:]) throws(TransparencyError) -> TreeLevels {
        let entries = try self.entries(size: checkpoint.size, fetched: fetched)
        let tree = TreeLevels(entries: entries)
        guard tree.root(size: checkpoint.size) == checkpoint.root else {
            throw TransparencyError("the mirror's entries do not make the root of its checkpoint of size \(checkpoint.size): its tiles were altered or belong to another log")
        }
        for tile in Self.tiles(size: checkpoint.size) {
            guard let level = tile.level, let bytes = fetched[tile] ?? read(tile.path) else { continue }
            guard bytes == tree.tile(level: level, index: tile.index, width: tile.width) else {
                throw TransparencyError("the hash tile \(tile.path) does not match the tree its entries make: it was altered")
            }
        }
        return tree
    }
}

/// Every full-subtree hash of a tree built from its entries, level by level (level 0: leaf
/// hashes). Enough to compute any root, proof or tile of any size up to the entries held.
public struct TreeLevels: Sendable {
    public let entries: [[UInt8]]
    public let levels: [[MerkleTree.Hash]]

    public init(entries: [[UInt8]]) {
        self.entries = entries
        var levels: [[MerkleTree.Hash]] = [entries.map(MerkleTree.leafHash)]
        while let last = levels.last, last.count > 1 {
            levels.append(stride(from: 0, to: last.count - 1, by: 2).map { MerkleTree.nodeHash(last[$0], last[$0 + 1]) })
        }
        self.levels = levels
    }

    public func node(_ level: Int, _ index: Int64) throws -> MerkleTree.Hash {
        guard level < levels.count, index < Int64(levels[level].count) else { throw TransparencyError("the tree holds no node \(level)/\(index)") }
        return levels[level][Int(index)]
    }

    /// The root of the first `size` entries (≤ the entries held).
    public func root(size: Int64) -> MerkleTree.Hash? {
        guard size <= Int64(entries.count) else { return nil }
        return try? MerkleTree.root(size: size, node: node)
    }

    /// The bytes of hash tile `level`/`index` with `width` hashes.
    public func tile(level: Int, index: Int64, width: Int64) -> [UInt8]? {
        let treeLevel = level * TilePath.height
        guard treeLevel < levels.count else { return nil }
        let first = Int(index * TilePath.width), end = first + Int(width)
        guard end <= levels[treeLevel].count else { return nil }
        return levels[treeLevel][first..<end].flatMap { $0 }
    }
}
