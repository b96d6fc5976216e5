import Dispatch

/// Turns drafts into signed, chained events on top of a log's head.
///
/// Hashing is sequential (each body holds the previous hash); signing is not part of the chain,
/// so it runs on every core.
public struct EventSealer: Sendable {
    public let node: String
    public let key: NodeKey

    public init(node: String, key: NodeKey) {
        self.node = node
        self.key = key
    }

    /// Seals `drafts` as seq `head.seq + 1 …`, linked to `head.hash`.
    public func seal(_ drafts: [EventDraft], after head: LogHead) -> [SignedEvent] {
        guard !drafts.isEmpty else { return [] }
        var bodies: [[UInt8]] = []
        var hashes: [EventHash] = []
        var prevs: [EventHash] = []
        bodies.reserveCapacity(drafts.count)
        hashes.reserveCapacity(drafts.count)
        prevs.reserveCapacity(drafts.count)
        var prev = head.hash
        for (offset, draft) in drafts.enumerated() {
            let body = SignedEvent.canonicalBody(node: node, seq: head.seq + 1 + Int64(offset), draft: draft, prev: prev)
            let hash = EventHash(ofCanonicalBody: body)
            bodies.append(body)
            prevs.append(prev)
            hashes.append(hash)
            prev = hash
        }
        let signatures = Parallel.map(hashes) { [key] hash in key.sign(eventHash: hash) }
        return drafts.indices.map { i in
            SignedEvent(node: node, seq: head.seq + 1 + Int64(i), draft: drafts[i], prev: prevs[i],
                        hash: hashes[i], sig: signatures[i], body: bodies[i])
        }
    }
}

/// The last event of a log: where the next one links.
public struct LogHead: Sendable, Equatable {
    public var seq: Int64
    public var hash: EventHash

    public init(seq: Int64, hash: EventHash) { self.seq = seq; self.hash = hash }

    /// The head of an empty log.
    public static let empty = LogHead(seq: 0, hash: .genesis)
}

/// Data-parallel map over all cores, in order.
public enum Parallel {
    /// The number of worker chunks to use: the active processor count.
    public static var width: Int { max(1, System.activeProcessors) }

    public static func map<T: Sendable, R: Sendable>(_ items: [T], _ transform: @Sendable (T) -> R) -> [R] {
        let n = items.count
        let chunks = min(width, max(1, n / 64))
        if chunks <= 1 { return items.map(transform) }
        let results = ResultBuffer<R>(count: n)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let lo = n * chunk / chunks, hi = n * (chunk + 1) / chunks
            for i in lo..<hi { results.set(i, transform(items[i])) }
        }
        return results.values()
    }
}

/// Slots written by disjoint indices from several threads, then read once all are done.
final class ResultBuffer<R>: @unchecked Sendable {
    private var slots: [R?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: R) { slots.withUnsafeMutableBufferPointer { $0[i] = value } }
    func values() -> [R] { slots.map { $0! } }
}

enum System {
    static var activeProcessors: Int {
        #if canImport(Glibc)
        return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #else
        return 2
        #endif
    }
}

#if canImport(Glibc)
import Glibc
#endif
