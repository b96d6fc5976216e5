import CourtLog
import Foundation

/// Signs a batch of chained events on every core while the writing thread inserts the events
/// already signed, in seq order: signing and inserting overlap instead of following each other.
///
/// The batch is cut into chunks, claimed in order. Helper threads (one fewer than the cores)
/// sign chunks; the writing thread inserts chunk after chunk and, while the
/// next one is not ready, signs an unclaimed chunk itself, so no core waits while work remains.
final class SealingPipeline: @unchecked Sendable {
    let events: [UnsignedEvent]
    let key: NodeKey
    let chunk: Int
    let chunks: Int
    let signed: ResultBuffer<SignedEvent>
    // Guarded by `condition`.
    private let condition = NSCondition()
    private var nextClaim = 0
    private var done: [Bool]
    private var cancelled = false

    /// Events per chunk: small enough that the writer soon has work, large enough that claiming
    /// costs nothing next to 64 signatures.
    static let chunkSize = 64

    init(_ events: [UnsignedEvent], key: NodeKey) {
        self.events = events
        self.key = key
        chunk = Self.chunkSize
        chunks = (events.count + Self.chunkSize - 1) / Self.chunkSize
        signed = ResultBuffer(count: events.count)
        done = Array(repeating: false, count: chunks)
    }

    /// Signs every event and hands each to `insert` (with its index) on the calling thread, in
    /// order; returns the signed events. If `insert` throws, the helpers stop after the chunk in hand.
    func run(_ insert: (Int, SignedEvent) throws -> Void) rethrows -> [SignedEvent] {
        let helpers = min(Parallel.width - 1, chunks - 1)
        let group = DispatchGroup()
        for _ in 0..<max(0, helpers) {
            DispatchQueue.global().async(group: group) { while let c = self.claim() { self.sign(c) } }
        }
        defer {
            condition.lock(); cancelled = true; condition.unlock()
            group.wait()
        }
        for c in 0..<chunks {
            while !isDone(c) {
                if let other = claim() { sign(other) } else { wait(for: c) }
            }
            for i in range(c) { try insert(i, signed.get(i)) }
        }
        return (0..<events.count).map { signed.get($0) }
    }

    func range(_ c: Int) -> Range<Int> { c * chunk..<min(events.count, (c + 1) * chunk) }

    func claim() -> Int? {
        condition.lock(); defer { condition.unlock() }
        guard !cancelled, nextClaim < chunks else { return nil }
        nextClaim += 1
        return nextClaim - 1
    }

    func sign(_ c: Int) {
        for i in range(c) {
            signed.set(i, events[i].signed(by: key))
        }
        condition.lock()
        done[c] = true
        condition.broadcast()
        condition.unlock()
    }

    func isDone(_ c: Int) -> Bool {
        condition.lock(); defer { condition.unlock() }
        return done[c]
    }

    /// Waits for chunk `c`, which another thread has claimed.
    func wait(for c: Int) {
        condition.lock()
        while !done[c] { condition.wait() }
        condition.unlock()
    }
}
