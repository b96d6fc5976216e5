/// Signature checks that stop at the first bad one (issue 13): a hostile batch of forged events
/// costs the hub one window of verification, not the whole batch.
extension LogVerifier {
    /// Events verified per window: each window is checked on all cores, in order, and the check
    /// stops after the first window that holds a bad signature. Small enough that a forged
    /// batch costs little, large enough that a good batch keeps every core busy.
    public static var signatureWindow: Int { 128 * Parallel.width }

    /// The seq of the first event, in order, whose signature does not verify under `key` (nil if
    /// all do), and how many events were checked to find it.
    public static func firstBadSignature(_ events: [SignedEvent], key: NodePublicKey, window: Int = signatureWindow) -> (seq: Int64?, checked: Int) {
        var start = 0
        while start < events.count {
            let end = min(events.count, start + max(1, window))
            // Indexes, not a copy of the window's events: copying an event retains each of its
            // members, which cost the hub about 1 µs per event.
            let bad = Parallel.map(Array(start..<end)) { i in key.verifies(signature: events[i].sig, of: events[i].hash) ? nil : events[i].seq }
            if let first = bad.lazy.compactMap({ $0 }).first { return (first, end) }
            start = end
        }
        return (nil, events.count)
    }
}
