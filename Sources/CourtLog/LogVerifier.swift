/// Checks one node's log, event by event, without trusting whoever delivered it.
///
/// Feed events in order; each is checked for the expected node, a gapless seq, the link to the
/// previous hash, and its signature under the node's enrolled key. The first fault stops it.
///
/// Given the court's key history instead of one key, a signature verifies under the rule of
/// protocol §10: by one of the court's keys that was never revoked, and never by a key older
/// than one that has already signed an earlier event.
public struct LogVerifier: Sendable {
    public let node: String
    /// The court's current (last) key.
    public let publicKey: NodePublicKey
    /// The court's keys, oldest first (one key when built from a single key).
    public let history: [CourtKey]
    /// The index in `history` of the newest key that has signed an event verified so far.
    private var keyInUse = 0
    /// The head verified so far.
    public private(set) var head: LogHead
    /// Whether the first event's `prev` is checked (false when verifying a suffix from an unknown head).
    private var trustFirstPrev: Bool

    /// Starts at an empty log, or after a known head.
    public init(node: String, publicKey: NodePublicKey, after head: LogHead = .empty) {
        self.init(node: node, history: [CourtKey(key: publicKey)], after: head)
    }

    /// Starts at an empty log, or after a known head, under a court's key history (oldest first,
    /// not empty).
    public init(node: String, history: [CourtKey], after head: LogHead = .empty) {
        precondition(!history.isEmpty, "a key history holds at least one key")
        self.node = node
        self.publicKey = history[history.count - 1].key
        self.history = history
        self.head = head
        self.trustFirstPrev = false
    }

    /// Starts at `seq`, like `init(node:publicKey:suffixFrom:)`, under a court's key history.
    public init(node: String, history: [CourtKey], suffixFrom seq: Int64) {
        self.init(node: node, history: history, after: LogHead(seq: seq - 1, hash: .genesis))
        trustFirstPrev = seq > 1
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

    /// The index in `history` of the key that signed `event`, trying `hint` first (``keyHint``);
    /// nil when none did.
    public static func signer(of event: SignedEvent, in history: [CourtKey], hint: Int) -> Int? {
        if history[hint].key.verifies(signature: event.sig, of: event.hash) { return hint }
        return history.indices.first { $0 != hint && history[$0].key.verifies(signature: event.sig, of: event.hash) }
    }

    /// Applies the key-history rule of protocol §10 to an event signed by `history[index]`
    /// (nil: by none of the court's keys), and remembers the newest key in use.
    mutating func accept(_ event: SignedEvent, signedBy index: Int?) throws(EventError) {
        guard let index else {
            if history.count == 1 { try checkSignature(event) }
            throw EventError("bad signature: not signed by any of node \(node)'s keys in its registry history (\(history.map(\.key.fingerprint).joined(separator: ", "))): forged, or signed by another court's key", seq: event.seq)
        }
        let key = history[index]
        if let reason = key.revokedFor {
            throw EventError("signed by key \(key.key.fingerprint), which was revoked for node \(node) (\(reason)): a revoked key vouches for no event; verify the events before the revocation by hand with --public-key only if you trust them", seq: event.seq)
        }
        guard index >= keyInUse else {
            throw EventError("signed by key \(key.key.fingerprint), rotated out of node \(node), after an earlier event was signed by its successor \(history[keyInUse].key.fingerprint): a rotated-out key cannot sign after its successor has (the old key leaked, or the log was spliced)", seq: event.seq)
        }
        try Self.checkWindow(of: index, in: history, seq: event.seq, node: node)
        keyInUse = index
    }

    /// Protocol §10 step 9c: a key whose rotation record names `from_seq` signs no seq below
    /// it, and no key signs at or above the `from_seq` of a later key. Keys without one (the
    /// court's first key, rotations recorded before the member) are bounded by the order alone.
    static func checkWindow(of index: Int, in history: [CourtKey], seq: Int64, node: String) throws(EventError) {
        let key = history[index]
        if let start = key.fromSeq, seq < start {
            throw EventError("signed by key \(key.key.fingerprint), which signs node \(node)'s events only from seq \(start) (its rotation record says so): seq \(seq) must be signed by the key it replaced (the new key signed early, or the log was spliced)", seq: seq)
        }
        for later in history[(index + 1)...] {
            if let end = later.fromSeq, seq >= end {
                throw EventError("signed by key \(key.key.fingerprint), rotated out of node \(node) from seq \(end): events from seq \(end) on are signed by its successor \(later.key.fingerprint) (the old key leaked, or the log was spliced)", seq: seq)
            }
        }
    }

    /// Checks the signatures alone, in order, under the key-history rule of protocol §10, as if
    /// the event before the first was signed by `history[previousKey]`; the first refusal, with
    /// its seq. A hub uses it on a pushed batch when the current key alone does not verify it.
    public static func firstRefusedSignature(_ events: [SignedEvent], node: String, history: [CourtKey], previousKey: Int = 0) -> EventError? {
        var checker = LogVerifier(node: node, history: history)
        checker.keyInUse = max(0, min(previousKey, history.count - 1))
        let signers = Parallel.map(events) { e in Self.signer(of: e, in: history, hint: history.count - 1) }
        for (event, signer) in zip(events, signers) {
            do throws(EventError) { try checker.accept(event, signedBy: signer) } catch { return error }
        }
        return nil
    }

    /// The index in `history` of the key that signed `event`, or nil.
    public static func signer(of event: SignedEvent, in history: [CourtKey]) -> Int? {
        history.isEmpty ? nil : signer(of: event, in: history, hint: history.count - 1)
    }

    /// The index in `history` of the newest key that has signed so far: where a search for the
    /// next events' signers starts.
    public var keyHint: Int { keyInUse }

    /// Checks a batch: links in order, then every signature on all cores. The first fault, by
    /// seq, is reported.
    public mutating func verify(_ events: [SignedEvent]) throws(EventError) {
        let history = history, hint = keyInUse
        let signers = Parallel.map(events) { e in Self.signer(of: e, in: history, hint: hint) }
        try verify(events, signedBy: signers)
    }

    /// Checks a batch whose signers were found beforehand (``signer(of:in:hint:)`` from
    /// ``keyHint``, e.g. on all cores while each event was read): links in order, then the
    /// key-history rule of protocol §10 for each signer.
    public mutating func verify(_ events: [SignedEvent], signedBy signers: [Int?]) throws(EventError) {
        var linked = self
        for e in events { try linked.link(e) }
        for (event, signer) in zip(events, signers) { try linked.accept(event, signedBy: signer) }
        self = linked
    }
}
