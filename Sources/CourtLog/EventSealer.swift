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
        let node = self.node
        let prepared = Parallel.map(drafts) { PreparedDraft($0, node: node) }
        return Parallel.map(chain(prepared, after: head)) { [key] in $0.signed(by: key) }
    }

    /// Links prepared drafts into the chain without signing them. This is the only sequential
    /// part of sealing: the hex of prev, the seq, and one SHA-256 per event.
    public func chain(_ drafts: [PreparedDraft], after head: LogHead) -> [UnsignedEvent] {
        var out: [UnsignedEvent] = []
        out.reserveCapacity(drafts.count)
        var prev = head.hash
        for (i, p) in drafts.enumerated() {
            let seq = head.seq + 1 + Int64(i)
            var body = p.bodyHead
            body.reserveCapacity(body.count + 160)
            Hex.append(prev.bytes, to: &body)
            body.append(contentsOf: p.bodyTail(seq: seq))
            let hash = EventHash(ofCanonicalBody: body)
            out.append(UnsignedEvent(node: node, seq: seq, draft: p.draft, prev: prev, hash: hash, body: body))
            prev = hash
        }
        return out
    }
}

/// An event linked into its chain, waiting for its signature.
public struct UnsignedEvent: Sendable {
    public let node: String
    public let seq: Int64
    public let draft: EventDraft
    public let prev: EventHash
    public let hash: EventHash
    public let body: [UInt8]

    /// The event signed by its node's key.
    public func signed(by key: NodeKey) -> SignedEvent {
        SignedEvent(node: node, seq: seq, draft: draft, prev: prev, hash: hash, sig: key.sign(eventHash: hash), body: body)
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

    ///
    /// `chunksPerCore` splits the work finer where one item is costly (a signature checked):
    /// a core that ends its last chunk early waits for the other's, at most one chunk long.
    public static func map<T: Sendable, R: Sendable>(_ items: [T], chunksPerCore: Int = 8, _ transform: @Sendable (T) -> R) -> [R] {
        let n = items.count
        if width <= 1 || n < 128 { return items.map(transform) }
        // Several chunks per core, handed out as workers come free: a core that is busy with
        // something else (the hub storing the batch before) holds back one small chunk, not
        // half the work, while the other core goes on.
        let chunks = min(width * max(1, chunksPerCore), n / 16)
        // Each worker initializes its own slots of the result in place: no optional slots and
        // no copy of the results afterwards.
        return [R](unsafeUninitializedCapacity: n) { buffer, initialized in
            let slots = Slots(base: buffer.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let lo = n * chunk / chunks, hi = n * (chunk + 1) / chunks
                for i in lo..<hi { slots.base.advanced(by: i).initialize(to: transform(items[i])) }
            }
            initialized = n
        }
    }

    /// The result's storage, written at disjoint indices by the workers of one `map`.
    struct Slots<R>: @unchecked Sendable { let base: UnsafeMutablePointer<R> }
}

/// Slots written by disjoint indices from several threads, each read only after its writer
/// has signalled (a semaphore or the end of `concurrentPerform`).
public final class ResultBuffer<R>: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<R?>
    public init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }
    deinit {
        slots.baseAddress?.deinitialize(count: slots.count)
        slots.deallocate()
    }
    public func set(_ i: Int, _ value: R) { slots[i] = value }
    public func get(_ i: Int) -> R { slots[i]! }
    public func has(_ i: Int) -> Bool { slots[i] != nil }
    public func values() -> [R] { slots.map { $0! } }
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
