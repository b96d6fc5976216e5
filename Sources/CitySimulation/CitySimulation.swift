import CanonicalJSON
import CourtLog
import CourtPlan

/// A city of courts using the plan's systems, month by month from 2022-08, seeded and
/// deterministic: the same seed, scale and months give the same events in any order of
/// generation, because every court, month and decision draws from its own stream.
///
/// Each unit (a grassroots court, or a department of the intermediate court) has its own
/// propensity for each indicator, around the plan's threshold, improving slowly over the
/// year; some units sit below some thresholds, which is what the accountability rule is for.
public struct CitySimulation: Sendable {
    public let plan: Plan
    public let seed: UInt64
    public let scale: Double
    public let months: Int

    /// The first simulated month: the plan took effect on 2022-07-28.
    public static let firstMonth = Period.month(year: 2022, month: 8)

    /// The court that loses its link to the hub for two months, then syncs its backlog.
    public static let offlineCourt = "410804"
    /// The courts whose department rosters give roles (员额法官, 法官助理, 书记员, other), so that
    /// the bulletins break their staff measures down by role.
    public static let roleRosterCourts: Set<String> = ["410803", "410822", "410883"]
    /// The court that hires staff mid-year (its roster grows before the new staff are active).
    public static let hiringCourt = "410802"
    /// The threshold the provincial notice raises mid-year, and to what.
    public static let raisedIndicator = "e-dossier-quality"
    public static let raisedThreshold: Int64 = 9_000
    /// 网上信访: the plan leaves its threshold to 信访局; it is set in the sixth month.
    public static let petitionIndicator = "online-petition"
    public static let petitionThreshold: Int64 = 6_000
    /// The share of a month's events a court records only in the following month.
    public static let lateShare = 0.02

    public init(plan: Plan = .shipped, seed: UInt64, scale: Double, months: Int) {
        self.plan = plan
        self.seed = seed
        self.scale = scale
        self.months = months
    }

    /// The k-th simulated month (0 = 2022-08).
    public func period(_ k: Int) -> Period {
        let index = 2022 * 12 + 7 + k
        return .month(year: index / 12, month: index % 12 + 1)
    }

    /// The months (by index) in which the offline court cannot reach the hub.
    public var offlineMonths: Range<Int> {
        if months >= 6 { return (months / 2 - 1)..<(months / 2 + 1) }
        return months >= 3 ? 0..<2 : 0..<0
    }

    /// The month 信访局 sets 网上信访's threshold (the sixth), and the month the provincial notice takes effect.
    public var petitionThresholdMonth: Int { min(5, months - 1) }
    public var raiseMonth: Int { min(6, months - 1) }
    /// The month 技术处 defines 一键归档率 by policy (2022-12), in force from the next month.
    public var archiveMonth: Int { min(4, months - 1) }
    /// 一键归档率: the indicator added by policy mid-year.
    public static let archiveIndicator = "one-click-archive"
    var hiringMonth: Int { min(4, months - 1) }

    // MARK: - Usage

    /// What a court records in month `k`: the events it records on time, and the share of
    /// them it records only next month (late events, dated in month `k`).
    public struct MonthUsage: Sendable {
        public var onTime: [EventDraft] = []
        public var late: [EventDraft] = []
        public var count: Int { onTime.count + late.count }
    }

