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
        for ind in policy.indicators(on: day) {
            let assignment = policy.assignment(ind.slug, on: day)?.value
            for unit in policy.expand(assignment?.responsible ?? ind.responsible) {
                let r = row(ind, unit: unit, counts: counts, period: period)
                guard r.status == .missed else { continue }
                out.append(AccountabilityEntry(period: p, indicator: ind.slug, indicatorName: ind.name, unit: unit, unitName: unitName(unit),
                                               reason: .belowThreshold, detail: "\(r.valueText) < \(r.thresholdText)",
                                               explanations: policy.explanations(unit: unit, indicator: ind.slug, period: p)))
            }
            if let standing = policy.standing(ind.slug, period: p), standing.rank > plan.firstGroupRank {
                let rank = "全省第\(standing.rank)名 (第一方阵: 前\(plan.firstGroupRank)名)"
                for (lead, stageNote) in leadsToExplain(ind, assignment: assignment, counts: counts, period: period) {
                    out.append(AccountabilityEntry(period: p, indicator: ind.slug, indicatorName: ind.name, unit: lead, unitName: unitName(lead),
                                                   reason: .outsideFirstGroup, detail: rank + (stageNote.map { "；\($0)" } ?? ""),
                                                   explanations: policy.explanations(unit: lead, indicator: ind.slug, period: p)))
                }
            }
        }
        return out
    }

    /// The leads who explain an indicator outside the province's first group. For a stage-split
    /// indicator, the leads of the stages that fell short of the threshold across the city, each
    /// with its stage's figure; if no stage fell short (or none has a threshold), the lead(s) of
    /// the weakest stage — never every lead blindly. Otherwise every lead.
    func leadsToExplain(_ ind: Plan.Indicator, assignment: PolicyState.Assignment?, counts: PeriodCounts, period: Period) -> [(String, String?)] {
        guard !ind.stageLeads.isEmpty else { return (assignment?.lead ?? ind.lead).map { ($0, nil) } }
        let stages = ind.stageLeads.map { s in (s, row(ind, unit: Attribution.city, stage: s.stage, counts: counts, period: period)) }
            .filter { $0.1.denominator > 0 }
        guard !stages.isEmpty else { return (assignment?.lead ?? ind.lead).map { ($0, nil) } }
        var chosen = stages.filter { $0.1.status == .missed }
        if chosen.isEmpty {
            // The weakest stage by exact fraction: a/b < c/d ⇔ a·d < c·b.
            let weakest = stages.min { $0.1.numerator * $1.1.denominator < $1.1.numerator * $0.1.denominator }!
            chosen = stages.filter { $0.1.numerator * weakest.1.denominator == weakest.1.numerator * $0.1.denominator }
        }
        var out: [(String, String?)] = []
        for (stage, r) in chosen {
            let note = "\(stage.name) \(r.valueText)（\(r.numerator)/\(r.denominator)）\(r.status == .missed ? "低于 \(r.thresholdText)" : "为各阶段最低")"
            for lead in stage.lead where !out.contains(where: { $0.0 == lead }) { out.append((lead, note)) }
        }
        return out
    }
}
