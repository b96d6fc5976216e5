import CourtLog

/// Where one 说明情况 stands in the loop: filed or not, on time or late, and how it was reviewed.
public struct ExplanationStatus: Sendable, Equatable {
    public enum State: String, Sendable {
        case notExplained = "not explained"
        case awaitingReview = "awaiting review"
        case accepted
        case returned = "returned, not answered"
    }
    public let state: State
    /// The day it is due: the first issue of the period's bulletin plus the policy's limit.
    public let deadline: CivilDate?
    /// Filed (first) after the deadline, or not filed and the deadline has passed.
    public let late: Bool
    public let head: String?
    public let reason: String?

    /// Units that never explained, or were returned and did not answer, stand out (issue 11).
    public var standsOut: Bool { state == .notExplained || state == .returned }

    public var chinese: String {
        let base = switch state {
        case .notExplained: late ? "逾期未说明" : "未说明"
        case .awaitingReview: "待审核"
        case .accepted: "已采纳"
        case .returned: "退回未重新说明"
        }
        return base + (late && state != .notExplained ? "（逾期说明）" : "")
    }
}

extension Projection {
    /// The loop state of an accountability entry on `day`.
    public func explanationStatus(_ entry: AccountabilityEntry, loop: WorkingLoop, on day: CivilDate) -> ExplanationStatus {
        let deadline = loop.explanationDeadline(period: entry.period)
        guard entry.explained, let review = loop.review(unit: entry.unit, indicator: entry.indicator, period: entry.period, plan: plan) else {
            return ExplanationStatus(state: .notExplained, deadline: deadline, late: deadline.map { day > $0 } ?? false, head: nil, reason: nil)
        }
        let state: ExplanationStatus.State = switch review.state {
        case .awaitingReview: .awaitingReview
        case .accepted: .accepted
        case .returned: .returned
        }
        return ExplanationStatus(state: state, deadline: deadline, late: deadline.map { review.firstFiledDay > $0 } ?? false,
                                 head: review.head, reason: review.reason)
    }
}
