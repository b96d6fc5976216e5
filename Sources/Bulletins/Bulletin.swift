import CourtLog
import CourtPlan
import Projections

/// A bulletin of 技术处 (月通报、半年通报、年通报) as data: per indicator its threshold in force,
/// the city's value and standing, each court's value, rank and change since the previous
/// period, the departments that missed, and who must explain. Rendered as Markdown or HTML
/// by ``BulletinMarkdown`` and ``BulletinHTML``; built only from the projections.
public struct Bulletin: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case monthly, halfYear = "half-year", annual

        /// 月通报 / 半年通报 / 年通报.
        public var title: String {
            switch self {
            case .monthly: "月通报"
            case .halfYear: "半年通报"
            case .annual: "年通报"
            }
        }

        /// The written form this kind takes, for error messages.
        public var example: String {
            switch self {
            case .monthly: "a month such as 2023-07"
            case .halfYear: "a half-year such as 2023-H1"
            case .annual: "a year such as 2022"
            }
        }

        /// Checks that `period` is of this kind.
        public func check(_ period: Period) throws(EventError) {
            switch (self, period) {
            case (.monthly, .month), (.halfYear, .half), (.annual, .year): return
            default: throw EventError("\(self == .annual ? "an" : "a") \(rawValue) bulletin is for \(example), not '\(period)'")
            }
        }

        /// How many months the trend charts may go back.
        var trendLength: Int {
            switch self {
            case .monthly: 12
            case .halfYear: 24
            case .annual: 36
            }
        }
    }

    /// One court's line under an indicator.
    public struct CourtLine: Sendable {
        public let row: ComplianceRow
        /// Rank among the grassroots courts (nil for the intermediate court, or without data).
        public let rank: Int?
        public let ranked: Int
        public let change: String
    }

    /// One point of a trend chart: the city's value and the threshold in force.
    public struct TrendPoint: Sendable {
        public let period: String
        /// The value ×10,000 rounded down (for drawing); nil without data.
        public let valuePer10k: Int64?
        /// The value as written (exact, half up), or `—`.
        public let valueText: String
        public let thresholdPer10k: Int64?
    }

    /// One indicator's section.
    public struct Section: Sendable {
        public let indicator: Plan.Indicator
        public let city: ComplianceRow
        public let change: String
        public let standing: PolicyState.Standing?
        public let courts: [CourtLine]
        /// Responsible departments of the intermediate court below the threshold.
        public let departmentsMissed: [ComplianceRow]
        public let trend: [TrendPoint]
        /// The threshold differs from the plan's (set or raised by a later document).
        public var thresholdChanged: Bool { city.thresholdPer10k != indicator.threshold?.per10k }
    }

    public let kind: Kind
    public let period: Period
    public let previous: Period
    public let plan: Plan
    public let sections: [Section]
    public let accountability: [AccountabilityEntry]
    /// The supervised systems (督导) in force, each with the city's figure and the courts'.
    public let supervised: [Section]
    /// Impossible records per court, counted in no indicator.
    public let dataProblems: [DataProblem]
    /// The intermediate court's departments, judged and ranked one by one (the plan's 责任部门).
    public let departmentStandings: [DepartmentStanding]
    /// Where the data stands: "统计截至 …" as the caller knows it (record time or as-of).
    public var dataNote: String
    public let firstGroupRank: Int64
    /// How to reproduce the bulletin exactly (the record time to replay to), for the appendix.
    public var reproduction: String = ""
    /// The issue date as written on the document, e.g. 2023年8月10日 (empty: not shown).
    public var issued: String = ""
    /// The document number (文号 / 期号); empty means the default, e.g. 2023年第7期.
    public var number: String = ""
    /// When the records were published: retroactive policy and late entries (``noteRecordTiming``).
    public var recordTiming: [String] = []

    /// The bulletin as a `bulletin.issued` digest binds it: its figures and words, without what
    /// names one copy or one issue (文号, issue date, data note, record timing, reproduction appendix), so that
    /// anyone replaying the log to the bound record time gets the same text.
    public var bound: Bulletin {
        var b = self
        b.number = ""
        b.issued = ""
        b.dataNote = ""
        b.reproduction = ""
        b.recordTiming = []
        return b
    }

    /// The 文号 shown under the title: the given number, else the issue's place in its series.
    public var documentNumber: String {
        if !number.isEmpty { return number }
        switch period {
        case .month(let y, let m): return "\(y)年第\(m)期"
        case .half(let y, let h): return "\(y)年\(h == 1 ? "上" : "下")半年"
        case .year(let y): return "\(y)年度"
        }
    }

    /// A unit's name as a bulletin prints it: the intermediate court's departments are
    /// labelled 中院 (中院立案庭), courts and the city as named.
    public func unitLabel(_ unit: String, _ name: String) -> String {
        if unit == Attribution.city || plan.courts.contains(where: { $0.code == unit }) || name.hasPrefix("中院") { return name }
        return "中院" + name
    }
    /// Misses of the period before whose explanation is still owed (issue 11).
    public internal(set) var outstanding: [Outstanding] = []
    /// 考核 scores of the period, where lead departments have set standards (issue 11).
    public internal(set) var scores: [UnitScore] = []
    /// Staff measures by role (员额法官, 法官助理, 书记员) for the city and each court whose
    /// rosters give roles (审管办 duty 1); empty where no roster gives roles.
    public internal(set) var roleBreakdown: [ComplianceRow] = []

    /// How a change is labelled: 较上月, 较2022年下半年, 较上年.
    public var previousLabel: String {
        switch kind {
        case .monthly: "较上月"
        case .halfYear: "较\(Self.chinese(previous))"
        case .annual: "较上年"
        }
    }

    /// The period as a bulletin writes it: 2023年7月, 2023年上半年, 2022年.
    public static func chinese(_ p: Period) -> String {
        switch p {
        case .month(let y, let m): "\(y)年\(m)月"
        case .half(let y, let h): "\(y)年\(h == 1 ? "上" : "下")半年"
        case .year(let y): "\(y)年"
        }
    }

    /// Builds the bulletin of `period` from the projection and its counters.
    /// Throws when the period has no usage events at all: an empty bulletin is never written.
    public static func make(kind: Kind, period: Period, projection: Projection, counts: (String) throws -> PeriodCounts,
                            dataNote: String) throws -> Bulletin {
        try kind.check(period)
        let current = try counts(period.description)
        guard !current.isEmpty else {
            throw EventError("no usage events are recorded for \(period)")
        }
        let previous = period.previous
        let before = try counts(previous.description)
        // The charts go month by month, from the first month with usage data in the window
        // (12 months for a monthly bulletin, 24 for a half-year, 36 for a year) to the period's end,
        let end = period.monthRange.upperBound
        var months: [Period] = []
        var m = Period.month(year: end / 100, month: end % 100)
        for _ in 0..<(kind.trendLength) { months.insert(m, at: 0); m = m.previous }
        let monthCounts = try months.map { ($0, try counts($0.description)) }
        // and back from the period's end to its last month with data (a year still running).
        let firstWithData = monthCounts.firstIndex { !$0.1.isEmpty } ?? monthCounts.count - 1
        let lastWithData = max(firstWithData, monthCounts.lastIndex { !$0.1.isEmpty } ?? firstWithData)
        let trendCounts = Array(monthCounts[firstWithData...lastWithData])
        let plan = projection.policy.plan
        var sections: [Section] = []
        var supervised: [Section] = []
        for ind in projection.policy.indicators(on: period.lastDay) {
            let city = projection.row(ind, unit: Attribution.city, counts: current, period: period)
            let cityBefore = projection.row(ind, unit: Attribution.city, counts: before, period: previous)
            let ranks = projection.grassrootsRanks(ind, counts: current, period: period)
            // Grassroots courts only: the intermediate court is judged by its departments below.
            let courts = plan.courts.filter { $0.code != PolicyAuthority.intermediateCourt }.map { court -> CourtLine in
                let row = projection.row(ind, unit: court.code, counts: current, period: period)
                let old = projection.row(ind, unit: court.code, counts: before, period: previous)
                return CourtLine(row: row, rank: ranks[court.code], ranked: ranks.count, change: change(from: old, to: row))
            }
            let responsible = projection.policy.expand(projection.policy.assignment(ind.slug, on: period.lastDay)?.value.responsible ?? ind.responsible)
            let departments = responsible.filter { projection.unitKind($0) == "department" }
                .map { projection.row(ind, unit: $0, counts: current, period: period) }
                .filter { $0.status == .missed }
            let trend = trendCounts.map { p, c in
                let r = projection.row(ind, unit: Attribution.city, counts: c, period: p)
                return TrendPoint(period: p.description, valuePer10k: r.valuePer10k, valueText: r.valueText, thresholdPer10k: r.thresholdPer10k)
            }
            let section = Section(indicator: ind, city: city, change: change(from: cityBefore, to: city),
                                  standing: projection.policy.standing(ind.slug, period: period.description),
                                  courts: courts, departmentsMissed: departments, trend: trend)
            // 督导 systems are reported apart, in one table: they are not the plan's assessment.
            if ind.kind == "supervised" { supervised.append(section) } else { sections.append(section) }
        }
        var bulletin = Bulletin(kind: kind, period: period, previous: previous, plan: plan, sections: sections,
                        accountability: projection.accountability(period: period, counts: current),
                        supervised: supervised, dataProblems: projection.dataProblems(counts: current),
                        departmentStandings: projection.departmentStandings(period: period, counts: current), dataNote: dataNote,
                        firstGroupRank: plan.firstGroupRank)
        bulletin.outstanding = try outstanding(before: period, projection: projection, counts: counts)
        bulletin.scores = projection.scores(period: period, counts: current, on: recordDay(projection, period: period))
        bulletin.roleBreakdown = sections.map(\.indicator).filter(projection.isStaffMeasure).flatMap { ind in
            ([Attribution.city] + plan.courts.map(\.code)).flatMap { unit in
                projection.rolesOnRoster(unit: unit, period: period).map { projection.row(ind, unit: unit, role: $0, counts: current, period: period) }
            }
        }
        return bulletin
    }

    /// The change between two values of one indicator, exactly, half away from zero:
    /// `+1.25个百分点` for percentages, `-0.013` for per-case values; `—` when either has no data.
    public static func change(from old: ComplianceRow, to new: ComplianceRow) -> String {
        guard old.denominator > 0, new.denominator > 0 else { return "—" }
        let percent = new.unitOfMeasure == "percent"
        // Hundredths of a percentage point, or thousandths of a per-case value.
        let scale: Int64 = percent ? 10_000 : 1_000
        let num = (new.numerator * old.denominator - old.numerator * new.denominator) * scale * 2
        let den = new.denominator * old.denominator
        let magnitude = (abs(num) / den + 1) / 2
        let sign = num < 0 && magnitude > 0 ? "-" : magnitude > 0 ? "+" : "±"
        if percent {
            return "\(sign)\(magnitude / 100).\(magnitude % 100 < 10 ? "0" : "")\(magnitude % 100)个百分点"
        }
        let frac = magnitude % 1000
        return "\(sign)\(magnitude / 1000).\(frac < 10 ? "00" : frac < 100 ? "0" : "")\(frac)"
    }

    /// The city's statuses: how many indicators met, missed, were not assessed or had no data.
    public var cityTally: [ComplianceStatus: Int] {
        var out: [ComplianceStatus: Int] = [:]
        for s in sections { out[s.city.status, default: 0] += 1 }
        return out
    }

    /// Per grassroots court, how many indicators it met, missed, was not assessed on or had no
    /// data for. The intermediate court is judged by its departments (``departmentStandings``),
    /// never as a whole: the plan names its departments, not the court, as 责任部门.
    public var courtTallies: [(court: Plan.Court, tally: [ComplianceStatus: Int])] {
        plan.courts.filter { $0.code != PolicyAuthority.intermediateCourt }.map { court in
            var t: [ComplianceStatus: Int] = [:]
            for s in sections { if let line = s.courts.first(where: { $0.row.unit == court.code }) { t[line.row.status, default: 0] += 1 } }
            return (court, t)
        }
    }

    /// The provincial standing as a sentence.
    public func standingText(_ s: Section) -> String {
        guard let st = s.standing else { return "省法院尚未发布本期排名" }
        let avg = ComplianceRow.format(numerator: st.provinceAveragePer10k, denominator: 10_000, unit: s.indicator.unit)
        let excellent = st.excellentPer10k.map { "，优秀标准 " + ComplianceRow.format(numerator: $0, denominator: 10_000, unit: s.indicator.unit) } ?? ""
        let group = st.rank <= firstGroupRank ? "进入全省第一方阵" : "未进入全省第一方阵（前\(firstGroupRank)名）"
        return "全省第\(st.rank)名（全省平均 \(avg)\(excellent)），\(group)"
    }
}
