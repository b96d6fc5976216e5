import CanonicalJSON
import CourtLog
import CourtPlan
import Crypto

/// The plan's working loop (seed §五, §六; 技术处 duty 4) as a pure fold over the policy and
/// explanation events: 意见建议 and problems from raising to closing, the review of 说明情况,
/// the bulletins issued and the loop's time limits.
///
/// Events of different logs are folded in the order they happened, `(at, node, seq)`, so that a
/// court's suggestion and 410800's answer to it meet in the same order whatever order the hub
/// learned them in; the result depends on the events alone, so replay gives the same loop.
public struct WorkingLoop: Sendable {
    /// One 意见建议 or problem, identified as `unit/suggestion`.
    public struct Suggestion: Sendable, Equatable {
        public enum Status: String, Sendable { case open, answered, closed }
        public struct Step: Sendable, Equatable {
            public let type: String
            public let by: String
            public let text: String
            public let at: String
        }
        public let ref: String
        public let unit: String
        public let kind: String
        public let system: String?
        public let text: String
        public let contact: String?
        public let raisedAt: String
        public let raisedDay: CivilDate
        /// The department (or `office`) that must answer now.
        public internal(set) var routedTo: String
        /// Whether `routedTo` came from the plan (the system's lead) rather than a routing event.
        public internal(set) var autoRouted: Bool
        /// The day the time limit runs from: raising, or the latest escalation.
        public internal(set) var clockFrom: CivilDate
        public internal(set) var status: Status = .open
        public internal(set) var outcome: String?
        public internal(set) var steps: [Step] = []
        public internal(set) var escalated: Bool = false
    }

    /// The review state of the explanations of one unit for one indicator and period.
    public struct ExplanationReview: Sendable, Equatable {
        public enum State: String, Sendable {
            /// Filed, not yet reviewed (or refiled after a return).
            case awaitingReview = "awaiting review"
            case accepted
            /// Returned with a reason; a new explanation is due.
            case returned
        }
        public let state: State
        public let head: String?
        public let reason: String?
        public let firstFiledDay: CivilDate
        public let returnedDay: CivilDate?
    }

    /// A bulletin as issued (`bulletin.issued`), in issue order per period.
    public struct Issue: Sendable, Equatable {
        public let period: String
        public let number: String
        public let issued: CivilDate
        public let digest: String
        public let approvedBy: String?
        public let reason: String?
        public let node: String
        public let seq: Int64
    }

    /// The minutes of a 双周例会 or an extra meeting.
    public struct Meeting: Sendable, Equatable {
        public let date: CivilDate
        public let kind: String
        public let attendees: [String]
        public let minutes: String
        /// `bulletin:PERIOD` or `policy:ID`.
        public let approves: [String]
        public let seq: Int64
    }

    public private(set) var meetings: [Meeting] = []
    public private(set) var suggestions: [Suggestion] = []
    /// Keyed by `unit|indicator|period` (unit as written: a court code or a department slug).
    public private(set) var reviews: [String: ExplanationReview] = [:]
    public private(set) var issues: [Issue] = []
    /// Time limits in days by limit name (`suggestion-answer`, `explanation`).
    public private(set) var limits: [String: [PolicyState.Dated<Int64>]] = [:]

    static func day(_ at: EventTime) -> CivilDate { CivilDate(utcSeconds: at.utcSeconds + 8 * 3600) }

