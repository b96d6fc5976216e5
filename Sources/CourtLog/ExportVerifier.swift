/// Verifies an export (JSON Lines of envelopes) exactly as `protocol/README.md` specifies, so
/// that the Swift verifier and the reference verifier in `protocol/tools/` agree on every case
/// of `protocol/vectors/invalid.json`.
public struct ExportVerifier {
    public let node: String
    public let publicKey: NodePublicKey
    /// The court's keys, oldest first; signatures follow the key-history rule of protocol §10.
    public let history: [CourtKey]
    public let fromSeq: Int64

    public init(node: String, publicKey: NodePublicKey, fromSeq: Int64 = 1) {
        self.init(node: node, history: [CourtKey(key: publicKey)], fromSeq: fromSeq)
    }

    /// Verifies under a court's key history from its registry file (oldest first, not empty).
    public init(node: String, history: [CourtKey], fromSeq: Int64 = 1) {
        self.node = node
        self.publicKey = history[history.count - 1].key
        self.history = history
        self.fromSeq = fromSeq
    }

    /// Checks the whole export; returns its head (and, with `keep`, the verified events), or
    /// throws the first fault with its seq or line.
    public func verify(_ bytes: [UInt8], keep: Bool = false, progress: (Int64, Int64) -> Void = { _, _ in }) throws(EventError)
        -> (events: Int64, head: LogHead, kept: [SignedEvent]) {
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map { Array($0) }
        guard bytes.last == 0x0A else {
            if bytes.isEmpty { throw EventError("the export holds no events") }
            throw EventError("missing final newline: the export was cut short; export it again", line: lines.count)
        }
        lines.removeLast()
        var verifier = LogVerifier(node: node, history: history, suffixFrom: fromSeq)
        var ids = Set<String>()
        var pending: [(SignedEvent, Int)] = []
        var kept: [SignedEvent] = []
        func flush() throws(EventError) {
            var linked = verifier
            for (event, line) in pending {
                do { try linked.link(event) } catch { throw error.at(line: line) }
                guard ids.insert(event.id).inserted else {
                    throw EventError("duplicate id '\(event.id)': an id appears once in a node's log", seq: event.seq, line: line)
                }
            }
            do { try verifier.verify(pending.map(\.0)) } catch {
                throw error.at(line: pending.first { $0.0.seq == error.seq }?.1 ?? 0)
            }
            if keep { kept += pending.map(\.0) }
            pending.removeAll(keepingCapacity: true)
        }
        for (index, line) in lines.enumerated() {
            let event: SignedEvent
            do { event = try SignedEvent(parsing: line) } catch { throw error.at(line: index + 1) }
            pending.append((event, index + 1))
            if pending.count == 20_000 {
                try flush()
                progress(Int64(index + 1), Int64(lines.count))
            }
        }
        try flush()
        progress(Int64(lines.count), Int64(lines.count))
        return (Int64(lines.count), verifier.head, kept)
    }
}