    /// Propensity of a unit for an indicator: (nominal, spread) around which units scatter.
    static let propensity: [String: (Double, Double)] = [
        "online-filing": (0.99, 0.03), "online-filing-timely": (0.82, 0.15), "online-payment": (0.90, 0.10),
        "online-hearing": (0.38, 0.20), "e-service": (0.90, 0.10), "e-service-coverage": (0.92, 0.10),
        "file-review-timely": (0.98, 0.04), "file-reviews-per-case": (0.21, 0.10), "archive-review-timely": (0.91, 0.10),
        "archive-reviews-per-case": (0.022, 0.012), "mediation-success": (0.52, 0.20), "lawyer-platform": (0.71, 0.20),
        "online-preservation": (0.80, 0.20), "online-petition": (0.60, 0.25), "live-streaming": (0.25, 0.20),
        "crossdept-platform": (0.72, 0.20), "e-dossier-quality": (0.87, 0.10),
        "oa-activity": (0.0, 0.0), "mobile-activity": (0.0, 0.0),
        "judgment-publication": (0.93, 0.08), "online-auction": (0.95, 0.08), "oa-office": (0.9, 0.1),
        "one-click-archive": (0.80, 0.15),
    ]

    /// A unit's rate for an indicator in month `k`: its own skill, a slow improvement, and a monthly wobble.
    func rate(_ unit: String, _ indicator: String, _ k: Int) -> Double {
        let (nominal, spread) = Self.propensity[indicator] ?? (0.9, 0.1)
        var skill = SplitMix(seed: seed, stream: "skill/\(unit)/\(indicator)")
        var wobble = SplitMix(seed: seed, stream: "wobble/\(unit)/\(indicator)/\(k)")
        let r = nominal + spread * (skill.unit() - 0.45) + spread * 0.35 * Double(k) / 12 + spread * 0.15 * (wobble.unit() - 0.5)
        return min(1, max(0, r))
    }

    /// The chance that a staff member uses OA (or mobile office) at least once in month `k`.
    func activity(_ unit: String, _ app: String, _ k: Int) -> Double {
        var skill = SplitMix(seed: seed, stream: "skill/\(unit)/\(app)")
        return app == "oa" ? min(1, 0.975 + 0.04 * skill.unit() + 0.01 * Double(k) / 12)
                           : min(1, 0.95 + 0.06 * skill.unit() + 0.025 * Double(k) / 12)
    }

    /// Cases a court files in month `k` (its own stream, so case numbers can be continued).
    func cases(_ court: CourtProfile, _ k: Int) -> Int {
        guard case .month(_, let m) = period(k) else { return 0 }
        var r = SplitMix(seed: seed, stream: "cases/\(court.code)/\(k)")
        let mean = Double(court.casesPerYear) * scale / 12 * CourtProfile.seasonal(month: m) * (0.9 + 0.2 * r.unit())
        return max(1, Int(mean.rounded()))
    }

