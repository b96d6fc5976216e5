import Foundation
import QueryViews

/// The last few full replays the hub answered queries from (`checkpoint=` and `as_of=`), so that
/// the same question asked again — every auditor checking this month's bulletin at its
/// checkpoint, or a client asking the same as-of time in a loop — is answered without replaying
/// the log again.
///
/// An entry is kept only while it is provably still the answer:
/// - at a checkpoint, the log is fixed by the checkpoint's tree size (each court's log up to a
///   seq, protocol §16.12): the entry never goes stale;
/// - as of a record time, it is kept with the number of events the log held when it was made
///   (the sum of every court's head seq: logs only grow, so the same number is the same events);
///   once any event arrives the entry is no longer used, since an event recorded before the
///   as-of time may still have been on its way.
///
/// At most `capacity` replays are held, the least recently used dropped first: each holds a
/// replayed projection's counters in memory (per period, unit and indicator, not per event).
final class ReplayCache: @unchecked Sendable {
    enum Key: Hashable {
        case checkpoint(treeSize: Int64)
        case asOf(recordedBy: Int64, logLength: Int64)
    }

    let capacity: Int
    private let lock = NSLock()
    private var entries: [Key: ProjectionSource] = [:]
    /// Keys from least to most recently used.
    private var order: [Key] = []
    private var hits = 0
    private var misses = 0

    init(capacity: Int) { self.capacity = max(0, capacity) }

    /// From `COURTSYNC_REPLAY_CACHE` (replays kept; 0 keeps none), else 4.
    static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> ReplayCache {
        if let n = env["COURTSYNC_REPLAY_CACHE"].flatMap(Int.init), n >= 0 { return ReplayCache(capacity: n) }
        return ReplayCache(capacity: 4)
    }

    /// The replay kept for `key`, counted as a hit or a miss.
    func source(for key: Key) -> ProjectionSource? {
        lock.withLock {
            guard let source = entries[key] else {
                misses += 1
                return nil
            }
            hits += 1
            touch(key)
            return source
        }
    }

    /// Keeps `source` for `key`. An as-of entry made with a shorter log than `key`'s is dropped:
    /// it can never be used again.
    func keep(_ source: ProjectionSource, for key: Key) {
        guard capacity > 0 else { return }
        lock.withLock {
            if case .asOf(_, let length) = key {
                for stale in entries.keys {
                    if case .asOf(_, let older) = stale, older < length { forget(stale) }
                }
            }
            entries[key] = source
            touch(key)
            while order.count > capacity { forget(order[0]) }
        }
    }

    var count: Int { lock.withLock { entries.count } }

    /// Hits, misses and replays kept, for /metrics.
    var counters: (hits: Int, misses: Int, kept: Int) { lock.withLock { (hits, misses, entries.count) } }

    private func touch(_ key: Key) {
        order.removeAll { $0 == key }
        order.append(key)
    }

    private func forget(_ key: Key) {
        entries[key] = nil
        order.removeAll { $0 == key }
    }
}
