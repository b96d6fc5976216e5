/// Checks one node's log, event by event, without trusting whoever delivered it.
///
/// Feed events in order; each is checked for the expected node, a gapless seq, the link to the
/// previous hash, and its signature under the node's enrolled key. The first fault stops it.
public struct LogVerifier: Sendable {
    public let node: String
    public let publicKey: NodePublicKey
    /// The head verified so far.
    public private(set) var head: LogHead
    /// Whether the first event's `prev` is checked (false when verifying a suffix from an unknown head).
    private var trustFirstPrev: Bool

    /// Starts at an empty log, or after a known head.
    public init(node: String, publicKey: NodePublicKey, after head: LogHead = .empty) {
        self.node = node
        self.publicKey = publicKey
        self.head = head
        self.trustFirstPrev = false
    }

    /// Starts at `seq` whose predecessor's hash is not known (a suffix export): the first
    /// event's `prev` is taken on trust; every later link is checked.
    public init(node: String, publicKey: NodePublicKey, suffixFrom seq: Int64) {
        self.init(node: node, publicKey: publicKey, after: LogHead(seq: seq - 1, hash: .genesis))
        trustFirstPrev = seq > 1
    }

    /// Checks the next event's place in the chain (node, seq, prev), but not its signature.
    public mutating func link(_ event: SignedEvent) throws(EventError) {
        guard event.node == node else {
            throw EventError("node \(event.node) in a log expected to be node \(node)'s: this is another court's log or a forged line", seq: event.seq)
        }
        guard event.seq == head.seq + 1 else {
            throw EventError("expected seq \(head.seq + 1) but found \(event.seq): events are missing, duplicated or out of order", seq: event.seq)
        }
        if trustFirstPrev {
            trustFirstPrev = false
        } else if event.prev != head.hash {
            throw EventError("prev does not match the hash of seq \(head.seq): the chain is broken (an event was changed, removed or inserted)", seq: event.seq)
        }
        head = LogHead(seq: event.seq, hash: event.hash)
    }

    /// Checks the signature alone.
    public func checkSignature(_ event: SignedEvent) throws(EventError) {
        guard publicKey.verifies(signature: event.sig, of: event.hash) else {
            throw EventError("bad signature: not signed by node \(node)'s enrolled key \(publicKey.fingerprint) (forged, or signed by another court's key)", seq: event.seq)
        }
    }

    /// Checks a batch: links in order, then every signature on all cores. The first fault, by
    /// seq, is reported.
    public mutating func verify(_ events: [SignedEvent]) throws(EventError) {
        var linked = self
        for e in events { try linked.link(e) }
        let key = publicKey
        let bad = Parallel.map(events) { e in key.verifies(signature: e.sig, of: e.hash) ? nil : e.seq }
        if let first = bad.compactMap({ $0 }).first, let e = events.first(where: { $0.seq == first }) {
            try checkSignature(e)
        }
        self = linked
    }
}
