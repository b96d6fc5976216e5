import CourtLog
import CourtPlan

/// Impossible records of a unit in a period, counted in no indicator and listed so that the
/// court can correct them (a decision dated before its submission).
public struct DataProblem: Sendable, Equatable {
    public let period: String
    public let unit: String
    public let unitName: String
    /// `negative-delay`.
    public let kind: String
    public let count: Int64
    /// What is wrong, in the bulletin's words.
    public var chinese: String { "\(count)条审核/审批记录的决定时间早于提交时间（不计入任何指标，请核实更正后补录）" }
}

extension Projection {
    /// Every court's impossible records in the period, in the plan's court order.
    public func dataProblems(counts: PeriodCounts) -> [DataProblem] {
        plan.courts.compactMap { court in
            let n = counts.count(unit: court.code, measure: Measure.negativeDelay)
            return n > 0 ? DataProblem(period: counts.period, unit: court.code, unitName: court.name, kind: "negative-delay", count: n) : nil
        }
    }
}
