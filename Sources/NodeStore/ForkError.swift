import CourtLog

/// Two different events claim one place of a court's log: the store holds `held` at `seq` of
/// `node`, and a batch offered `offered`. Nothing of the batch was stored. Typed so that the hub
/// raises its alarm on the case, not on the message.
public struct ForkError: Error, Sendable, CustomStringConvertible {
    public let node: String
    public let seq: Int64
    /// The hash the store holds at `seq`.
    public let held: EventHash
    /// The hash the batch carried there.
    public let offered: EventHash

    public init(node: String, seq: Int64, held: EventHash, offered: EventHash) {
        self.node = node
        self.seq = seq
        self.held = held
        self.offered = offered
    }

    public var description: String {
        "seq \(seq): fork: node \(node) seq \(seq) has hash \(offered.hex.prefix(16))… here it is \(held.hex.prefix(16))…; two different logs claim the same place. Nothing was stored; report this to the intermediate court's 技术处"
    }
}
