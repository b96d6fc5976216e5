/// Bringing a mirror up to a newer checkpoint: fetch what is missing, verify everything, then
/// write — the checkpoint last, so that the mirror on disk always holds a checkpoint whose tiles
/// are all there and verified.
extension TileMirror {
    /// What an update did.
    public struct Update: Sendable {
        public let previousSize: Int64?
        public let size: Int64
        public let fetched: Int
        public let witnessedSize: Int64?
    }

    /// Moves the mirror to the checkpoint `note`, which must verify under `verifier` (of the
    /// expected origin) and, when the mirror already holds one, extend it: same root at the same
    /// size, or a larger tree whose first entries make the held root (the mirror's own tiles are
    /// the consistency proof). `fetch` returns the bytes at a path of the log (nil: not there).
    /// `witnessed`, when given, is the log's witnessed checkpoint (with cosignature lines); it is
    /// kept when its root is the tree's at its size. Nothing is written unless all of it verifies.
    public func update(to note: String, verifier: NoteVerifier, witnessed: String? = nil,
                       fetch: (String) async throws -> [UInt8]?) async throws -> Update {
        let new: Checkpoint
        do { new = try verifier.verifyCheckpoint(note) } catch {
            throw TransparencyError("the hub's checkpoint does not verify under the checkpoint key given (\(error)): check the key, or report this to the auditors")
        }
        var held: Checkpoint?
        if let heldNote = checkpointNote {
            do { held = try verifier.verifyCheckpoint(heldNote) } catch {
                throw TransparencyError("\(file(Self.checkpointFile)) does not verify under the checkpoint key given (\(error)): this directory mirrors another log; choose another --out")
            }
        }
        if let held {
            if new.size < held.size || (new.size == held.size && new.root != held.root) {
                throw TransparencyError("the hub's checkpoint (size \(new.size)) does not extend the one this mirror holds (size \(held.size)): a rollback, a restored backup or a split view; the mirror keeps what it has; report it to the auditors")
            }
        }
        var fetched: [Tile: [UInt8]] = [:]
        for tile in Self.tiles(size: new.size) {
            // A tile's path names its width, so what it holds never changes (a partial tile of
            // width W holds the first W hashes for good); one mirrored was verified when written.
            if read(tile.path) != nil { continue }
            guard let bytes = try await fetch(tile.path) else {
                throw TransparencyError("the hub did not serve \(tile.path), which its checkpoint of size \(new.size) needs: try again later")
            }
            fetched[tile] = bytes
        }
        let tree = try verify(new, fetched: fetched)
        if let held, tree.root(size: held.size) != held.root {
            throw TransparencyError("the hub's tree of \(new.size) entries does not extend the one of \(held.size) this mirror holds: a split view or a rewritten log; the mirror keeps what it has; report it to the auditors")
        }
        var witnessedSize: Int64?
        if let witnessed, let w = try? verifier.verifyCheckpoint(witnessed), w.size <= new.size, tree.root(size: w.size) == w.root {
            witnessedSize = w.size
        }
        for (tile, bytes) in fetched.sorted(by: { $0.key.path < $1.key.path }) { try write(bytes, to: tile.path) }
        if let witnessed, witnessedSize != nil { try write(Array(witnessed.utf8), to: Self.witnessedFile) }
        try write(Array(note.utf8), to: Self.checkpointFile)
        return Update(previousSize: held?.size, size: new.size, fetched: fetched.count, witnessedSize: witnessedSize)
    }
}