    /// The events of `court` in month `k`.
    public func usage(court code: String, month k: Int) throws -> MonthUsage {
        guard let profile = CourtProfile.jiaozuo.first(where: { $0.code == code }), let court = plan.courts.first(where: { $0.code == code }),
              case .month(let year, let month) = period(k) else {
            throw EventError("no simulated court \(code)")
        }
        let isIntermediate = code == PolicyAuthority.intermediateCourt
        var g = MonthGenerator(simulation: self, court: code, k: k, year: year, month: month, lateAllowed: k < months - 1)
        // Case numbers continue through the calendar year.
        var number = 0
        var j = k
        while j > 0, case .month(let y, _) = period(j - 1), y == year { j -= 1; number += cases(profile, j) }
        let n = cases(profile, k)
        let filingLimit = plan.indicators.first { $0.slug == "online-filing-timely" }?.reviewLimitHours ?? 24
        let fileReviewLimit = plan.indicators.first { $0.slug == "file-review-timely" }?.reviewLimitHours ?? 24
        let archiveLimit = plan.indicators.first { $0.slug == "archive-review-timely" }?.reviewLimitHours ?? 72
        let totalWeight = CourtProfile.intermediateDivisions.reduce(0) { $0 + $1.weight }

        if k == 0 { try g.rosters(profile) }
        if code == Self.hiringCourt, k == hiringMonth, k > 0 {
            // Six new staff join 民一庭: its roster grows, and with it the court's headcount.
            let civil = CourtProfile.grassrootsDepartments(staff: profile.staff).first { $0.dept == "civil-1" }!.staff
            try g.emit("roster.set", at: g.monthStart + 3600, dept: "civil-1", ["headcount": .int(Int64(civil + 6))])
        }
        let archiveFrom = k >= archiveMonth + 1

        for _ in 0..<n {
            number += 1
            // What kind of case, and which unit handles it.
            let division: String?
            let kind: String
            if isIntermediate {
                var pick = g.rng.int(1...totalWeight)
                var chosen = CourtProfile.intermediateDivisions[0].dept
                for d in CourtProfile.intermediateDivisions { pick -= d.weight; if pick <= 0 { chosen = d.dept; break } }
                division = chosen
                kind = chosen.hasPrefix("criminal") ? "刑终" : chosen == "administrative" ? "行终" : chosen.hasPrefix("enforcement") ? "执复" : "民终"
            } else {
                division = nil
                let r = g.rng.unit()
                kind = r < 0.62 ? "民初" : r < 0.72 ? "刑初" : r < 0.75 ? "行初" : "执"
            }
            let caseNo = "(\(year))\(court.casePrefix)\(kind)\(number)号"
            let filingUnit = isIntermediate ? "case-filing" : code
            let trialUnit = division ?? code
            let filingDept = isIntermediate ? "case-filing" : nil
            let criminal = kind.hasPrefix("刑")
            let civil = kind.hasPrefix("民")
            let filedAt = g.randomTime(afterDay: 1)

            let online = g.rng.chance(rate(filingUnit, "online-filing", k))
            try g.emit("case.filed", at: filedAt, dept: filingDept, ["case_no": .string(caseNo), "channel": online ? "online" : "offline"])
            if online {
                let (decision, delay) = g.review(good: rate(filingUnit, "online-filing-timely", k), limitHours: filingLimit)
                try g.emit("filing.reviewed", at: filedAt, dept: filingDept, [
                    "application_id": .string("WSLA-\(code)-\(year)-\(number)"), "submitted_at": .string(g.text(filedAt - delay)),
                    "decided_at": .string(g.text(filedAt)), "decision": .string(decision),
                ])
            }
            if !criminal, g.rng.chance(0.85) {
                try g.emit("fee.paid", at: g.later(filedAt), dept: filingDept,
                           ["case_no": .string(caseNo), "channel": g.rng.chance(rate(filingUnit, "online-payment", k)) ? "online" : "offline"])
            }
            if g.rng.chance(0.6) {
                try g.emit("hearing.held", at: g.later(filedAt), dept: division, [
                    "case_no": .string(caseNo), "mode": g.rng.chance(rate(trialUnit, "online-hearing", k)) ? "online" : "offline",
                    "streamed": .bool(g.rng.chance(rate(trialUnit, "live-streaming", k))),
                ])
            }
            // Service: a case is reachable electronically or not; most of its acts follow.
            let coverage = max(rate(trialUnit, "e-service-coverage", k), rate(trialUnit, "e-service", k))
            let capable = g.rng.chance(coverage)
            let perAct = min(1, rate(trialUnit, "e-service", k) / max(coverage, 0.01))
            for act in 0..<(1 + g.rng.poisson(2.0)) {
                let method: String
                if capable && g.rng.chance(perAct) { method = "electronic" } else {
                    let r = g.rng.unit()
                    method = r < 0.7 ? "postal" : r < 0.95 ? "direct" : "announcement"
                }
                try g.emit("service.delivered", at: g.later(filedAt), dept: isIntermediate ? (act == 0 ? "case-filing" : division) : nil,
                           ["case_no": .string(caseNo), "method": .string(method)])
            }
            // Online file review (网上阅卷) is handled where cases are filed (立案庭 / 诉讼服务中心).
            for r in 0..<g.rng.poisson(rate(filingUnit, "file-reviews-per-case", k) / 0.88) {
                let onlineReview = g.rng.chance(0.92)
                let at = g.later(filedAt)
                let (decision, delay) = g.review(good: rate(filingUnit, "file-review-timely", k), limitHours: fileReviewLimit)
                try g.emit("file_review.decided", at: at, dept: filingDept, [
                    "request_id": .string("YJ-\(code)-\(year)-\(number)-\(r)"), "case_no": .string(caseNo),
                    "channel": onlineReview ? "online" : "offline", "submitted_at": .string(g.text(at - delay)),
                    "decided_at": .string(g.text(at)), "decision": .string(decision),
                ])
            }
            let archiveUnit = isIntermediate ? "general-office" : code
            for r in 0..<g.rng.poisson(rate(archiveUnit, "archive-reviews-per-case", k) / 0.85) {
                let at = g.later(filedAt)
                let (decision, delay) = g.review(good: rate(archiveUnit, "archive-review-timely", k), limitHours: archiveLimit)
                try g.emit("archive_review.decided", at: at, dept: isIntermediate ? "general-office" : nil, [
                    "request_id": .string("YD-\(code)-\(year)-\(number)-\(r)"), "case_no": .string(caseNo),
                    "channel": g.rng.chance(0.92) ? "online" : "offline", "submitted_at": .string(g.text(at - delay)),
                    "decided_at": .string(g.text(at)), "decision": .string(decision),
                ])
            }
            if civil, g.rng.chance(0.15) {
                try g.emit("mediation.concluded", at: g.later(filedAt), dept: filingDept, [
                    "case_no": .string(caseNo), "channel": g.rng.chance(0.75) ? "online" : "offline",
                    "outcome": g.rng.chance(rate(filingUnit, "mediation-success", k)) ? "success" : "failure",
                ])
            }
            if g.rng.chance(0.5) {
                let filingStage = g.rng.chance(0.5)
                try g.emit("lawyer.submission", at: g.later(filedAt), dept: isIntermediate ? (filingStage ? "case-filing" : division) : nil, [
                    "case_no": .string(caseNo), "stage": filingStage ? "filing" : "trial",
                    "via_platform": .bool(g.rng.chance(rate(filingStage ? filingUnit : trialUnit, "lawyer-platform", k))),
                ])
            }
            if civil, g.rng.chance(0.06) {
                try g.emit("preservation.applied", at: g.later(filedAt), dept: filingDept,
                           ["case_no": .string(caseNo), "channel": g.rng.chance(rate(filingUnit, "online-preservation", k)) ? "online" : "offline"])
            }
            if criminal {
                try g.emit("crossdept.case", at: g.later(filedAt), dept: division,
                           ["case_no": .string(caseNo), "via_platform": .bool(g.rng.chance(rate(trialUnit, "crossdept-platform", k)))])
            }
            try g.emit("dossier.checked", at: g.later(filedAt), dept: division,
                       ["case_no": .string(caseNo), "qualified": .bool(g.rng.chance(rate(trialUnit, "e-dossier-quality", k)))])
            // Supervised systems, as their exports record them (system.used).
            if g.rng.chance(0.4) {
                try g.emit("system.used", at: g.later(filedAt), dept: division, [
                    "system": "judgment-publication", "case_no": .string(caseNo),
                    "outcome": g.rng.chance(rate(trialUnit, "judgment-publication", k)) ? "success" : "failure",
                ])
            }
            for _ in 0..<g.rng.poisson(0.3) {
                try g.emit("system.used", at: g.later(filedAt), dept: division, ["system": "similar-case-push", "case_no": .string(caseNo)])
            }
            if kind.hasPrefix("执"), g.rng.chance(0.3) {
                try g.emit("system.used", at: g.later(filedAt), dept: division, [
                    "system": "online-auction", "case_no": .string(caseNo),
                    "channel": g.rng.chance(rate(trialUnit, "online-auction", k)) ? "online" : "offline",
                ])
            }
            // 一键归档, an indicator 技术处 adds by policy from the month after it is defined.
            if archiveFrom, g.rng.chance(0.5) {
                try g.emit("system.used", at: g.later(filedAt), dept: division, [
                    "system": "one-click-archive", "case_no": .string(caseNo),
                    "channel": g.rng.chance(rate(trialUnit, "one-click-archive", k)) ? "online" : "offline",
                ])
            }
        }
        // Petitions (信访) come to the court, not to a case.
        let petitionUnit = isIntermediate ? "petitions" : code
        for p in 0..<g.rng.poisson(Double(n) * 0.04) {
            try g.emit("petition.received", at: g.randomTime(afterDay: 1), dept: isIntermediate ? "petitions" : nil, [
                "petition_id": .string("XF-\(code)-\(year)\(month < 10 ? "0" : "")\(month)-\(p + 1)"),
                "channel": g.rng.chance(rate(petitionUnit, "online-petition", k)) ? "online" : "offline",
            ])
        }
        try g.staffActivity(profile)
        return g.usage
    }

