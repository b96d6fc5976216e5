import CourtLog
import Foundation

/// The limit a hub's ingest is measured against: Ed25519 verification of the same events on all
/// cores, and nothing else.
struct VerificationLimit {
    /// Signatures verified per second of wall time.
    let rate: Double
    /// CPU seconds per signature.
    let cpu: Double

    /// Verifies every event's signature under `key`. The cores take 64 signatures at a time as
    /// they come free, so neither idles at the end more than 64 signatures' worth (an even
    /// split into 16 pieces left one core alone for up to an eighth of a core's share, which
    /// made the limit about 2 % lower than the cores reach).
    static func measure(_ events: [SignedEvent], key: NodePublicKey) throws(EventError) -> VerificationLimit {
        let t0 = Date(), cpu0 = CPUTime.ofThisProcess()
        let found = Parallel.firstFailure(count: events.count, chunk: 64, ahead: events.count) { i in
            key.verifies(signature: events[i].sig, of: events[i].hash)
        }
        let seconds = Date().timeIntervalSince(t0), cpu = CPUTime.ofThisProcess() - cpu0
        if let bad = found.first { throw EventError("bench: the signature of seq \(events[bad].seq) failed to verify") }
        return VerificationLimit(rate: Double(events.count) / seconds, cpu: cpu / Double(events.count))
    }
}
