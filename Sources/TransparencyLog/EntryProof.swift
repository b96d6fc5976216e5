/// An entry of the tree with its RFC 9162 inclusion proof in a tree of a given size: what a
/// reader needs to check, from a checkpoint alone, that the entry is in the log.
public struct EntryProof: Sendable, Equatable {
    /// The seq under which the tree names the entry (a court's event seq, or key-log record n).
    public let seq: Int64
    public let leafIndex: Int64
    public let entry: [UInt8]
    public let inclusion: [MerkleTree.Hash]

    public init(seq: Int64, leafIndex: Int64, entry: [UInt8], inclusion: [MerkleTree.Hash]) {
        self.seq = seq
        self.leafIndex = leafIndex
        self.entry = entry
        self.inclusion = inclusion
    }

    /// Whether the proof shows the entry at its leaf index in the tree of `size` leaves with `root`.
    public func isIncluded(size: Int64, root: MerkleTree.Hash) -> Bool {
        MerkleTree.verifyInclusion(index: leafIndex, size: size, leafHash: MerkleTree.leafHash(entry), proof: inclusion, root: root)
    }
}