    // MARK: - Policy

    /// The policy 技术处 records at 410800 in month `k` beyond the notices: at the start, the
    /// supervised systems of the plan's §三 (督导 figures); in the fifth month (2022-12),
    /// 一键归档率 as an assessed indicator from the next month.
    public func policyDefinitions(month k: Int) throws -> [EventDraft] {
        var out: [EventDraft] = []
        if k == 0 {
            for record in Plan.supervisedSystems {
                guard let id = record["id"]?.stringValue, let at = record["at"]?.stringValue, let data = record["data"]?.objectValue else { continue }
                out.append(try EventDraft(id: id, type: "indicator.defined", at: EventTime(parsing: at), dept: nil, data: data))
            }
        }
        if k == archiveMonth, months > archiveMonth + 1, case .month(let y, let m) = period(k), case .month(let ny, let nm) = period(k + 1) {
            out.append(try EventDraft(id: "define-\(Self.archiveIndicator)", type: "indicator.defined",
                                      at: EventTime(parsing: "\(CivilDate(year: y, month: m, day: 20).text)T09:00:00+08:00"), dept: "tech", data: [
                "indicator": .string(Self.archiveIndicator), "code": "16", "name": "电子卷宗一键归档率", "unit": "percent", "kind": "assessed",
                "measure": ["numerator": ["count": "events", "type": "system.used", "where": ["system": .string(Self.archiveIndicator), "channel": "online"]],
                            "denominator": ["count": "events", "type": "system.used", "where": ["system": .string(Self.archiveIndicator)]]],
                "lead": ["trial-management"], "responsible": ["grassroots-courts", "ic-departments"], "per_10k": 8000,
                "effective": .string(CivilDate(year: ny, month: nm, day: 1).text), "document": .string("焦中法〔\(y)〕演示120号"),
            ]))
        }
        return out
    }

