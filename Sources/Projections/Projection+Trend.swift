import CourtLog
import CourtPlan

/// One point of a trend: an indicator for a unit in one period, with the threshold line and
/// the unit's rank among the ten grassroots courts.
public struct TrendPoint: Sendable, Equatable {
    public let row: ComplianceRow
    /// Rank among the grassroots courts (1 = highest), when the unit is one and has data.
    public let rank: Int?
    /// How many grassroots courts had data (the rank's field).
    public let ranked: Int
}

extension Projection {
    /// The periods of a kind from `from` to `to` inclusive: month, half (H1/H2) or year.
    public static func periods(from: Period, to: Period, by kind: String) throws(EventError) -> [Period] {
        func convert(_ p: Period, last: Bool) -> Period {
            let m = last ? p.monthRange.upperBound : p.monthRange.lowerBound
            let y = m / 100, mm = m % 100
            switch kind {
            case "half": return .half(year: y, half: mm <= 6 ? 1 : 2)
            case "year": return .year(y)
            default: return .month(year: y, month: mm)
            }
        }
        guard ["month", "half", "year"].contains(kind) else { throw EventError("--by must be month, half or year") }
        var p = convert(from, last: false)
        let end = convert(to, last: true)
        guard p <= end else { throw EventError("the range \(from)…\(to) is empty: --from must not be after --to") }
        var out: [Period] = []
        while p <= end && out.count < 1200 { out.append(p); p = p.next }
        return out
    }

    /// The indicator for `unit` over `periods`, each from its own counters.
    public func trend(_ ind: Plan.Indicator, unit: String, periods: [(Period, PeriodCounts)]) -> [TrendPoint] {
        periods.map { period, counts in
            let ranks = grassrootsRanks(ind, counts: counts, period: period)
            return TrendPoint(row: row(ind, unit: unit, counts: counts, period: period), rank: ranks[unit], ranked: ranks.count)
        }
    }
}
