import CourtLog

/// A policy event whose effective date lies before the day it was first published in a
/// checkpoint (protocol §16.12): for the days between, it was in force while nobody outside
/// the hub could have seen it — a backdated threshold, review limit, assignment or definition.
public struct RetroactivePolicy: Sendable, Equatable {
    public let node: String
    public let seq: Int64
    public let type: String
    public let document: String
    public let effective: CivilDate
    /// First publication (UTC+08:00 day) and whether a witness's cosignature dates it.
    public let published: Publication.Time
    /// Days from the effective date to the day of first publication (≥ 1).
    public var delayDays: Int { published.day.daysSinceEpoch - effective.daysSinceEpoch }

    public init(node: String, seq: Int64, type: String, document: String, effective: CivilDate, published: Publication.Time) {
        self.node = node
        self.seq = seq
        self.type = type
        self.document = document
        self.effective = effective
        self.published = published
    }

    /// Whether it decided `row`'s threshold or review limit for a period that ended before it
    /// was published: a figure it changed after the fact. Only a figure judged against a threshold
    /// (met or missed) can be changed; one without data, not assessed or a data problem cannot.
    public func changed(_ row: ComplianceRow) -> Bool {
        guard row.status == .met || row.status == .missed else { return false }
        let mine = Publication.EventRef(node: node, seq: seq)
        guard row.thresholdSource == mine || row.reviewLimitSource == mine else { return false }
        guard let last = try? Period(parsing: row.period) else { return false }
        return last.lastDay < published.day
    }
}

extension Publication {
    /// The retroactive policy events of `policy`, in (node, seq) order: every policy event with
    /// an `effective` date before the day it was first published.
    public func retroactive(_ policy: PolicyState) -> [RetroactivePolicy] {
        policy.events.compactMap { e -> RetroactivePolicy? in
            guard let text = e.data["effective"]?.stringValue, let effective = try? CivilDate(parsing: text),
                  let time = self.policy[EventRef(node: e.node, seq: e.seq)], time.day > effective else { return nil }
            return RetroactivePolicy(node: e.node, seq: e.seq, type: e.type, document: e.data["document"]?.stringValue ?? "",
                                     effective: effective, published: time)
        }.sorted { ($0.node, $0.seq) < ($1.node, $1.seq) }
    }
}