    /// Folds every policy and explanation event of `policy`, in the order they happened.
    public init(policy: PolicyState) {
        let events = policy.events.sorted { ($0.at.utcSeconds, $0.node, $0.seq) < ($1.at.utcSeconds, $1.node, $1.seq) }
        // Filings and reviews, per key, in time order; the state is decided after the fold.
        var filings: [String: [(day: CivilDate, head: String?)]] = [:]
        var decisions: [String: [(after: Int, decision: String, reason: String?, day: CivilDate)]] = [:]
        for e in events {
            let d = e.data
            let s: (String) -> String? = { d[$0]?.stringValue }
            let today = Self.day(e.at)
            switch e.type {
            case "suggestion.raised":
                guard let unit = s("unit"), let id = s("suggestion"), let kind = s("kind"), let text = s("text") else { continue }
                let ref = "\(unit)/\(id)"
                guard !suggestions.contains(where: { $0.ref == ref }) else { continue }
                suggestions.append(Suggestion(ref: ref, unit: unit, kind: kind, system: s("system"), text: text, contact: s("contact"),
                                              raisedAt: e.at.text, raisedDay: today, routedTo: Self.route(system: s("system"), policy: policy, on: today),
                                              autoRouted: true, clockFrom: today))
            case "suggestion.routed", "suggestion.answered", "suggestion.closed", "suggestion.escalated":
                guard e.node == PolicyAuthority.intermediateCourt, let ref = s("suggestion"),
                      let i = suggestions.firstIndex(where: { $0.ref == ref }) else { continue }
                var item = suggestions[i]
                switch e.type {
                case "suggestion.routed":
                    guard let to = s("to") else { continue }
                    item.routedTo = to
                    item.autoRouted = false
                    item.steps.append(.init(type: "routed", by: to, text: s("note") ?? "", at: e.at.text))
                case "suggestion.answered":
                    item.steps.append(.init(type: "answered", by: s("by") ?? item.routedTo, text: s("text") ?? "", at: e.at.text))
                    if item.status == .open { item.status = .answered }
                case "suggestion.closed":
                    item.status = .closed
                    item.outcome = s("outcome")
                    item.steps.append(.init(type: "closed", by: PolicyAuthority.intermediateCourt, text: s("note") ?? s("outcome") ?? "", at: e.at.text))
                default:
                    guard let to = s("to") else { continue }
                    item.routedTo = to
                    item.autoRouted = false
                    item.status = .open
                    item.outcome = nil
                    item.escalated = true
                    item.clockFrom = today
                    item.steps.append(.init(type: "escalated", by: to, text: s("reason") ?? "", at: e.at.text))
                }
                suggestions[i] = item
            case "explanation.filed":
                guard let unit = s("unit"), let ind = s("indicator"), let period = s("period") else { continue }
                filings["\(unit)|\(ind)|\(period)", default: []].append((today, s("head")))
            case "explanation.reviewed":
                guard e.node == PolicyAuthority.intermediateCourt, let unit = s("unit"), let ind = s("indicator"),
                      let period = s("period"), let decision = s("decision") else { continue }
                let key = "\(unit)|\(ind)|\(period)"
                decisions[key, default: []].append((filings[key]?.count ?? 0, decision, s("reason"), today))
            case "bulletin.issued":
                guard e.node == PolicyAuthority.intermediateCourt, let period = s("period"), let number = s("number"),
                      let issued = s("issued").flatMap({ try? CivilDate(parsing: $0) }), let digest = s("digest") else { continue }
                issues.append(Issue(period: period, number: number, issued: issued, digest: digest, approvedBy: s("approved_by"),
                                    reason: s("reason"), node: e.node, seq: e.seq))
            case "meeting.held":
                guard e.node == PolicyAuthority.intermediateCourt, let date = s("date").flatMap({ try? CivilDate(parsing: $0) }),
                      let kind = s("kind"), let minutes = s("minutes") else { continue }
                let list: (String) -> [String] = { d[$0]?.arrayValue?.compactMap(\.stringValue) ?? [] }
                meetings.append(Meeting(date: date, kind: kind, attendees: list("attendees"), minutes: minutes, approves: list("approves"), seq: e.seq))
            case "loop_limit.set":
                guard e.node == PolicyAuthority.intermediateCourt, let name = s("limit"), let days = d["days"]?.intValue,
                      let eff = s("effective").flatMap({ try? CivilDate(parsing: $0) }) else { continue }
                limits[name, default: []].append(.init(effective: eff, value: days, document: s("document") ?? "", node: e.node, seq: e.seq))
            default:
                continue
            }
        }
        for (key, list) in filings {
            let head = list.last { $0.head != nil }?.head
            // The latest review stands unless filings came after it (a refiling answers a return).
            let state: ExplanationReview.State
            var reason: String?
            var returnedDay: CivilDate?
            if let last = decisions[key]?.last, last.after == list.count {
                state = last.decision == "accepted" ? .accepted : .returned
                if state == .returned { reason = last.reason; returnedDay = last.day }
            } else {
                state = .awaitingReview
            }
            reviews[key] = ExplanationReview(state: state, head: head, reason: reason, firstFiledDay: list[0].day, returnedDay: returnedDay)
        }
    }

