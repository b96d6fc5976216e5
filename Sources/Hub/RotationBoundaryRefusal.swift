/// A court's rotation refused because the seq from which its new key would sign (`from_seq` of
/// its rotation request, protocol §16.10) is not the one after the last event the hub holds of
/// it: the boundary the key log records must be exactly where the old key stopped signing.
public struct RotationBoundaryRefusal: Error, Sendable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// The request names no `from_seq` (made by a node before the member existed).
        case unbound
        /// The hub lacks events the old key signed before `from_seq`: the node has not synced them.
        case hubBehind
        /// The hub already holds events at or after `from_seq`: the node synced after its request.
        case hubAhead
    }

    public let reason: Reason
    public let court: String
    public let fromSeq: Int64?
    /// The last seq of the court's log the hub holds.
    public let hubHead: Int64

    public init(court: String, fromSeq: Int64?, hubHead: Int64) {
        self.court = court
        self.fromSeq = fromSeq
        self.hubHead = hubHead
        if let fromSeq { reason = fromSeq > hubHead + 1 ? .hubBehind : .hubAhead } else { reason = .unbound }
    }

    public var description: String {
        switch reason {
        case .unbound:
            return "court \(court)'s rotation request names no from_seq (the seq from which its new key signs): make a new one with `courtsync node rotate-request` at the court, then run `courtsync hub rotate` with it"
        case .hubBehind:
            return "court \(court)'s new key would sign from seq \(fromSeq ?? 0), but the hub holds its log only up to seq \(hubHead): have the court sync first (`courtsync node sync`), then run `courtsync hub rotate` again with the same request"
        case .hubAhead:
            return "court \(court)'s new key would sign from seq \(fromSeq ?? 0), but the hub already holds its log up to seq \(hubHead), signed by the old key: have the court make a new request (`courtsync node rotate-request`, after `node sync`) and rotate with that one"
        }
    }
}
