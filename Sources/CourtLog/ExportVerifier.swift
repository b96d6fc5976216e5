import CanonicalJSON

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

    /// Lines checked at once: parsed on all cores, linked in order, then their signatures
    /// verified on all cores. Enough to keep every core busy; small enough that memory stays
    /// the same whatever the export's length.
    public static let window = 4096

    /// Checks the whole export; returns its head (and, with `keep`, the verified events), or
    /// throws the first fault with its seq or line.
    public func verify(_ bytes: [UInt8], keep: Bool = false, progress: (Int64, Int64) -> Void = { _, _ in }) throws(EventError)
        -> (events: Int64, head: LogHead, kept: [SignedEvent]) {
        try verify(JSONLines(bytes: bytes), keep: keep, progress: progress)
    }

    /// Checks an export read a window at a time (from a file of any length in the same memory,
    /// unless `keep` asks for the events). `progress` gets bytes read and the input's length.
    /// The first fault by line is reported, as the reference verifier does.
    ///
    /// `each` is handed every window whose links and signatures verified, in order, as soon as
    /// they do: a caller streams the export through it in the same memory. The check for an id
    /// repeated across windows ends only with the export, so a caller that keeps what `each`
    /// was handed must discard it when this throws.
    public func verify(_ lines: JSONLines, keep: Bool = false, progress: (Int64, Int64) -> Void = { _, _ in },
                       each: ([SignedEvent]) throws(EventError) -> Void = { _ in }) throws(EventError)
        -> (events: Int64, head: LogHead, kept: [SignedEvent]) {
        guard lines.endsWithNewline else {
            if lines.byteCount == 0 { throw EventError("the export holds no events") }
            var count = 0
            while try lines.next() != nil { count += 1 }
            throw EventError("missing final newline: the export was cut short; export it again", line: count)
        }
        var verifier = LogVerifier(node: node, history: history, suffixFrom: fromSeq)
        var ids = IDFilter()
        // Ids the filter may have seen before: confirmed or cleared by reading the lines again.
        var maybeRepeated: [(id: String, seq: Int64, line: Int)] = []
        var kept: [SignedEvent] = []
        var lineCount = 0
        var fault: EventError?
        while fault == nil {
            var window: [ArraySlice<UInt8>] = []
            window.reserveCapacity(Self.window)
            while window.count < Self.window, let line = try lines.next() { window.append(line) }
            if window.isEmpty { break }
            let first = lineCount + 1
            lineCount += window.count
            let parsed = Parallel.map(window) { line in Result { () throws(EventError) in try SignedEvent(parsing: Array(line)) } }
            var linked = verifier
            var good: [SignedEvent] = []
            good.reserveCapacity(parsed.count)
            for (i, result) in parsed.enumerated() {
                do throws(EventError) {
                    let event = try result.get()
                    try linked.link(event)
                    if ids.insert(event.id) { maybeRepeated.append((event.id, event.seq, first + i)) }
                    good.append(event)
                } catch {
                    fault = error.at(line: first + i)
                    break
                }
            }
            // A bad signature before the first parse or link fault comes first.
            do { try verifier.verify(good) } catch {
                fault = error.at(line: first + Int((error.seq ?? good[0].seq) - good[0].seq))
            }
            if fault == nil {
                if keep { kept += good }
                try each(good)
            }
            progress(lines.bytesRead, lines.byteCount)
        }
        if let repeated = try firstRepeatedID(maybeRepeated, before: fault?.line ?? Int.max, in: lines) {
            throw EventError("duplicate id '\(repeated.id)': an id appears once in a node's log", seq: repeated.seq, line: repeated.line)
        }
        if let fault { throw fault }
        return (Int64(lineCount), verifier.head, kept)
    }

    /// The first of `candidates` (before line `limit`) whose id an earlier line really holds,
    /// found by reading the lines again up to the last candidate.
    func firstRepeatedID(_ candidates: [(id: String, seq: Int64, line: Int)], before limit: Int, in lines: JSONLines) throws(EventError)
        -> (id: String, seq: Int64, line: Int)? {
        let candidates = candidates.filter { $0.line < limit }
        guard let last = candidates.last?.line else { return nil }
        let wanted = Set(candidates.map(\.id))
        var firstLine: [String: Int] = [:]
        try lines.rewind()
        var lineNo = 0
        while lineNo < last {
            var window: [ArraySlice<UInt8>] = []
            while window.count < Self.window, lineNo + window.count < last, let line = try lines.next() { window.append(line) }
            if window.isEmpty { break }
            let found = Parallel.map(window) { line in (try? StrictJSONParser.parse(Array(line)))?["id"]?.stringValue }
            for (i, id) in found.enumerated() {
                if let id, wanted.contains(id), firstLine[id] == nil { firstLine[id] = lineNo + i + 1 }
            }
            lineNo += window.count
        }
        return candidates.first { (firstLine[$0.id] ?? $0.line) < $0.line }
    }
}