    /// The notices that take effect in month `k`: 信访局's threshold for 网上信访 (sixth month)
    /// and the provincial court's raised threshold (seventh month). Recorded by 410800.
    public func notices(month k: Int) throws -> [EventDraft] {
        guard case .month(let y, let m) = period(k) else { return [] }
        let first = CivilDate(year: y, month: m, day: 1).text
        var out: [EventDraft] = []
        if k == petitionThresholdMonth {
            out.append(try EventDraft(id: "notice-\(Self.petitionIndicator)-\(first)", type: "threshold.set",
                                      at: EventTime(parsing: "\(first)T09:00:00+08:00"), dept: nil, data: [
                                          "indicator": .string(Self.petitionIndicator), "compare": ">=", "per_10k": .int(Self.petitionThreshold),
                                          "effective": .string(first), "document": .string("焦中法信访〔\(y)〕演示1号"), "setter": "petitions",
                                      ]))
        }
        if k == raiseMonth {
            out.append(try EventDraft(id: "notice-\(Self.raisedIndicator)-\(first)", type: "threshold.set",
                                      at: EventTime(parsing: "\(first)T09:30:00+08:00"), dept: nil, data: [
                                          "indicator": .string(Self.raisedIndicator), "compare": ">=", "per_10k": .int(Self.raisedThreshold),
                                          "effective": .string(first), "document": .string("豫高法〔\(y)〕演示2号"), "setter": "provincial-court",
                                      ]))
        }
        return out
    }

