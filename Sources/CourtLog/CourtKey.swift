/// One key a court has held, as its registry file lists it (`keys` in `nodes/<court>.json`,
/// protocol §16.10). A court's keys, oldest first, are its key history; protocol §10 says which
/// of them may sign which events.
public struct CourtKey: Sendable, Equatable {
    public let key: NodePublicKey
    /// Why the key was revoked, or nil for a key that was active or rotated out.
    public let revokedFor: String?
    /// The seq from which this key signs the court's events, as its rotation record binds it
    /// (`from_seq`); nil for a court's first key and for rotations recorded before the member
    /// existed, which only the order rule bounds.
    public let fromSeq: Int64?

    public init(key: NodePublicKey, revokedFor: String? = nil, fromSeq: Int64? = nil) {
        self.key = key
        self.revokedFor = revokedFor
        self.fromSeq = fromSeq
    }
}
