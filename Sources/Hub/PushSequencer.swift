import Foundation

/// Keeps one court's pushes stored in seq order while a node has several in flight.
///
/// A node sends its next batch before the receipt of the one before it arrives (protocol §15.5),
/// so the hub can parse and verify batch N+1 while batch N is being stored. A batch that follows
/// one still in flight waits for it to end before it is committed; if that one was refused, the
/// hub's head has not moved and the waiting batch is refused as a gap — never stored out of order.
/// A batch that arrives before its predecessor (two connections race) waits up to `grace` for it.
actor PushSequencer {
    /// A push between ``arrive(court:first:last:)`` and ``leave(_:)``.
    struct Ticket: Sendable, Hashable {
        let id: Int
        let court: String
        let first: Int64
        let last: Int64
    }

    /// How long a batch that starts beyond the hub's head waits for the push that would fill
    /// the gap to arrive, when none is in flight.
    let grace: Duration
    private var nextID = 0
    private var inFlight: [String: [Ticket]] = [:]
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    init(grace: Duration = .seconds(1)) {
        self.grace = grace
    }

    /// Registers a push of `court`'s seqs `first…last`, so later ones can wait for it.
    func arrive(court: String, first: Int64, last: Int64) -> Ticket {
        nextID += 1
        let ticket = Ticket(id: nextID, court: court, first: first, last: last)
        inFlight[court, default: []].append(ticket)
        wake(court)
        return ticket
    }

    /// Ends a push (stored or refused): the pushes waiting for it go on.
    func leave(_ ticket: Ticket) {
        inFlight[ticket.court]?.removeAll { $0.id == ticket.id }
        if inFlight[ticket.court]?.isEmpty == true { inFlight[ticket.court] = nil }
        wake(ticket.court)
    }

    /// Returns when `ticket` may be committed: no push of the same court that starts before it
    /// and reaches its first seq − 1 is in flight, and either the hub holds seq `first − 1`
    /// (`head` reads it), or the push it waited for ended without bringing the head there (it
    /// was refused), or `grace` has passed without such a push arriving.
    func turn(_ ticket: Ticket, head: @Sendable () async throws -> Int64) async rethrows {
        let deadline = ContinuousClock.now + grace
        var waited = false
        while true {
            if predecessor(of: ticket) != nil {
                waited = true
                await suspend(ticket.court)
                continue
            }
            if waited { return }
            let held = try await head()
            if ticket.first <= held + 1 || ContinuousClock.now >= deadline { return }
            // Nothing in flight fills the gap yet: wait for a push of this court to arrive or
            // end, or for a short while, then look again.
            await suspend(ticket.court, atMost: .milliseconds(20))
        }
    }

    /// Pushes of `court` in flight now.
    func pending(_ court: String) -> Int { inFlight[court]?.count ?? 0 }

    private func predecessor(of ticket: Ticket) -> Ticket? {
        inFlight[ticket.court]?.first { $0.id != ticket.id && $0.first < ticket.first && $0.last >= ticket.first - 1 }
    }

    private func suspend(_ court: String) async {
        await withCheckedContinuation { waiters[court, default: []].append($0) }
    }

    /// Waits to be woken, or for `limit` at most.
    private func suspend(_ court: String, atMost limit: Duration) async {
        let timer = Task { [weak self] in
            try? await Task.sleep(for: limit)
            await self?.wake(court)
        }
        await suspend(court)
        timer.cancel()
    }

    private func wake(_ court: String) {
        guard let waiting = waiters.removeValue(forKey: court) else { return }
        for w in waiting { w.resume() }
    }
}
