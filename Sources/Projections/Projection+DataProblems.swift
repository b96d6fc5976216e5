import CourtLog
import CourtPlan

/// Impossible records of a unit in a period, counted in no indicator and listed so that the
/// court can correct them: a decision dated before its submission, or an event dated after the
/// time it was recorded.
public struct DataProblem: Sendable, Equatable {
    public let period: String
    public let unit: String
    public let unitName: String
    /// `negative-delay` or `future-dated`.
    public let kind: String
    public let count: Int64

    /// What is wrong, in the bulletin's words.
    public var chinese: String {
        switch kind {
        case "future-dated": "\(count)条记录的发生时间晚于系统收到该记录的时间（日期在未来，不计入任何指标，请核实更正后补录）"
        default: "\(count)条审核/审批记录的决定时间早于提交时间（不计入任何指标，请核实更正后补录）"
        }
    }

    /// What is wrong, for the English half of a query's line.
    public var english: String {
        switch kind {
        case "future-dated": "\(count) events dated more than \(Attribution.futureSkew / 60) minutes after they were recorded"
        default: "\(count) reviews decided before they were submitted"
        }
    }
}

extension Projection {
    /// Every court's impossible records in the period, in the plan's court order, decisions
    /// before submissions first.
    public func dataProblems(counts: PeriodCounts) -> [DataProblem] {
        var out: [DataProblem] = []
        for court in plan.courts {
            for (kind, measure) in [("negative-delay", Measure.negativeDelay), ("future-dated", Measure.futureDated)] {
                let n = counts.count(unit: court.code, measure: measure)
                if n > 0 { out.append(DataProblem(period: counts.period, unit: court.code, unitName: court.name, kind: kind, count: n)) }
            }
        }
        return out
    }
}
