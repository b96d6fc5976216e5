/// Signature checks that stop at the first bad one (issue 13): a hostile batch of forged events
/// costs the hub a few hundred verifications, not the whole batch.
extension LogVerifier {
    /// How far past the lowest unchecked event the cores may verify: small enough that a forged
    /// batch costs little, large enough that a core never waits for the other on a good one.
    public static var signatureWindow: Int { 128 * Parallel.width }

    /// The seq of the first event, in order, whose signature does not verify under `key` (nil if
    /// all do), and how many events were checked to find it: at most `window + chunk` past it.
    public static func firstBadSignature(_ events: [SignedEvent], key: NodePublicKey, window: Int = signatureWindow, chunk: Int = 16) -> (seq: Int64?, checked: Int) {
        // By index: copying an event retains each of its members, which cost the hub about
        // 1 µs per event.
        let found = Parallel.firstFailure(count: events.count, chunk: chunk, ahead: window) { i in
            key.verifies(signature: events[i].sig, of: events[i].hash)
        }
        return (found.first.map { events[$0].seq }, found.checked)
    }
}
