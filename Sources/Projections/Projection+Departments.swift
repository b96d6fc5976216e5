import CourtLog
import CourtPlan

/// How one of the intermediate court's departments stands in a period: the plan names 中院
/// departments, never the 中院 as a whole, as 责任部门, so they are judged and ranked one by one.
public struct DepartmentStanding: Sendable, Equatable {
    public let department: String
    public let name: String
    /// The indicators it is responsible for in the period, with its rows.
    public let rows: [ComplianceRow]
    /// Rank among the departments by share of assessed indicators met (1 the best; ties share a
    /// rank; nil when nothing was assessed).
    public let rank: Int?
    public var met: Int { rows.filter { $0.status == .met }.count }
    public var missed: Int { rows.filter { $0.status == .missed }.count }
    public var assessed: Int { met + missed }
}

extension Projection {
    /// Every 中院 department responsible for an indicator in the period (groups expanded, by the
    /// assignment in force on its last day), in the plan's department order, ranked.
    public func departmentStandings(period: Period, counts: PeriodCounts) -> [DepartmentStanding] {
        let day = period.lastDay
        var rowsByDept: [String: [ComplianceRow]] = [:]
        for ind in policy.indicators(on: day) {
            let responsible = policy.expand(policy.assignment(ind.slug, on: day)?.value.responsible ?? ind.responsible)
            for unit in responsible where unitKind(unit) == "department" {
                rowsByDept[unit, default: []].append(row(ind, unit: unit, counts: counts, period: period))
            }
        }
        let depts = plan.departments.filter { rowsByDept[$0.slug] != nil }
        let shares: [String: (Int, Int)] = Dictionary(uniqueKeysWithValues: depts.map { d in
            let rows = rowsByDept[d.slug]!
            let met = rows.filter { $0.status == .met }.count, assessed = met + rows.filter { $0.status == .missed }.count
            return (d.slug, (met, assessed))
        })
        return depts.map { d in
            let (met, assessed) = shares[d.slug]!
            var rank: Int?
            if assessed > 0 {
                // better: met'/assessed' > met/assessed, compared exactly
                rank = shares.values.filter { $0.1 > 0 && $0.0 * assessed > met * $0.1 }.count + 1
            }
            return DepartmentStanding(department: d.slug, name: d.name, rows: rowsByDept[d.slug]!, rank: rank)
        }
    }
}
