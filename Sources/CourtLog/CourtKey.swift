/// One key a court has held, as its registry file lists it (`keys` in `nodes/<court>.json`,
/// protocol §16.10). A court's keys, oldest first, are its key history; protocol §10 says which
/// of them may sign which events.
public struct CourtKey: Sendable, Equatable {
    public let key: NodePublicKey
    /// Why the key was revoked, or nil for a key that was active or rotated out.
    public let revokedFor: String?

    public init(key: NodePublicKey, revokedFor: String? = nil) {
        self.key = key
        self.revokedFor = revokedFor
    }
}
