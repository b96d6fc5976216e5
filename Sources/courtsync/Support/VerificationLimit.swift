import CourtLog
import Foundation

/// The limit a hub's ingest is measured against: Ed25519 verification of the same events on all
/// cores, and nothing else.
struct VerificationLimit {
    /// Signatures verified per second of wall time.
    let rate: Double
    /// CPU seconds per signature.
    let cpu: Double

    /// Verifies every event's signature under `key`, in 256 pieces per core handed out as the
    /// cores come free, so neither idles at the end for more than one small piece (an even split
    /// into 8 per core left one core alone for up to an eighth of its share, which put the limit
    /// about 2 % below what the cores reach).
    static func measure(_ events: [SignedEvent], key: NodePublicKey) throws(EventError) -> VerificationLimit {
        let t0 = Date(), cpu0 = CPUTime.ofThisProcess()
        let ok = Parallel.map(Array(events.indices), chunksPerCore: 256) { i in key.verifies(signature: events[i].sig, of: events[i].hash) }
        let seconds = Date().timeIntervalSince(t0), cpu = CPUTime.ofThisProcess() - cpu0
        if let bad = ok.firstIndex(of: false) { throw EventError("bench: the signature of seq \(events[bad].seq) failed to verify") }
        return VerificationLimit(rate: Double(events.count) / seconds, cpu: cpu / Double(events.count))
    }
}
