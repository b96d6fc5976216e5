import CourtLog
import Foundation
import NodeStore

/// A replica's own projections of a PostgreSQL hub: a local SQLite ``EventStore`` that tails the
/// hub's tree in leaf order and folds each new event through the same fold as a SQLite hub's
/// ingest (one fold path), so the same events give the same replay digest.
///
/// The cursor (the next leaf to read) lives in memory; at start it is found again from what the
/// local store holds of each court, so a replica restarts without re-reading the whole log.
public final class ProjectionFollower: @unchecked Sendable {
    public let source: PostgresHubStore
    public let projection: EventStore
    private let lock = NSLock()
    private var cursor: Int64?
    /// Leaves read per round trip.
    let page = 5_000

    public init(source: PostgresHubStore, projection: EventStore) {
        self.source = source
        self.projection = projection
    }

    /// Folds every event the tree held when the call began; returns that tree size. Callers that
    /// answer from the projections call this first, so an answer is never older than the request.
    @discardableResult
    public func catchUp() throws -> Int64 {
        try lock.withLock {
            let target = try source.treeSize()
            var next = try cursor ?? startingLeaf(treeSize: target)
            while next < target {
                let (events, after) = try source.acceptedEvents(fromLeaf: next, limit: page)
                try fold(events)
                guard after > next else { break }
                next = after
                cursor = next
            }
            cursor = next
            return target
        }
    }

    /// The first leaf holding an event the local store lacks (the tree's size when it lacks none).
    func startingLeaf(treeSize: Int64) throws -> Int64 {
        var first = treeSize
        for (court, held) in try source.courtHeads() {
            let local = try projection.head(of: court).seq
            guard local < held, let leaf = try source.leafIndex(court: court, seq: local + 1) else { continue }
            first = min(first, leaf.index)
        }
        return first
    }

    /// Folds events in tree order, one transaction per run of one court recorded at one time.
    func fold(_ events: [(event: SignedEvent, recordedAt: Int64)]) throws {
        var start = 0
        while start < events.count {
            var end = start + 1
            while end < events.count, events[end].event.node == events[start].event.node, events[end].recordedAt == events[start].recordedAt { end += 1 }
            let run = events[start..<end].map(\.event)
            // Events the local store already holds (410800's own, written here before they were
            // published) are checked by hash in `ingest` and not folded twice.
            _ = try projection.ingest(run, nodeHead: nil, recordedAt: events[start].recordedAt, checkpointSigner: nil)
            start = end
        }
    }
}
