import CourtLog
import CourtPlan

/// The agenda of the next 双周例会, built from the record (seed §六: 技术处 collects the topics;
/// the meeting reviews draft bulletins and rules and reports to the leading group).
public struct MeetingAgenda: Sendable {
    public struct Review: Sendable, Equatable {
        public let unit: String
        public let unitName: String
        public let indicator: String
        public let period: String
        public let head: String?
    }
    public struct Draft: Sendable, Equatable {
        public let period: String
        /// The meeting that already approved it (it may be issued now), if any.
        public let approvedOn: CivilDate?
    }
    public struct Change: Sendable, Equatable {
        public let seq: Int64
        public let type: String
        public let summary: String
        public let approvedOn: CivilDate?
    }

    public let date: CivilDate
    public let lastMeeting: CivilDate?
    /// Misses of the months that ended since the last meeting (or the latest month, at the first).
    public let newMisses: [AccountabilityEntry]
    public let awaitingReview: [Review]
    /// Items not closed, with whether each is past the answer limit on the meeting's date.
    public let suggestions: [(item: WorkingLoop.Suggestion, overdue: Bool)]
    public let drafts: [Draft]
    public let changes: [Change]

    /// The policy types a meeting reviews as proposed or recorded changes.
    static let changeTypes: Set<String> = ["threshold.set", "review_limit.set", "assignment.set", "indicator.defined", "indicator.retired", "loop_limit.set"]
}

extension Projection {
    /// The agenda of the first regular meeting on or after `day`. `months` are the months with
    /// usage data, in order.
    public func agenda(on day: CivilDate, months: [String], counts: (String) throws -> PeriodCounts) throws -> MeetingAgenda {
        let loop = policy.loop
        let planDate = (try? CivilDate(parsing: plan.document.effective)) ?? CivilDate(year: 2022, month: 7, day: 28)
        let date = WorkingLoop.regularMeeting(onOrAfter: day, planDate: planDate)
        let last = loop.lastMeeting(before: date)?.date
        let completed = try months.map { try Period(parsing: $0) }.filter { $0.lastDay < date }
        let fresh = last.map { l in completed.filter { $0.lastDay >= l } } ?? Array(completed.suffix(1))
        var misses: [AccountabilityEntry] = []
        for p in fresh { misses += accountability(period: p, counts: try counts(p.description)) }
        let reviews = loop.reviews.filter { $0.value.state == .awaitingReview }.keys.sorted().compactMap { key -> MeetingAgenda.Review? in
            let parts = key.split(separator: "|").map(String.init)
            guard parts.count == 3 else { return nil }
            return MeetingAgenda.Review(unit: parts[0], unitName: unitName(parts[0]), indicator: parts[1], period: parts[2], head: loop.reviews[key]?.head)
        }
        let open = loop.suggestions.filter { $0.status != .closed }.map { (item: $0, overdue: loop.isOverdue($0, on: date)) }
        let issued = Set(loop.issues.map(\.period))
        let drafts = completed.filter { !issued.contains($0.description) }.suffix(3).map {
            MeetingAgenda.Draft(period: $0.description, approvedOn: loop.approval(ofBulletin: $0.description)?.date)
        }
        let since = last ?? WorkingLoop.adding(-14, to: date)
        let changes = policy.events.filter { e in
            e.node == PolicyAuthority.intermediateCourt && MeetingAgenda.changeTypes.contains(e.type)
                && (CivilDate(utcSeconds: e.at.utcSeconds + 8 * 3600) >= since
                    || (e.data["effective"]?.stringValue.flatMap { try? CivilDate(parsing: $0) }).map { $0 >= date } == true)
        }.map { e in
            let d = e.data
            let what = [d["indicator"]?.stringValue, d["limit"]?.stringValue, d["per_10k"]?.intValue.map { "per_10k=\($0)" },
                        d["days"]?.intValue.map { "\($0) days" }, d["effective"]?.stringValue.map { "from \($0)" }, d["document"]?.stringValue]
                .compactMap { $0 }.joined(separator: " ")
            return MeetingAgenda.Change(seq: e.seq, type: e.type, summary: what,
                                        approvedOn: loop.meetings.first { $0.approves.contains("policy:\(e.seq)") }?.date)
        }
        return MeetingAgenda(date: date, lastMeeting: last, newMisses: misses, awaitingReview: reviews, suggestions: open, drafts: drafts, changes: changes)
    }
}