    /// The province's standing of the city for an indicator and period (a month, or a
    /// half-year or year that ended with month `k`), published on the 8th of the month after
    /// `k`: a better value than the provincial average mostly ranks in the first group.
    public func standing(_ indicator: Plan.Indicator, period p: Period, publishedAfterMonth k: Int, cityPer10k: Int64,
                         thresholdPer10k: Int64?) throws -> EventDraft {
        var r = SplitMix(seed: seed, stream: "standing/\(indicator.slug)/\(p)")
        let reference = Double(thresholdPer10k ?? cityPer10k)
        var average = Int64(reference * (0.95 + 0.05 * r.unit()))
        var excellent = Int64(Double(average) * 1.08)
        if indicator.unit == "percent" { average = min(average, 10_000); excellent = min(excellent, 10_000) }
        let rank = cityPer10k >= average ? r.int(1...6) : r.int(4...14)
        guard case .month(let y, let m) = period(k + 1) else { throw EventError("no month after \(k)") }
        let day = CivilDate(year: y, month: m, day: 8).text
        let kind: String
        switch p {
        case .month: kind = "月度"
        case .half: kind = "半年"
        case .year: kind = "年度"
        }
        return try EventDraft(id: "standing-\(indicator.slug)-\(p)", type: "standing.recorded",
                              at: EventTime(parsing: "\(day)T10:00:00+08:00"), dept: nil, data: [
                                  "indicator": .string(indicator.slug), "period": .string(p.description), "rank": .int(Int64(rank)),
                                  "province_average_per_10k": .int(average), "excellent_per_10k": .int(excellent),
                                  "document": .string("豫高法信息化应用\(kind)通报〔\(y)〕演示\(m)号"),
                              ])
    }

    /// Whether the unit explains a miss for `period`, and what it says; filed early in month `k + 1`.
    /// About two in three units explain; the rest are left for the leading group's office to chase.
    public func explanation(unit: String, unitName: String, indicator: Plan.Indicator, period: String, filedAfterMonth k: Int) throws -> EventDraft? {
        var r = SplitMix(seed: seed, stream: "explain/\(unit)/\(indicator.slug)/\(period)")
        guard r.chance(0.65) else { return nil }
        let causes = [
            "部分当事人为老年人或不熟悉网上操作，线下办理比例偏高",
            "系统升级期间部分业务改为线下办理",
            "新入职人员账号尚未全部开通",
            "部分案件当事人未确认电子送达地址",
            "办案高峰期审核积压，部分申请超过审核时限",
            "专网故障影响数据上传",
        ]
        let measures = [
            "已安排专人指导当事人网上操作，下月起每周通报进度",
            "已与技术处对接排除故障，并补录相关数据",
            "已组织全员培训，由部门负责人督促落实",
            "已将该项指标纳入庭室月度考核",
        ]
        let text = "\(unitName)关于\(period)\(indicator.name)未达要求的说明：\(causes[r.int(0...causes.count - 1)])。整改措施：\(measures[r.int(0...measures.count - 1)])。"
        guard case .month(let y, let m) = self.period(k + 1) else { return nil }
        return try EventDraft(id: "explain-\(unit)-\(indicator.slug)-\(period)", type: "explanation.filed",
                              at: EventTime(parsing: "\(CivilDate(year: y, month: m, day: 5).text)T16:00:00+08:00"), dept: nil, data: [
                                  "unit": .string(unit), "indicator": .string(indicator.slug), "period": .string(period), "text": .string(text),
                              ])
    }
}
