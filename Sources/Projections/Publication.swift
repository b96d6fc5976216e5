import CourtLog

/// When the hub's transparency log first published each event (protocol §16.12): the earliest
/// time of a checkpoint covering its leaf — a witness's cosignature time when any witness
/// cosigned a covering checkpoint (signed by the witness, not the hub), else the hub's own time
/// of signing the first covering checkpoint. Built by the store from its checkpoints; read by
/// the retroactivity marks and the late-entry counts.
public struct Publication: Sendable {
    /// A first-publication time, Unix seconds, and whether a witness signed it.
    public struct Time: Sendable, Equatable {
        public let seconds: Int64
        public let witnessed: Bool

        public init(seconds: Int64, witnessed: Bool) {
            self.seconds = seconds
            self.witnessed = witnessed
        }

        /// The calendar day (UTC+08:00) of the publication.
        public var day: CivilDate { CivilDate(utcSeconds: seconds + 8 * 3600) }
    }

    /// An event of a log: node and seq.
    public struct EventRef: Sendable, Hashable {
        public let node: String
        public let seq: Int64

        public init(node: String, seq: Int64) {
            self.node = node
            self.seq = seq
        }
    }

    /// Usage events are late when first published more than this many days after their time.
    public static let defaultLateAfterDays: Int64 = 30
    /// How many witnesses must have cosigned a covering checkpoint to date an event (section 16.8's default quorum).
    public static let defaultQuorum = 3

    /// First publication of each policy and explanation event.
    public var policy: [EventRef: Time]
    /// Late usage events per court and month (`yyyy * 100 + mm`, UTC+08:00, of the event's time).
    public var late: [String: [Int: Int64]]
    public let lateAfterDays: Int64
    /// The tree size this was computed at (the leaves and checkpoints considered); 0 when no checkpoint exists.
    public let treeSize: Int64

    public init(policy: [EventRef: Time], late: [String: [Int: Int64]], lateAfterDays: Int64, treeSize: Int64) {
        self.policy = policy
        self.late = late
        self.lateAfterDays = lateAfterDays
        self.treeSize = treeSize
    }

    /// No checkpoint holds anything (a node's own store, or a hub before its first checkpoint).
    public static let unpublished = Publication(policy: [:], late: [:], lateAfterDays: defaultLateAfterDays, treeSize: 0)

    /// Late usage events of `court` in the months of `period`.
    public func lateEntries(court: String, period: Period) -> Int64 {
        guard let months = late[court] else { return 0 }
        return period.monthRange.reduce(0) { $0 + (months[$1] ?? 0) }
    }

    /// Late usage events of every court in `period`, by court code, courts with none left out.
    public func lateEntries(period: Period) -> [String: Int64] {
        var out: [String: Int64] = [:]
        for court in late.keys {
            let n = lateEntries(court: court, period: period)
            if n > 0 { out[court] = n }
        }
        return out
    }
}

extension PolicyState {
    /// Days after which a usage event of `period` first checkpointed counts as a late entry: the
    /// `late-entry` limit (`loop_limit.set`) in force on the period's last day, else the default.
    public func lateAfterDays(_ period: Period?) -> Int64 {
        period.flatMap { loop.limit("late-entry", on: $0.lastDay) } ?? Publication.defaultLateAfterDays
    }
}
