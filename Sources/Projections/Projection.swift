import CanonicalJSON
import CourtLog
import CourtPlan

/// Answers the four questions of the leading group's office from a period's counters and the
/// policy in force: compliance, assignments, trends and accountability. Pure: the same inputs
/// always give the same rows.
public struct Projection: Sendable {
    public let policy: PolicyState
    public let rosters: [RosterEntry]

    public init(policy: PolicyState, rosters: [RosterEntry]) {
        self.policy = policy
        self.rosters = rosters
    }

    var plan: Plan { policy.plan }

    /// The instant a period ends (the end of its last day, UTC+08:00).
    static func endUTC(of p: Period) -> Int64 {
        Int64(p.lastDay.daysSinceEpoch + 1) * 86400 - 8 * 3600
    }

    /// Staff on the roster of a unit when the period ends (protocol "Rosters"). A roster in
    /// force is the latest `roster.set` of its unit by (time, seq) before the period ends. A
    /// court's headcount is the sum of its departments' rosters in force when it keeps any, and
    /// its court-wide roster only where it keeps no department rosters: departments are the
    /// finer record, and a court-wide figure left from before would otherwise go stale unseen
    /// while the departments' rosters change. The city's is the sum over courts.
    ///
    /// With `role`, the staff of that role alone: the same rule applied to the role rosters of
    /// each role separately. Without `role`, a roster unit (the court as a whole, or one
    /// department) that keeps role rosters as well as a whole roster counts the later of the two
    /// by (time, seq): the whole roster, or the sum of its role rosters in force (protocol/plan
    /// README §3, "Rosters"). A unit without role rosters is measured exactly as before roles.
    public func headcount(unit: String, role: String? = nil, at end: Int64) -> Int64? {
        let inForce = rosters.filter { $0.atUTC < end }
        func latest(_ u: String, _ r: String?) -> RosterEntry? {
            inForce.filter { $0.unit == u && $0.role == r }.max { ($0.atUTC, $0.seq) < ($1.atUTC, $1.seq) }
        }
        func single(_ u: String) -> Int64? {
            if let role { return latest(u, role)?.headcount }
            let whole = latest(u, nil)
            let roles = MeasureSet.staffRoles.compactMap { latest(u, $0) }
            guard let newestRole = roles.max(by: { ($0.atUTC, $0.seq) < ($1.atUTC, $1.seq) }) else { return whole?.headcount }
            if let whole, (whole.atUTC, whole.seq) > (newestRole.atUTC, newestRole.seq) { return whole.headcount }
            return roles.reduce(0) { $0 + $1.headcount }
        }
        if unit == Attribution.city {
            let parts = plan.courts.compactMap { headcount(unit: $0.code, role: role, at: end) }
            return parts.isEmpty ? nil : parts.reduce(0, +)
        }
        if plan.courts.contains(where: { $0.code == unit }) {
            let depts = Set(inForce.filter { $0.node == unit && $0.unit != unit && (role == nil || $0.role == role) }.map(\.unit))
            if !depts.isEmpty { return depts.compactMap(single).reduce(0, +) }
        }
        return single(unit)
    }

    /// The roles whose rosters give `unit` a headcount at the end of `period`, in catalog order:
    /// the role rows of its staff measures.
    public func rolesOnRoster(unit: String, period: Period) -> [String] {
        let end = Self.endUTC(of: period)
        return MeasureSet.staffRoles.filter { headcount(unit: unit, role: $0, at: end) != nil }
    }

    /// The unit whose counters measure `unit`'s numerator and denominator. A stage lead answers
    /// for its stage across the whole city, whose assessment it leads (plan: 立案庭（立案阶段）、
    /// 审管办（审判阶段）), not for its own submissions alone.
    func measuredUnit(_ ind: Plan.Indicator, unit: String, stage: String?) -> String {
        guard let stage, ind.stageLeads.contains(where: { $0.stage == stage && $0.lead.contains(unit) }) else { return unit }
        return Attribution.city
    }

