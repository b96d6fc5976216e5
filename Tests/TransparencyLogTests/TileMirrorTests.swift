import Crypto
import Foundation
import Testing
import TransparencyLog

/// A mirror of a log's tiles on disk (protocol §16.13), fed by a log served from memory: it
/// follows the log, and refuses — writing nothing — a log that does not extend what it holds or
/// tiles that do not make the signed root.
@Suite("transparency log: a mirror of the tiles")
struct TileMirrorTests {
    static let signer = try! NoteSigner(name: "hub.example/courtsync/410800", seed: Array(0x60...0x7f))

    /// A log of `size` event entries (court 410802, seq 1…), optionally with entry `changed` altered.
    struct ServedLog {
        let entries: [[UInt8]]
        let tree: TreeLevels
        init(size: Int, changed: Int? = nil) {
            entries = (0..<size).map { i in
                LogEntry(court: "410802", seq: Int64(i + 1), eventHash: Array(SHA256.hash(data: Array("event \(i) \(i == changed ? "other" : "")".utf8)))).bytes
            }
            tree = TreeLevels(entries: entries)
        }
        var checkpoint: String {
            TileMirrorTests.signer.sign(Checkpoint(origin: TileMirrorTests.signer.name, size: Int64(entries.count), root: tree.root(size: Int64(entries.count))!).body)
        }
        func fetch(_ path: String) -> [UInt8]? {
            let size = Int64(entries.count)
            for tile in TileMirror.tiles(size: size) where tile.path == path {
                if let level = tile.level { return tree.tile(level: level, index: tile.index, width: tile.width) }
                let first = Int(tile.index) * 256
                return entries[first..<(first + Int(tile.width))].flatMap { [UInt8($0.count >> 8), UInt8($0.count & 0xff)] + $0 }
            }
            return nil
        }
    }

    func temporaryMirror() -> TileMirror {
        TileMirror(path: FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-mirror-\(UUID().uuidString.prefix(8))").path)
    }

    @Test func followsTheLogAndFetchesOnlyWhatChanged() async throws {
        let mirror = temporaryMirror()
        defer { try? FileManager.default.removeItem(atPath: mirror.path) }
        let small = ServedLog(size: 300), large = ServedLog(size: 600)
        let first = try await mirror.update(to: small.checkpoint, verifier: Self.signer.verifier) { small.fetch($0) }
        // 300 entries: level 0 has one full tile (256) and a partial one (44), the same bundles,
        // and level 1 a partial tile of 1 hash: 5 tiles.
        #expect(first.previousSize == nil && first.size == 300 && first.fetched == 5)
        let second = try await mirror.update(to: large.checkpoint, verifier: Self.signer.verifier, witnessed: small.checkpoint) { large.fetch($0) }
        // 600 = 2·256 + 88: the first full tile and bundle are kept; the second full ones, the
        // partial ones of 88 and the level-1 partial tile of 2 hashes are new: 5 fetches.
        #expect(second.previousSize == 300 && second.size == 600 && second.fetched == 5 && second.witnessedSize == 300)
        let again = try await mirror.update(to: large.checkpoint, verifier: Self.signer.verifier) { large.fetch($0) }
        #expect(again.previousSize == 600 && again.fetched == 0, "a tile's path names its width: nothing held is fetched again")
        #expect(try mirror.entries(size: 600) == large.entries)
        #expect(mirror.checkpointNote == large.checkpoint && mirror.witnessedNote == small.checkpoint)
    }

    @Test func refusesALogThatDoesNotExtendTheMirrorAndWritesNothing() async throws {
        let mirror = temporaryMirror()
        defer { try? FileManager.default.removeItem(atPath: mirror.path) }
        let held = ServedLog(size: 300)
        _ = try await mirror.update(to: held.checkpoint, verifier: Self.signer.verifier) { held.fetch($0) }
        // Entry 10 differs: a larger tree of another history (split view or rewritten log).
        let rewritten = ServedLog(size: 400, changed: 10)
        await #expect(throws: TransparencyError.self) {
            _ = try await mirror.update(to: rewritten.checkpoint, verifier: Self.signer.verifier) { rewritten.fetch($0) }
        }
        let smaller = ServedLog(size: 200)
        await #expect(throws: TransparencyError.self) {
            _ = try await mirror.update(to: smaller.checkpoint, verifier: Self.signer.verifier) { smaller.fetch($0) }
        }
        // Tiles that do not make the signed root: an entry bundle with entry 300 altered.
        let honest = ServedLog(size: 400), altered = ServedLog(size: 400, changed: 300)
        await #expect(throws: TransparencyError.self) {
            _ = try await mirror.update(to: honest.checkpoint, verifier: Self.signer.verifier) { path in
                path.hasPrefix("tile/entries/001") ? altered.fetch(path) : honest.fetch(path)
            }
        }
        #expect(mirror.checkpointNote == held.checkpoint, "the mirror keeps what it held")
        #expect(mirror.read("tile/entries/001.p/144") == nil, "no tile of a refused update was written")
        // Another key's checkpoint.
        let stranger = try NoteSigner(name: Self.signer.name, seed: Array(repeating: 7, count: 32))
        await #expect(throws: TransparencyError.self) {
            _ = try await mirror.update(to: stranger.sign(Checkpoint(origin: stranger.name, size: 400, root: honest.tree.root(size: 400)!).body),
                                        verifier: Self.signer.verifier) { honest.fetch($0) }
        }
        let honestUpdate = try await mirror.update(to: honest.checkpoint, verifier: Self.signer.verifier) { honest.fetch($0) }
        #expect(honestUpdate.size == 400)
    }
}
