import CourtLog
import Foundation
import NodeStore

/// A replica's own projections of a PostgreSQL hub: a local SQLite ``EventStore`` that tails the
/// hub's tree in leaf order and folds each new event through the same fold as a SQLite hub's
/// ingest (one fold path), so the same events give the same replay digest. After the events, it
/// copies the leaves, checkpoints and cosignatures (``EventStore/mirrorTree(leaves:from:checkpoints:cosignatures:)``),
/// so that queries and reports as of a checkpoint read the replica's file as on a SQLite hub.
///
/// The cursor (the next leaf to read) is the number of leaves copied, read from the file at each
/// catch-up: a replica restarts where it stopped, a `courtsync query --dir` on the same directory
/// as a running `hub serve` follows into the same file without harm (whatever one copied, the
/// other skips), and a file made before leaves were copied reads the tree once from the start
/// (events it holds already are recognised by hash and not folded again).
public final class ProjectionFollower: @unchecked Sendable {
    public let source: PostgresHubStore
    public let projection: EventStore
    private let lock = NSLock()
    /// Leaves read per round trip.
    let page = 5_000

    public init(source: PostgresHubStore, projection: EventStore) {
        self.source = source
        self.projection = projection
    }

    /// Folds every event the tree held when the call began, and copies the tree that far; returns
    /// that tree size. Callers that answer from the projections call this first, so an answer is
    /// never older than the request.
    @discardableResult
    public func catchUp() throws -> Int64 {
        try lock.withLock {
            let target = try source.treeSize()
            let copied = try projection.mirrorState()
            var next = copied.size
            var checkpointed = copied.checkpoint
            while next < target {
                let leaves = try source.acceptedLeaves(fromLeaf: next, limit: min(page, Int(target - next)))
                guard !leaves.isEmpty else { break }
                try fold(leaves.compactMap { leaf in leaf.event.map { (event: $0, recordedAt: leaf.recordedAt) } })
                let after = next + Int64(leaves.count)
                // The checkpoints this far go with the leaves, so a checkpoint is never copied before its leaves.
                let checkpoints = try source.checkpoints(above: checkpointed, upTo: after)
                try projection.mirrorTree(leaves: leaves.map(\.leaf), from: next, checkpoints: checkpoints, cosignatures: [])
                checkpointed = checkpoints.last?.size ?? checkpointed
                next = after
            }
            try projection.mirrorTree(leaves: [], from: next, checkpoints: try source.checkpoints(above: checkpointed, upTo: next),
                                      cosignatures: try source.cosignatures(since: copied.cosignedAt))
            return target
        }
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

    /// The courts whose events entered the copy of the tree at leaf `from` or later, and the
    /// copy's size: what the dashboard's live feed announces, whichever replica took the pushes
    /// and whichever process (this one, or a `courtsync query --dir`) folded them.
    public func courtsCopied(since from: Int64) throws -> (courts: [String], size: Int64) {
        try projection.courtsInTree(fromLeaf: from)
    }
}
