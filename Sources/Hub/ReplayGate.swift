import Foundation

/// Bounds the full replays the hub runs at once (`as_of` queries): each holds a whole replayed
/// projection in memory and a core for seconds, so past the limit a request is answered at once
/// with 503 and Retry-After rather than queued (a queue would only move the memory elsewhere).
final class ReplayGate: @unchecked Sendable {
    let limit: Int
    private let lock = NSLock()
    private var running = 0

    init(limit: Int) { self.limit = max(1, limit) }

    /// From `COURTSYNC_MAX_REPLAYS`, else the number of cores.
    static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> ReplayGate {
        if let n = env["COURTSYNC_MAX_REPLAYS"].flatMap(Int.init), n > 0 { return ReplayGate(limit: n) }
        return ReplayGate(limit: ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Takes a slot, or returns false when all `limit` are taken.
    func enter() -> Bool {
        lock.withLock {
            guard running < limit else { return false }
            running += 1
            return true
        }
    }

    func leave() { lock.withLock { running -= 1 } }

    /// Seconds a refused caller is told to wait.
    static let retryAfterSeconds = 5
}
