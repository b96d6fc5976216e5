import CourtLog
import CourtPlan

/// Someone who must explain to the leading group (说明情况), and whether they have.
public struct AccountabilityEntry: Sendable, Equatable {
    public enum Reason: String, Sendable { case belowThreshold = "below threshold", outsideFirstGroup = "outside the province's first group" }
    public let period: String
    public let indicator: String
    public let indicatorName: String
    public let unit: String
    public let unitName: String
    public let reason: Reason
    /// "97.50% < ≥ 99.00%", or "province rank 7 (first group: 1-5)".
    public let detail: String
    public let explanations: [PolicyState.Explanation]
    public var explained: Bool { !explanations.isEmpty }
}

extension Projection {
    /// Every responsible unit below its threshold, and every lead department whose indicator
    /// is outside the province's first group (前五名) by the recorded standing (plan 五.4).
    public func accountability(period: Period, counts: PeriodCounts) -> [AccountabilityEntry] {
        var out: [AccountabilityEntry] = []
        let day = period.lastDay
        let p = counts.period
        for ind in plan.indicators {
            let assignment = policy.assignment(ind.slug, on: day)?.value
            for unit in policy.expand(assignment?.responsible ?? ind.responsible) {
                let r = row(ind, unit: unit, counts: counts, period: period)
                guard r.status == .missed else { continue }
                out.append(AccountabilityEntry(period: p, indicator: ind.slug, indicatorName: ind.name, unit: unit, unitName: unitName(unit),
                                               reason: .belowThreshold, detail: "\(r.valueText) < \(r.thresholdText)",
                                               explanations: policy.explanations(unit: unit, indicator: ind.slug, period: p)))
            }
            if let standing = policy.standing(ind.slug, period: p), standing.rank > plan.firstGroupRank {
                for lead in assignment?.lead ?? ind.lead {
                    out.append(AccountabilityEntry(period: p, indicator: ind.slug, indicatorName: ind.name, unit: lead, unitName: unitName(lead),
                                                   reason: .outsideFirstGroup,
                                                   detail: "全省第\(standing.rank)名 (第一方阵: 前\(plan.firstGroupRank)名)",
                                                   explanations: policy.explanations(unit: lead, indicator: ind.slug, period: p)))
                }
            }
        }
        return out
    }
}