    /// One row: an indicator for a unit in a period (optionally one stage of a split indicator).
    /// With `role`, a staff measure's figure for the staff of that role (its role rosters and
    /// the activity recorded with that role).
    public func row(_ ind: Plan.Indicator, unit: String, stage: String? = nil, role: String? = nil, counts: PeriodCounts, period: Period) -> ComplianceRow {
        let day = period.lastDay
        let suffix = stage.map { "@\($0)" } ?? ""
        let limit = policy.reviewLimit(ind.slug, on: day)?.value
        let measured = measuredUnit(ind, unit: unit, stage: stage)
        let num: Int64
        if let role {
            num = counts.count(unit: measured, measure: Measure.roleNumerator(ind.slug, role: role))
        } else if ind.numerator.withinReviewLimit {
            num = counts.timely(unit: measured, measure: "\(ind.slug)/num\(suffix)", limitHours: limit ?? 0)
        } else {
            num = counts.count(unit: measured, measure: "\(ind.slug)/num\(suffix)")
        }
        let den: Int64
        if ind.denominator.count == "roster" {
            den = headcount(unit: measured, role: role, at: Self.endUTC(of: period)) ?? 0
        } else if ind.unit == "per_case" && unitKind(measured) == "department" {
            // A department files no cases: its per-case figure (案均网上阅卷/阅档数) is its own
            // reviews over the cases its court (410800) filed in the period (plan README §3).
            den = counts.count(unit: PolicyAuthority.intermediateCourt, measure: "\(ind.slug)/den\(suffix)")
        } else {
            den = counts.count(unit: measured, measure: "\(ind.slug)/den\(suffix)")
        }
        let threshold = policy.threshold(ind.slug, on: day)
        let status: ComplianceStatus
        var problem: String?
        if den == 0 { status = .noData }
        else if ind.unit == "percent" && num > den {
            // A share above 100% is impossible: never 达标, shown with its cause.
            status = .dataProblem
            problem = ind.denominator.count == "roster"
                ? "\(num) staff\(role.map { " (\($0))" } ?? "") active but \(den) on the roster: the roster is out of date; record roster.set for every department\(role == nil ? "" : " and role")"
                : "numerator \(num) exceeds denominator \(den): some events of the numerator have no counterpart in the denominator"
        }
        else if let t = threshold?.value ?? nil { status = num * 10_000 >= t * den ? .met : .missed }
        else { status = .notAssessed }
        return ComplianceRow(
            period: counts.period, indicator: ind.slug, indicatorName: ind.name, indicatorCode: ind.code,
            unit: unit, unitName: unitName(unit), unitKind: unitKind(unit), stage: stage,
            numerator: num, denominator: den, unitOfMeasure: ind.unit,
            thresholdPer10k: threshold?.value ?? nil, thresholdDocument: threshold?.document,
            reviewLimitHours: ind.numerator.withinReviewLimit ? limit : nil, status: status, problem: problem, role: role,
            thresholdSource: threshold.map { Publication.EventRef(node: $0.node, seq: $0.seq) },
            reviewLimitSource: ind.numerator.withinReviewLimit ? policy.reviewLimit(ind.slug, on: day).map { Publication.EventRef(node: $0.node, seq: $0.seq) } : nil)
    }

    public func unitName(_ unit: String) -> String { unit == Attribution.city ? "全市法院" : plan.unitName(unit) }
    public func unitKind(_ unit: String) -> String {
        if unit == Attribution.city { return "city" }
        return plan.courts.contains { $0.code == unit } ? "court" : "department"
    }

    /// Compliance of a period: for each indicator, the city, every court, and every department
    /// responsible for it (groups expanded), plus stage rows of a split indicator for the city
    /// and the stage's lead.
    ///
    /// `byRole` adds, after each unit's row of a staff measure, one row per role its rosters
    /// give (``rolesOnRoster(unit:period:)``); units without role rosters get none.
    public func compliance(period: Period, counts: PeriodCounts, court: String? = nil, department: String? = nil, byRole: Bool = false) -> [ComplianceRow] {
        var rows: [ComplianceRow] = []
        let day = period.lastDay
        for ind in policy.indicators(on: day) {
            let responsible = policy.expand(policy.assignment(ind.slug, on: day)?.value.responsible ?? ind.responsible)
            var units = [Attribution.city] + plan.courts.map(\.code)
            units += responsible.filter { u in !plan.courts.contains { $0.code == u } }
            for unit in units {
                if let court {
                    if court == PolicyAuthority.intermediateCourt {
                        guard unit == court || unitKind(unit) == "department" else { continue }
                    } else if unit != court { continue }
                }
                if let department, unit != department { continue }
                rows.append(row(ind, unit: unit, counts: counts, period: period))
                if byRole && isStaffMeasure(ind) {
                    for role in rolesOnRoster(unit: unit, period: period) {
                        rows.append(row(ind, unit: unit, role: role, counts: counts, period: period))
                    }
                }
            }
            for s in ind.stageLeads {
                for unit in [Attribution.city] + s.lead where (court == nil || unitKind(unit) == "department" && court == PolicyAuthority.intermediateCourt) && (department == nil || unit == department) {
                    rows.append(row(ind, unit: unit, stage: s.stage, counts: counts, period: period))
                }
            }
        }
        return rows
    }

    /// A share of the staff on the roster whose activity can carry a role (OA活跃度, 移动办公办案活跃度).
    public func isStaffMeasure(_ ind: Plan.Indicator) -> Bool {
        ind.denominator.count == "roster" && EventCatalog.shipped.types[ind.numerator.type]?.fields["role"] != nil
    }

    /// Ranks among the ten grassroots courts, by value, 1 the highest; ties share a rank;
    /// courts without data have no rank.
    public func grassrootsRanks(_ ind: Plan.Indicator, counts: PeriodCounts, period: Period) -> [String: Int] {
        let rows = plan.courts.filter { $0.level == "grassroots" }.map { row(ind, unit: $0.code, counts: counts, period: period) }
            .filter { $0.denominator > 0 }
        var ranks: [String: Int] = [:]
        for r in rows {
            let better = rows.filter { $0.numerator * r.denominator > r.numerator * $0.denominator }.count
            ranks[r.unit] = better + 1
        }
        return ranks
    }
}