    /// Where a new item goes: the first lead of the system's indicator in force that day, or
    /// 技术处 (which collects 意见建议 by duty 4) when the system names no indicator.
    static func route(system: String?, policy: PolicyState, on day: CivilDate) -> String {
        guard let system, let ind = policy.plan.indicators.first(where: { $0.slug == system || $0.code == system }) else { return "tech" }
        return (policy.assignment(ind.slug, on: day)?.value.lead ?? ind.lead).first ?? "tech"
    }

    /// The 双周例会 dates run every 14 days from the plan's date (焦中法〔2022〕77号, 2022-07-28).
    public static func regularMeeting(onOrAfter day: CivilDate, planDate: CivilDate) -> CivilDate {
        let offset = max(0, day.daysSinceEpoch - planDate.daysSinceEpoch)
        let steps = (offset + 13) / 14
        return adding(Int64(steps * 14), to: planDate)
    }

    /// The latest meeting held before `day`.
    public func lastMeeting(before day: CivilDate) -> Meeting? { meetings.filter { $0.date < day }.max { ($0.date, $0.seq) < ($1.date, $1.seq) } }

    /// The meeting that approved a period's bulletin, if one did.
    public func approval(ofBulletin period: String) -> Meeting? { meetings.first { $0.approves.contains("bulletin:\(period)") } }

    /// A time limit in days in force on `day`, if policy set one.
    public func limit(_ name: String, on day: CivilDate) -> Int64? { PolicyState.inForce(limits[name], on: day)?.value }

    /// Whole days from `from` to `to` (0 on the same day).
    public static func days(from: CivilDate, to: CivilDate) -> Int { to.daysSinceEpoch - from.daysSinceEpoch }

    static func adding(_ days: Int64, to d: CivilDate) -> CivilDate { CivilDate(utcSeconds: Int64(d.daysSinceEpoch) * 86400 + days * 86400) }

    /// Whether an open item has gone past the answer limit on `day`: its age (from raising, or
    /// its latest escalation) is more than the limit in force on the day the clock started.
    public func isOverdue(_ s: Suggestion, on day: CivilDate) -> Bool {
        guard s.status == .open, let limit = limit("suggestion-answer", on: s.clockFrom) else { return false }
        return Self.days(from: s.clockFrom, to: day) > Int(limit)
    }

    /// The digest `bulletin.issued` binds: hex SHA-256 of the bulletin's Markdown as UTF-8 without
    /// its provenance — the data note (a line `> 数据来源：…` or `> 数据说明：…`) and the appendices
    /// from `## 附：记录时效` or `## 附：数据复核信息` to the end,
    /// which name the directory and record time the copy was made from: the figures and words,
    /// wherever and whenever they are reproduced.
    public static func digest(ofMarkdown text: String) -> String {
        Hex.encode(Array(SHA256.hash(data: Array(boundText(ofMarkdown: text).utf8))))
    }

    /// The part of a bulletin's Markdown that ``digest(ofMarkdown:)`` binds.
    public static func boundText(ofMarkdown text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if let appendix = lines.firstIndex(where: { $0.hasPrefix("## 附：记录时效") || $0.hasPrefix("## 附：数据复核信息") }) { lines.removeSubrange(appendix...) }
        return lines.filter { !$0.hasPrefix("> 数据来源") && !$0.hasPrefix("> 数据说明") }.joined(separator: "\n")
    }

    /// The first issue of a period's bulletin (a reissue does not move the deadline).
    public func firstIssue(period: String) -> Issue? { issues.first { $0.period == period } }

    /// The day by which a miss of `period` must be explained: the first issue of the period's
    /// bulletin plus the `explanation` limit in force on that day; nil until both exist.
    public func explanationDeadline(period: String) -> CivilDate? {
        guard let issue = firstIssue(period: period), let days = limit("explanation", on: issue.issued) else { return nil }
        return Self.adding(days, to: issue.issued)
    }

    /// The review of a unit's explanations, looked up under its code and slug alike.
    public func review(unit: String, indicator: String, period: String, plan: Plan) -> ExplanationReview? {
        let aliases = [unit] + plan.courts.filter { $0.code == unit || $0.slug == unit }.flatMap { [$0.code, $0.slug] }
        return aliases.lazy.compactMap { self.reviews["\($0)|\(indicator)|\(period)"] }.first
    }
}

extension PolicyState {
    /// The working loop folded from this policy's events.
    public var loop: WorkingLoop { WorkingLoop(policy: self) }
}
