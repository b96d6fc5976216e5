import CanonicalJSON
import CourtLog
import CourtPlan
import NodeStore
import Projections

/// The policy, rosters and per-period counters a query reads: the stored projections brought
/// up to date, or a replay as of a record time.
public struct ProjectionSource {
    public let policy: PolicyState
    public let rosters: [RosterEntry]
    public let counts: (String) throws -> PeriodCounts
    /// The months (`2022-08`) with any usage counted, in order.
    public let months: () throws -> [String]

    /// When each event was first published in a checkpoint (protocol §16.12), read when asked:
    /// policy events, and late entries of the given period's months (none without a period),
    /// late meaning more than the policy's `late-entry` limit on the period's last day (else 30 days).
    public let publication: (Period?) throws -> Publication

    public var projection: Projection { Projection(policy: policy, rosters: rosters) }
    public var plan: Plan { policy.plan }

    public init(policy: PolicyState, rosters: [RosterEntry], counts: @escaping (String) throws -> PeriodCounts,
                months: @escaping () throws -> [String], publication: @escaping (Period?) throws -> Publication = { _ in .unpublished }) {
        self.policy = policy
        self.rosters = rosters
        self.counts = counts
        self.months = months
        self.publication = publication
    }

    /// The stored projections of `store`, after folding what is new. Refused while a recovered
    /// hub still lacks events its tree holds (protocol §16.13): the figures would be incomplete.
    public static func stored(_ store: EventStore, progress: (Int64, Int64) -> Void = { _, _ in }) throws -> ProjectionSource {
        try store.requireComplete()
        try store.updateProjections(progress: progress)
        let policy = try store.storedPolicy()
        return ProjectionSource(policy: policy, rosters: try store.storedRosters(), counts: { try store.storedCounts(period: $0) },
                                months: { try store.storedMonths() }, publication: { [policy] p in try store.publication(lateIn: p?.monthRange, lateAfterDays: policy.lateAfterDays(p)) })
    }

    /// A replay of `store` as its log stood at the checkpoint of `treeSize` leaves: only the
    /// events whose leaves come before it, and their publication as the checkpoints up to it show.
    public static func checkpointed(_ store: EventStore, treeSize: Int64, progress: (Int64, Int64) -> Void = { _, _ in }) throws -> ProjectionSource {
        try store.requireComplete()
        let replay = try store.replay(treeSize: treeSize, progress: progress)
        return ProjectionSource(policy: replay.policy, rosters: replay.tally.rosters, counts: { replay.tally.counts(of: $0) },
                                months: { Set(replay.tally.counts.keys.map(\.period).filter { $0.count == 7 && !$0.contains("H") }).sorted() },
                                publication: { [policy = replay.policy] p in
                                    try store.publication(treeSize: treeSize, lateIn: p?.monthRange, lateAfterDays: policy.lateAfterDays(p))
                                })
    }

    /// A record time ("as known at") from RFC 3339 with offset, or a date meaning the end of
    /// that day in UTC+08:00.
    public static func recordTime(_ text: String) throws(EventError) -> Int64 {
        if let d = try? CivilDate(parsing: text) { return Int64(d.daysSinceEpoch + 1) * 86400 - 8 * 3600 - 1 }
        do { return try EventTime(parsing: text).utcSeconds } catch {
            throw EventError("as-of '\(text)' is neither a date YYYY-MM-DD nor a time like 2023-01-05T18:00:00+08:00")
        }
    }

    /// A replay of `store` with only the events recorded by `asOf`.
    public static func replayed(_ store: EventStore, recordedBy asOf: Int64, progress: (Int64, Int64) -> Void = { _, _ in }) throws -> ProjectionSource {
        try store.requireComplete()
        let replay = try store.replay(recordedBy: asOf, progress: progress)
        return ProjectionSource(policy: replay.policy, rosters: replay.tally.rosters, counts: { replay.tally.counts(of: $0) },
                                months: { Set(replay.tally.counts.keys.map(\.period).filter { $0.count == 7 && !$0.contains("H") }).sorted() })
    }
}

/// A query's answer, as a table and as JSON; printed in the format asked for.
public struct QueryAnswer {
    public let title: String
    public let table: TextTable
    public let json: JSONValue

    public func render(_ format: String) -> String {
        switch format {
        case "json": String(decoding: CanonicalEncoder.encode(json), as: UTF8.self)
        case "csv": table.csv()
        default: title + "\n" + table.render()
        }
    }

    /// The formats a query can be printed in.
    public static let formats = ["table", "json", "csv"]
}
