import CourtLog
import Foundation

/// The events this replica's pushes just stored, kept until its ``ProjectionFollower`` reads
/// their leaves back, so that it folds them without parsing their lines again (3 µs an event of
/// the hub's CPU, measured with perf). Events other replicas stored are parsed as before. Holds
/// at most `limit` events: when a follower falls that far behind, the oldest are dropped and
/// parsed again when read (nothing is lost, only the saving).
final class StoredEventCache: @unchecked Sendable {
    struct Key: Hashable {
        let court: String
        let seq: Int64
    }

    private let lock = NSLock()
    private var events: [Key: SignedEvent] = [:]
    private var order: [Key] = []
    private var start = 0
    let limit: Int

    init(limit: Int = 20_000) { self.limit = limit }

    /// Remembers events a push committed.
    func keep(_ stored: [SignedEvent]) {
        guard !stored.isEmpty else { return }
        lock.withLock {
            for e in stored {
                let key = Key(court: e.node, seq: e.seq)
                if events.updateValue(e, forKey: key) == nil { order.append(key) }
            }
            while events.count > limit, start < order.count {
                events[order[start]] = nil
                start += 1
            }
            // Keys taken since stay in `order` until it is compacted here.
            if order.count - start > 2 * limit || start > limit {
                order = order[start...].filter { events[$0] != nil }
                start = 0
            }
        }
    }

    /// The event stored for `court` `seq`, if it is remembered and has `hash`; forgotten then.
    func take(court: String, seq: Int64, hash: [UInt8]) -> SignedEvent? {
        lock.withLock {
            guard let e = events.removeValue(forKey: Key(court: court, seq: seq)) else { return nil }
            return e.hash.bytes == hash ? e : nil
        }
    }
}
