import Testing
import CanonicalJSON
import CourtLog
import CourtPlan
@testable import Projections

// Every expected value below is worked out by hand from the events written in the test, with
// the arithmetic in a comment. A unit meets a threshold when num × 10000 ≥ per_10k × den.

// MARK: - Building events

/// A usage fact built from real event data: the catalog accepts the data, and the columns are
/// derived by `ProjectionColumns(type:data:)` exactly as the store derives them.
func fact(node: String, seq: Int64, type: String, at: String, dept: String? = nil,
          data: [String: JSONValue], recordedAt: String? = nil) throws -> Fact {
    let time = try EventTime(parsing: at)
    _ = try EventDraft(id: "\(node)-\(seq)", type: type, at: time, dept: dept, data: data)
    var recorded = time.utcSeconds + 60
    if let recordedAt { recorded = try EventTime(parsing: recordedAt).utcSeconds }
    return Fact(node: node, seq: seq, type: type, month: time.beijingMonth, atUTC: time.utcSeconds, dept: dept,
                columns: ProjectionColumns(type: type, data: data), recordedAt: recorded)
}

/// The logs of several nodes, each with its own gapless seq.
struct Logs {
    private(set) var facts: [Fact] = []
    private var seqs: [String: Int64] = [:]

    mutating func add(_ node: String, _ type: String, _ at: String, dept: String? = nil, recordedAt: String? = nil,
                      _ data: [String: JSONValue]) throws {
        let seq = seqs[node, default: 0] + 1
        seqs[node] = seq
        facts.append(try fact(node: node, seq: seq, type: type, at: at, dept: dept, data: data, recordedAt: recordedAt))
    }

    /// `n` case.filed events of one channel.
    mutating func filed(_ node: String, _ n: Int, online: Bool, day: String, dept: String? = nil, recordedAt: String? = nil) throws {
        for i in 0..<n {
            let caseNo = "(2022)豫\(node.suffix(4))民初\(online ? "1" : "2")\(day.filter { $0 != "-" })\(i)号"
            try add(node, "case.filed", "\(day)T09:\(i < 10 ? "0" : "")\(i):00+08:00", dept: dept, recordedAt: recordedAt,
                    ["case_no": .string(caseNo), "channel": online ? "online" : "offline"])
        }
    }
}

/// A policy or explanation event, refused by the test if the catalog or PolicyCheck refuses it.
func policy(node: String = "410800", seq: Int64, _ type: String, at: String, _ data: [String: JSONValue]) throws -> PolicyEvent {
    let time = try EventTime(parsing: at)
    let draft = try EventDraft(id: "\(node)-p\(seq)", type: type, at: time, dept: nil, data: data)
    try PolicyCheck.check(draft, node: node, plan: .shipped)
    return PolicyEvent(node: node, seq: seq, type: type, at: time, recordedAt: time.utcSeconds + 60, data: data)
}

/// The projections of a fact list and policy events, folded from zero.
struct Projected {
    let tally: Tally
    let projection: Projection

    init(_ facts: [Fact], policy events: [PolicyEvent] = []) throws {
        var state = PolicyState(plan: Plan.shipped, source: "test")
        for e in events { state.fold(e) }
        var tally = Tally(measures: try MeasureSet(plan: state.plan))
        for f in facts { tally.fold(f) }
        self.tally = tally
        self.projection = Projection(policy: state, rosters: tally.rosters)
    }

    func row(_ indicator: String, _ unit: String, _ period: String, stage: String? = nil) throws -> ComplianceRow {
        let ind = try Plan.shipped.indicator(indicator)
        return projection.row(ind, unit: unit, stage: stage, counts: tally.counts(of: period), period: try Period(parsing: period))
    }

    func compliance(_ period: String, court: String? = nil, department: String? = nil) throws -> [ComplianceRow] {
        projection.compliance(period: try Period(parsing: period), counts: tally.counts(of: period), court: court, department: department)
    }
}

func show(_ r: ComplianceRow) -> String {
    "\(r.period) \(r.indicator)\(r.stage.map { "@\($0)" } ?? "") \(r.unit): \(r.numerator)/\(r.denominator) \(r.valueText) \(r.status.rawValue) (threshold \(r.thresholdPer10k.map(String.init) ?? "none"))"
}

let grassrootsCodes = ["410802", "410803", "410804", "410811", "410821", "410822", "410823", "410825", "410882", "410883"]

// MARK: - Tests

@Suite("projections: compliance, assignments, trends and accountability from hand-built events")
struct ProjectionTests {

    // 1
    @Test func aThresholdChangedMidPeriodAppliesToTheWholePeriodItIsInForceAtTheEndOf() throws {
        var logs = Logs()
        // 410803: 19 online + 1 offline filing in August and again in September.
        try logs.filed("410803", 19, online: true, day: "2022-08-10")
        try logs.filed("410803", 1, online: false, day: "2022-08-11")
        try logs.filed("410803", 19, online: true, day: "2022-09-05")
        try logs.filed("410803", 1, online: false, day: "2022-09-06")
        // 410804: 18 online + 1 offline in September.
        try logs.filed("410804", 18, online: true, day: "2022-09-05")
        try logs.filed("410804", 1, online: false, day: "2022-09-06")
        let events = [
            try policy(seq: 2, "threshold.set", at: "2022-09-16T10:00:00+08:00",
                       ["indicator": "online-filing", "compare": ">=", "per_10k": 9500, "effective": "2022-09-15", "document": "豫高法〔2022〕12号"]),
            // announced in September, in force only from October
            try policy(seq: 3, "threshold.set", at: "2022-09-25T10:00:00+08:00",
                       ["indicator": "online-filing", "per_10k": 9000, "effective": "2022-10-01", "document": "豫高法〔2022〕15号"]),
        ]
        let p = try Projected(logs.facts, policy: events)

        let sep = try p.row("online-filing", "410803", "2022-09")
        // 19 online of 20 filings = 9500 per 10k; 19 × 10000 = 190000 ≥ 9500 × 20 = 190000 → met
        #expect(sep.numerator == 19 && sep.denominator == 20, "\(show(sep))")
        #expect(sep.thresholdPer10k == 9500, "September uses the threshold in force on 09-30: \(show(sep))")
        #expect(sep.thresholdDocument == "豫高法〔2022〕12号", "\(sep.thresholdDocument ?? "nil")")
        #expect(sep.status == .met, "exactly 95% meets ≥ 95%: \(show(sep))")
        #expect(sep.valueText == "95.00%", "\(sep.valueText)")
        #expect(sep.valuePer10k == 9500)
        #expect(sep.thresholdText == "≥ 95.00%", "\(sep.thresholdText)")

        let aug = try p.row("online-filing", "410803", "2022-08")
        // 19 of 20 again, but 190000 < 9900 × 20 = 198000 → missed under the plan's 9900
        #expect(aug.numerator == 19 && aug.denominator == 20, "\(show(aug))")
        #expect(aug.thresholdPer10k == 9900, "August uses the plan's threshold: \(show(aug))")
        #expect(aug.thresholdDocument == "焦中法〔2022〕77号", "\(aug.thresholdDocument ?? "nil")")
        #expect(aug.status == .missed, "\(show(aug))")

        let below = try p.row("online-filing", "410804", "2022-09")
        // 18 of 19: 180000 < 9500 × 19 = 180500 → missed; 18 × 20000 / 19 = 18947 → (18947 + 1) / 2 = 9474 → 94.74%
        #expect(below.numerator == 18 && below.denominator == 19, "\(show(below))")
        #expect(below.status == .missed, "\(show(below))")
        #expect(below.valueText == "94.74%", "\(below.valueText)")

        // The other indicators keep the plan's thresholds.
        let timely = try p.row("online-filing-timely", "410803", "2022-09")
        #expect(timely.thresholdPer10k == 8000, "\(show(timely))")

        // October and the half-year (last day 12-31) use the 9000 effective 10-01.
        let oct = try p.row("online-filing", "410803", "2022-10")
        #expect(oct.thresholdPer10k == 9000 && oct.status == .noData, "\(show(oct))")
        let h2 = try p.row("online-filing", "410803", "2022-H2")
        // 19 + 19 = 38 online of 20 + 20 = 40: 380000 ≥ 9000 × 40 = 360000 → met
        #expect(h2.numerator == 38 && h2.denominator == 40 && h2.thresholdPer10k == 9000 && h2.status == .met, "\(show(h2))")

        // compliance for one court: one row per indicator (19), all for that court.
        let rows = try p.compliance("2022-09", court: "410803")
        #expect(rows.count == 19, "19 indicators, one row each for 410803, no stage rows: got \(rows.count)")
        #expect(rows.allSatisfy { $0.unit == "410803" && $0.stage == nil })
        #expect(rows.first { $0.indicator == "online-filing" } == sep)
    }

    // 2
    @Test func anIndicatorWithNoEventsHasNoValue() throws {
        var logs = Logs()
        try logs.filed("410802", 1, online: true, day: "2022-09-01")
        let p = try Projected(logs.facts)
        for unit in ["410802", "city", "410803"] {
            let r = try p.row("crossdept-platform", unit, "2022-09")
            #expect(r.status == .noData, "\(show(r))")
            #expect(r.numerator == 0 && r.denominator == 0, "\(show(r))")
            #expect(r.valueText == "—", "\(r.valueText)")
            #expect(r.valuePer10k == nil)
            #expect(r.thresholdPer10k == 7000, "the threshold is still shown: \(show(r))")
        }
        // No events beats no threshold: 网上信访 with no petitions is no data, not "not assessed".
        let petition = try p.row("online-petition", "410802", "2022-09")
        #expect(petition.status == .noData, "\(show(petition))")
        #expect(ComplianceRow.format(numerator: 0, denominator: 0, unit: "per_case") == "—")
    }

    @Test func anIndicatorWithoutAThresholdIsNotAssessedUntilOneIsSet() throws {
        var logs = Logs()
        try logs.add("410802", "hearing.held", "2022-09-05T10:00:00+08:00", ["case_no": "(2022)豫0802民初1号", "mode": "online", "streamed": true])
        try logs.add("410802", "hearing.held", "2022-09-06T10:00:00+08:00", ["case_no": "(2022)豫0802民初2号", "mode": "offline", "streamed": false])
        let plain = try Projected(logs.facts)
        let live = try plain.row("live-streaming", "410802", "2022-09")
        // 1 streamed of 2 hearings = 50.00%, but 庭审直播 has no threshold in the plan
        #expect(live.numerator == 1 && live.denominator == 2 && live.status == .notAssessed, "\(show(live))")
        #expect(live.thresholdPer10k == nil && live.thresholdText == "—" && live.valueText == "50.00%", "\(show(live))")
        let hearing = try plain.row("online-hearing", "410802", "2022-09")
        // 1 online of 2: 10000 ≥ 3500 × 2 = 7000 → met
        #expect(hearing.numerator == 1 && hearing.denominator == 2 && hearing.status == .met, "\(show(hearing))")

        let changed = try Projected(logs.facts, policy: [
            try policy(seq: 2, "threshold.set", at: "2022-09-01T09:00:00+08:00",
                       ["indicator": "live-streaming", "per_10k": 3000, "effective": "2022-09-01", "document": "豫高法〔2022〕13号", "setter": "provincial-court"]),
            // without per_10k the indicator is no longer assessed
            try policy(seq: 3, "threshold.set", at: "2022-09-01T09:00:00+08:00",
                       ["indicator": "online-hearing", "effective": "2022-09-01", "document": "豫高法〔2022〕14号"]),
        ])
        let live2 = try changed.row("live-streaming", "410802", "2022-09")
        // 1 × 10000 = 10000 ≥ 3000 × 2 = 6000 → met
        #expect(live2.status == .met && live2.thresholdPer10k == 3000, "\(show(live2))")
        let hearing2 = try changed.row("online-hearing", "410802", "2022-09")
        #expect(hearing2.status == .notAssessed && hearing2.thresholdPer10k == nil, "\(show(hearing2))")
        // August is before both changes.
        let aug = try changed.row("online-hearing", "410802", "2022-08")
        #expect(aug.thresholdPer10k == 3500, "\(show(aug))")
    }

    // 3
    @Test func aLateEventCorrectsLastMonthButNotTheBulletinAsKnownBefore() throws {
        var logs = Logs()
        try logs.add("410802", "case.filed", "2022-08-05T10:00:00+08:00", recordedAt: "2022-08-05T10:01:00+08:00",
                     ["case_no": "(2022)豫0802民初801号", "channel": "online"])
        try logs.add("410802", "case.filed", "2022-08-10T10:00:00+08:00", recordedAt: "2022-08-10T10:01:00+08:00",
                     ["case_no": "(2022)豫0802民初802号", "channel": "online"])
        try logs.add("410802", "case.filed", "2022-09-03T10:00:00+08:00", recordedAt: "2022-09-03T10:01:00+08:00",
                     ["case_no": "(2022)豫0802民初901号", "channel": "online"])
        // Filed offline in August, synced only in October.
        try logs.add("410802", "case.filed", "2022-08-20T15:00:00+08:00", recordedAt: "2022-10-08T09:00:00+08:00",
                     ["case_no": "(2022)豫0802民初803号", "channel": "offline"])
        let late = try #require(logs.facts.last)
        #expect(late.month == 202208, "the late event belongs to August by its at: \(late.month)")

        let all = try Projected(logs.facts)
        let augAll = try all.row("online-filing", "410802", "2022-08")
        // 2 online of 3 filings: 20000 < 9900 × 3 → missed; 2 × 20000 / 3 = 13333 → (13333 + 1) / 2 = 6667 → 66.67%
        #expect(augAll.numerator == 2 && augAll.denominator == 3, "\(show(augAll))")
        #expect(augAll.status == .missed && augAll.valueText == "66.67%", "\(show(augAll))")

        // As known on 2022-09-05 (the August bulletin): the late event is not seen.
        let cutoff = try EventTime(parsing: "2022-09-05T00:00:00+08:00").utcSeconds
        let asOf = try Projected(logs.facts.filter { $0.recordedAt <= cutoff })
        let augAsOf = try asOf.row("online-filing", "410802", "2022-08")
        // 2 online of 2 = 100.00%: 20000 ≥ 9900 × 2 = 19800 → met
        #expect(augAsOf.numerator == 2 && augAsOf.denominator == 2, "\(show(augAsOf))")
        #expect(augAsOf.status == .met && augAsOf.valueText == "100.00%", "\(show(augAsOf))")
        // As known at the end of October, it is seen.
        let octCutoff = try EventTime(parsing: "2022-10-31T23:59:59+08:00").utcSeconds
        let asOfOct = try Projected(logs.facts.filter { $0.recordedAt <= octCutoff })
        #expect(try asOfOct.row("online-filing", "410802", "2022-08") == augAll)

        // Folding the late fact onto the September tally changes only August (and H2, 2022).
        var tally = asOf.tally
        let before = tally.counts(of: "2022-09").count(unit: "410802", measure: "online-filing/den")
        tally.fold(late)
        #expect(tally.counts(of: "2022-08").count(unit: "410802", measure: "online-filing/den") == 3, "2 + the late one = 3")
        #expect(tally.counts(of: "2022-08").count(unit: "city", measure: "online-filing/den") == 3)
        #expect(tally.counts(of: "2022-09").count(unit: "410802", measure: "online-filing/den") == before && before == 1,
                "September keeps its 1 filing")
        // H2 = Aug + Sep: 2 + 1 + 1 late = 4 filings
        #expect(tally.counts(of: "2022-H2").count(unit: "410802", measure: "online-filing/den") == 4)
    }

    // 4
    @Test func lawyerPlatformIsReportedOverallAndPerStage() throws {
        var logs = Logs()
        func submit(_ node: String, _ dept: String?, _ stage: String, _ via: Bool, _ i: Int) throws {
            try logs.add(node, "lawyer.submission", "2022-09-\(10 + i)T10:00:00+08:00", dept: dept,
                         ["case_no": .string("(2022)豫08民初\(i)号"), "stage": .string(stage), "via_platform": .bool(via)])
        }
        // 410800 立案庭, filing stage: 3 via the platform, 1 not → 3/4
        try submit("410800", "case-filing", "filing", true, 1)
        try submit("410800", "case-filing", "filing", true, 2)
        try submit("410800", "case-filing", "filing", true, 3)
        try submit("410800", "case-filing", "filing", false, 4)
        // 410800 审管办, trial stage: 1 via, 1 not → 1/2
        try submit("410800", "trial-management", "trial", true, 5)
        try submit("410800", "trial-management", "trial", false, 6)
        // 410800 民一庭, trial stage: 2 via → 2/2
        try submit("410800", "civil-1", "trial", true, 7)
        try submit("410800", "civil-1", "trial", true, 8)
        // 410802: filing 1 via + 1 not, trial 1 via
        try submit("410802", nil, "filing", true, 9)
        try submit("410802", nil, "filing", false, 10)
        try submit("410802", nil, "trial", true, 11)
        let p = try Projected(logs.facts)

        let city = try p.row("lawyer-platform", "city", "2022-09")
        // 3 + 1 + 2 + 1 + 1 = 8 via of 4 + 2 + 2 + 2 + 1 = 11; 80000 ≥ 7000 × 11 = 77000 → met;
        // 8 × 20000 / 11 = 14545 → (14545 + 1) / 2 = 7273 → 72.73%
        #expect(city.numerator == 8 && city.denominator == 11 && city.status == .met && city.valueText == "72.73%", "\(show(city))")
        let cityFiling = try p.row("lawyer-platform", "city", "2022-09", stage: "filing")
        // filing: 3 + 1 = 4 of 4 + 2 = 6; 40000 < 7000 × 6 = 42000 → missed; 66.67%
        #expect(cityFiling.numerator == 4 && cityFiling.denominator == 6 && cityFiling.status == .missed, "\(show(cityFiling))")
        #expect(cityFiling.valueText == "66.67%" && cityFiling.stage == "filing")
        let cityTrial = try p.row("lawyer-platform", "city", "2022-09", stage: "trial")
        // trial: 1 + 2 + 1 = 4 of 2 + 2 + 1 = 5; 40000 ≥ 35000 → met; 80.00%
        #expect(cityTrial.numerator == 4 && cityTrial.denominator == 5 && cityTrial.status == .met, "\(show(cityTrial))")
        #expect(cityTrial.valueText == "80.00%")

        // Each stage's lead answers for its stage across the city it leads the assessment of,
        // not for the intermediate court's own submissions (立案庭 alone: 3 of 4; 审管办: 1 of 2).
        let filingLead = try p.row("lawyer-platform", "case-filing", "2022-09", stage: "filing")
        // 立案庭 (立案阶段): the city's filing stage, 4 of 6 → 66.67%, missed
        #expect(filingLead.numerator == 4 && filingLead.denominator == 6 && filingLead.status == .missed, "\(show(filingLead))")
        #expect(filingLead.unit == "case-filing" && filingLead.stage == "filing")
        let trialLead = try p.row("lawyer-platform", "trial-management", "2022-09", stage: "trial")
        // 审管办 (审判阶段): the city's trial stage, 4 of 5 → 80.00%, met
        #expect(trialLead.numerator == 4 && trialLead.denominator == 5 && trialLead.status == .met, "\(show(trialLead))")
        let ic = try p.row("lawyer-platform", "410800", "2022-09")
        // 410800 overall: 3 + 1 + 2 = 6 of 4 + 2 + 2 = 8 → 75.00%, met
        #expect(ic.numerator == 6 && ic.denominator == 8 && ic.status == .met, "\(show(ic))")
        let court = try p.row("lawyer-platform", "410802", "2022-09")
        // 410802: 2 of 3; 20000 < 21000 → missed
        #expect(court.numerator == 2 && court.denominator == 3 && court.status == .missed, "\(show(court))")
        let courtFiling = try p.row("lawyer-platform", "410802", "2022-09", stage: "filing")
        #expect(courtFiling.numerator == 1 && courtFiling.denominator == 2, "410802 filing 1 of 2: \(show(courtFiling))")

        // The compliance table lists the stage rows for the city and each stage's lead.
        let stageRows = try p.compliance("2022-09").filter { $0.indicator == "lawyer-platform" && $0.stage != nil }
        #expect(stageRows.map { "\($0.unit)@\($0.stage ?? "")" } == ["city@filing", "case-filing@filing", "city@trial", "trial-management@trial"])
        #expect(stageRows == [cityFiling, filingLead, cityTrial, trialLead])
        // 立案庭's own table: 14 indicators it answers for + its filing-stage row = 15.
        let caseFiling = try p.compliance("2022-09", department: "case-filing")
        #expect(caseFiling.count == 15, "got \(caseFiling.map { "\($0.indicator)@\($0.stage ?? "-")" })")
        #expect(caseFiling.contains(filingLead))
        let overall = try #require(caseFiling.first { $0.indicator == "lawyer-platform" && $0.stage == nil })
        #expect(overall.numerator == 3 && overall.denominator == 4, "立案庭 overall = its filing stage 3/4: \(show(overall))")
    }

    // 5
    @Test func activityRatesCountDistinctStaffAgainstTheRosterInForceAtPeriodEnd() throws {
        var logs = Logs()
        func active(_ node: String, _ staff: String, _ app: String, _ at: String, _ day: String, dept: String? = nil) throws {
            try logs.add(node, "staff.active", at, dept: dept, ["staff_id": .string(staff), "app": .string(app), "day": .string(day)])
        }
        try logs.add("410803", "roster.set", "2022-08-01T08:00:00+08:00", ["headcount": 10])
        // s1 on OA on three days (the first is 09-01 00:30 in Beijing, written in UTC)
        try active("410803", "s1", "oa", "2022-08-31T16:30:00Z", "2022-09-01")
        try active("410803", "s1", "oa", "2022-09-02T09:00:00+08:00", "2022-09-02")
        try active("410803", "s1", "oa", "2022-09-03T09:00:00+08:00", "2022-09-03")
        // the roster changes mid-period: 4 staff from 09-10
        try logs.add("410803", "roster.set", "2022-09-10T09:00:00+08:00", ["headcount": 4])
        try active("410803", "s2", "oa", "2022-09-15T09:00:00+08:00", "2022-09-15")
        try active("410803", "s3", "mobile", "2022-09-20T09:00:00+08:00", "2022-09-20")
        // 2 staff from 2022-10-01 00:00 Beijing (written in UTC): after September's end
        try logs.add("410803", "roster.set", "2022-09-30T16:00:00Z", ["headcount": 2])
        try active("410803", "s4", "oa", "2022-10-02T09:00:00+08:00", "2022-10-02")
        // 410800: department rosters only (技术处 3, 立案庭 5), s10 of 技术处 on OA
        try logs.add("410800", "roster.set", "2022-09-01T09:00:00+08:00", dept: "tech", ["headcount": 3])
        try logs.add("410800", "roster.set", "2022-09-01T09:00:00+08:00", dept: "case-filing", ["headcount": 5])
        try active("410800", "s10", "oa", "2022-09-05T09:00:00+08:00", "2022-09-05", dept: "tech")
        let p = try Projected(logs.facts)

        let oa = try p.row("oa-activity", "410803", "2022-09")
        // distinct {s1, s2} = 2 of the roster of 09-10 (4) = 50.00%; 20000 < 10000 × 4 → missed
        #expect(oa.numerator == 2 && oa.denominator == 4, "\(show(oa))")
        #expect(oa.status == .missed && oa.valueText == "50.00%" && oa.valuePer10k == 5000, "\(show(oa))")
        let mobile = try p.row("mobile-activity", "410803", "2022-09")
        // {s3} = 1 of 4 = 25.00%, missed
        #expect(mobile.numerator == 1 && mobile.denominator == 4 && mobile.status == .missed && mobile.valueText == "25.00%", "\(show(mobile))")
        let aug = try p.row("oa-activity", "410803", "2022-08")
        // nobody active in August, roster 10: 0 of 10 → missed, 0.00%
        #expect(aug.numerator == 0 && aug.denominator == 10 && aug.status == .missed && aug.valueText == "0.00%", "\(show(aug))")
        let oct = try p.row("oa-activity", "410803", "2022-10")
        // October: {s4} of roster 2 → 1/2
        #expect(oct.numerator == 1 && oct.denominator == 2, "\(show(oct))")

        let ic = try p.row("oa-activity", "410800", "2022-09")
        // 410800 has no court-wide roster: 3 + 5 = 8; {s10} → 1/8 = 12.50%
        #expect(ic.numerator == 1 && ic.denominator == 8 && ic.valueText == "12.50%", "\(show(ic))")
        let tech = try p.row("oa-activity", "tech", "2022-09")
        // 技术处: 1 of 3 → 3333 → (6666 + 1) / 2 = 3333 → 33.33%
        #expect(tech.numerator == 1 && tech.denominator == 3 && tech.valueText == "33.33%", "\(show(tech))")
        let filing = try p.row("oa-activity", "case-filing", "2022-09")
        #expect(filing.numerator == 0 && filing.denominator == 5 && filing.status == .missed, "\(show(filing))")
        let city = try p.row("oa-activity", "city", "2022-09")
        // city: {s1, s2, s10} = 3 of 410800 (8) + 410803 (4) = 12 → 25.00%
        #expect(city.numerator == 3 && city.denominator == 12 && city.valueText == "25.00%", "\(show(city))")
        let cityAug = try p.row("oa-activity", "city", "2022-08")
        // August: only 410803's roster of 10 exists
        #expect(cityAug.numerator == 0 && cityAug.denominator == 10, "\(show(cityAug))")
        let icAug = try p.row("oa-activity", "410800", "2022-08")
        #expect(icAug.denominator == 0 && icAug.status == .noData, "410800 had no roster in August: \(show(icAug))")
    }

    // 6
    @Test func eServiceCoverageCountsCasesWhileEServiceCountsActs() throws {
        var logs = Logs()
        let a = "(2022)豫0804民初101号", b = "(2022)豫0804民初102号", c = "(2022)豫0804民初103号"
        let acts: [(String, String)] = [(a, "electronic"), (a, "postal"), (b, "postal"), (b, "postal"), (c, "electronic")]
        for (i, (caseNo, method)) in acts.enumerated() {
            try logs.add("410804", "service.delivered", "2022-09-1\(i)T10:00:00+08:00", ["case_no": .string(caseNo), "method": .string(method)])
        }
        let p = try Projected(logs.facts)
        let acts4a = try p.row("e-service", "410804", "2022-09")
        // 2 electronic of 5 acts = 40.00%; 20000 < 9000 × 5 = 45000 → missed
        #expect(acts4a.numerator == 2 && acts4a.denominator == 5 && acts4a.valueText == "40.00%" && acts4a.status == .missed, "\(show(acts4a))")
        let cases4b = try p.row("e-service-coverage", "410804", "2022-09")
        // cases with electronic service {A, C} = 2 of cases served {A, B, C} = 3;
        // 2 × 20000 / 3 = 13333 → (13333 + 1) / 2 = 6667 → 66.67%, and value_per_10k rounds the same way: 6667; 20000 < 27000 → missed
        #expect(cases4b.numerator == 2 && cases4b.denominator == 3, "\(show(cases4b))")
        #expect(cases4b.valueText == "66.67%" && cases4b.valuePer10k == 6667 && cases4b.status == .missed, "\(show(cases4b))")
        let city = try p.row("e-service-coverage", "city", "2022-09")
        #expect(city.numerator == 2 && city.denominator == 3, "\(show(city))")
        let half = try p.row("e-service-coverage", "410804", "2022-H2")
        #expect(half.numerator == 2 && half.denominator == 3, "the half-year counts each case once too: \(show(half))")
    }

    // 7
    @Test func timelyCountsApprovalsWithinTheReviewLimitInForceAtPeriodEnd() throws {
        var logs = Logs()
        func reviewed(_ id: String, _ submitted: String, _ decided: String, _ decision: String) throws {
            try logs.add("410802", "filing.reviewed", decided,
                         ["application_id": .string(id), "submitted_at": .string(submitted), "decided_at": .string(decided), "decision": .string(decision)])
        }
        // a1: exactly 24 h (86400 s) → bucket 24 ≤ 24 → timely
        try reviewed("a1", "2022-09-01T09:00:00+08:00", "2022-09-02T09:00:00+08:00", "approved")
        // a2: 24 h + 1 s (86401 s) → bucket 25 > 24 → not timely
        try reviewed("a2", "2022-09-03T09:00:00+08:00", "2022-09-04T09:00:01+08:00", "approved")
        // a3: rejected after 1 h → denominator only
        try reviewed("a3", "2022-09-05T09:00:00+08:00", "2022-09-05T10:00:00+08:00", "rejected")
        // a4: 01:00Z → next day 09:00+08:00 = 01:00Z: exactly 24 h as instants → timely
        try reviewed("a4", "2022-09-06T01:00:00Z", "2022-09-07T09:00:00+08:00", "approved")

        func review(_ id: String, _ channel: String, _ submitted: String, _ decided: String, _ decision: String) throws {
            try logs.add("410802", "file_review.decided", decided,
                         ["request_id": .string(id), "case_no": .string("(2022)豫0802民初\(id)号"), "channel": .string(channel),
                          "submitted_at": .string(submitted), "decided_at": .string(decided), "decision": .string(decision)])
        }
        try review("r1", "online", "2022-09-10T09:00:00+08:00", "2022-09-10T11:00:00+08:00", "approved")   // 2 h: num + den
        try review("r2", "online", "2022-09-11T09:00:00+08:00", "2022-09-12T15:00:00+08:00", "approved")   // 30 h: den
        try review("r3", "offline", "2022-09-13T09:00:00+08:00", "2022-09-13T10:00:00+08:00", "approved")  // offline: neither
        try review("r4", "offline", "2022-09-14T09:00:00+08:00", "2022-09-14T10:00:00+08:00", "rejected")  // offline: neither
        try review("r5", "online", "2022-09-15T09:00:00+08:00", "2022-09-15T10:00:00+08:00", "rejected")   // den
        try logs.filed("410802", 2, online: true, day: "2022-09-20")
        try logs.filed("410802", 2, online: false, day: "2022-09-21")

        let plain = try Projected(logs.facts)
        let t24 = try plain.row("online-filing-timely", "410802", "2022-09")
        // timely approvals {a1, a4} = 2 of 4 decided = 50.00%; 20000 < 8000 × 4 = 32000 → missed
        #expect(t24.numerator == 2 && t24.denominator == 4, "\(show(t24))")
        #expect(t24.reviewLimitHours == 24 && t24.valueText == "50.00%" && t24.status == .missed, "\(show(t24))")

        let fr = try plain.row("file-review-timely", "410802", "2022-09")
        // online only: timely approvals {r1} = 1 of online decided {r1, r2, r5} = 3;
        // 1 × 20000 / 3 = 6666 → (6666 + 1) / 2 = 3333 → 33.33%; missed
        #expect(fr.numerator == 1 && fr.denominator == 3 && fr.valueText == "33.33%" && fr.status == .missed, "\(show(fr))")
        let perCase = try plain.row("file-reviews-per-case", "410802", "2022-09")
        // online approvals {r1, r2} = 2 per 4 cases filed = 0.500; 20000 ≥ 2000 × 4 = 8000 → met
        #expect(perCase.numerator == 2 && perCase.denominator == 4 && perCase.valueText == "0.500" && perCase.status == .met, "\(show(perCase))")
        #expect(perCase.reviewLimitHours == nil, "a per-case indicator has no review limit")

        let longer = try Projected(logs.facts, policy: [
            try policy(seq: 2, "review_limit.set", at: "2022-09-20T09:00:00+08:00",
                       ["indicator": "online-filing-timely", "hours": 48, "effective": "2022-09-20", "document": "焦中法〔2022〕90号"]),
        ])
        let t48 = try longer.row("online-filing-timely", "410802", "2022-09")
        // with 48 h in force on 09-30: {a1, a2, a4} = 3 of 4 = 75.00%; 30000 < 32000 → still missed
        #expect(t48.numerator == 3 && t48.denominator == 4, "the 24 h + 1 s approval becomes timely: \(show(t48))")
        #expect(t48.reviewLimitHours == 48 && t48.valueText == "75.00%" && t48.status == .missed, "\(show(t48))")
        // the other 及时 indicator keeps its own 24 h limit: r2 (30 h) stays outside
        let fr48 = try longer.row("file-review-timely", "410802", "2022-09")
        #expect(fr48.numerator == 1 && fr48.denominator == 3 && fr48.reviewLimitHours == 24, "\(show(fr48))")
        // August (last day 08-31) is before the change
        #expect(try longer.row("online-filing-timely", "410802", "2022-08").reviewLimitHours == 24)
    }

    @Test func aDecisionCenturiesLateCountsOnlyForItsOwnIndicator() throws {
        var logs = Logs()
        // A mistyped year (1022 for 2022): the catalog accepts the timestamp, so the delay is
        // about 1000 years ≈ 8.77 million hours: far outside any review limit.
        try logs.add("410802", "filing.reviewed", "2022-09-02T09:00:00+08:00",
                     ["application_id": "a-typo", "submitted_at": "1022-09-01T09:00:00+08:00",
                      "decided_at": "2022-09-02T09:00:00+08:00", "decision": "approved"])
        let p = try Projected(logs.facts)
        let timely = try p.row("online-filing-timely", "410802", "2022-09")
        // not within 24 h: 0 timely of 1 decided → 0.00%, missed
        #expect(timely.numerator == 0 && timely.denominator == 1 && timely.status == .missed, "\(show(timely))")
        let coverage = try p.row("e-service-coverage", "410802", "2022-09")
        // no service.delivered at all: 0 of 0
        #expect(coverage.numerator == 0 && coverage.denominator == 0, "a filing review must not count as e-service: \(show(coverage))")
        // Every counter the fact made belongs to online-filing-timely (num and den, 3 periods × 2 units).
        let measures = Set(p.tally.counts.keys.map(\.measure))
        #expect(measures == ["online-filing-timely/num", "online-filing-timely/den"], "\(measures)")
    }

    // 8
    @Test func accountabilityListsMissedUnitsAndLeadsOutsideTheFirstGroup() throws {
        var logs = Logs()
        try logs.filed("410802", 1, online: true, day: "2022-09-01")     // 1/1 met
        try logs.filed("410803", 1, online: true, day: "2022-09-01")     // 1/2 missed
        try logs.filed("410803", 1, online: false, day: "2022-09-02")
        try logs.filed("410804", 1, online: false, day: "2022-09-02")    // 0/1 missed
        let events = [
            try policy(node: "410803", seq: 1, "explanation.filed", at: "2022-10-08T10:00:00+08:00",
                       ["unit": "410803", "indicator": "online-filing", "period": "2022-09", "text": "网络故障三天，已恢复"]),
            // 410804 explains for the wrong period: September stays unexplained
            try policy(node: "410804", seq: 1, "explanation.filed", at: "2022-10-08T10:00:00+08:00",
                       ["unit": "410804", "indicator": "online-filing", "period": "2022-08", "text": "八月说明"]),
            try policy(seq: 2, "standing.recorded", at: "2022-10-15T10:00:00+08:00",
                       ["indicator": "online-filing", "period": "2022-09", "rank": 3, "province_average_per_10k": 9700]),
            try policy(seq: 3, "standing.recorded", at: "2022-10-15T10:00:00+08:00",
                       ["indicator": "e-service", "period": "2022-09", "rank": 5, "province_average_per_10k": 9100]),
            try policy(seq: 4, "standing.recorded", at: "2022-10-15T10:00:00+08:00",
                       ["indicator": "e-service", "period": "2022-08", "rank": 9, "province_average_per_10k": 9100]),
            try policy(seq: 5, "standing.recorded", at: "2022-10-15T10:00:00+08:00",
                       ["indicator": "archive-review-timely", "period": "2022-09", "rank": 7, "province_average_per_10k": 9300,
                        "excellent_per_10k": 9800, "document": "豫高法〔2022〕20号"]),
            try policy(seq: 6, "standing.recorded", at: "2022-10-15T10:00:00+08:00",
                       ["indicator": "lawyer-platform", "period": "2022-09", "rank": 6, "province_average_per_10k": 7500]),
        ]
        let p = try Projected(logs.facts, policy: events)
        let period = try Period(parsing: "2022-09")
        let entries = p.projection.accountability(period: period, counts: p.tally.counts(of: "2022-09"))
        let got = entries.map { "\($0.indicator) \($0.unit) \($0.reason == .belowThreshold ? "below" : "outside") \($0.explained)" }
        // Below threshold: online-filing 410803 (1/2) and 410804 (0/1); the per-case indicators have
        // cases filed but no online reviews: 0 × 10000 < 2000 × 1 (or × 2) and < 200 × 1 (or × 2), so
        // 410802, 410803, 410804 miss file-reviews-per-case and archive-reviews-per-case.
        // Outside the first group: archive-review-timely rank 7 > 5 → its lead general-office;
        // lawyer-platform rank 6 > 5 → its leads case-filing and trial-management. Ranks 3 and 5 are inside;
        // e-service's rank 9 is for August.
        #expect(got == [
            "online-filing 410803 below true",
            "online-filing 410804 below false",
            "file-reviews-per-case 410802 below false",
            "file-reviews-per-case 410803 below false",
            "file-reviews-per-case 410804 below false",
            "archive-review-timely general-office outside false",
            "archive-reviews-per-case 410802 below false",
            "archive-reviews-per-case 410803 below false",
            "archive-reviews-per-case 410804 below false",
            "lawyer-platform case-filing outside false",
            "lawyer-platform trial-management outside false",
        ], "\(got)")
        let explained = try #require(entries.first { $0.indicator == "online-filing" && $0.unit == "410803" })
        #expect(explained.explanations.map(\.text) == ["网络故障三天，已恢复"] && explained.explanations.first?.node == "410803")
        #expect(explained.detail.contains("50.00%") && explained.detail.contains("99.00%"), "\(explained.detail)")
        #expect(explained.unitName == "中站区人民法院")
        let outside = entries.filter { $0.reason == .outsideFirstGroup }
        let archiveLead = try Plan.shipped.indicator("archive-review-timely").lead
        let lawyerLead = try Plan.shipped.indicator("lawyer-platform").lead
        #expect(archiveLead == ["general-office"] && lawyerLead == ["case-filing", "trial-management"])
        #expect(try Plan.shipped.indicator("online-filing").lead == ["case-filing"])
        #expect(outside.filter { $0.indicator == "archive-review-timely" }.map(\.unit) == archiveLead)
        #expect(outside.filter { $0.indicator == "lawyer-platform" }.map(\.unit) == lawyerLead)
        #expect(!outside.contains { $0.indicator == "online-filing" || $0.indicator == "e-service" }, "ranks 3 and 5 are in the first group")
        let arch = try #require(outside.first)
        #expect(arch.detail.contains("7") && arch.unitName == "办公室", "\(arch.detail) \(arch.unitName)")
    }

    // 9
    @Test func assignmentsFollowThePlanStageLeadsAndLaterAssignmentEvents() throws {
        let change = try policy(seq: 2, "assignment.set", at: "2022-12-20T10:00:00+08:00",
                                ["indicator": "online-preservation", "lead": ["trial-management"], "responsible": ["case-filing", "grassroots-courts"],
                                 "effective": "2023-01-01", "document": "焦中法〔2022〕120号"])
        let p = try Projected([], policy: [change])
        let before = p.projection.indicatorAssignments(on: CivilDate(year: 2022, month: 12, day: 31))
        let after = p.projection.indicatorAssignments(on: CivilDate(year: 2023, month: 1, day: 1))
        #expect(before.count == 19 && after.count == 19)

        let lawyer = try #require(before.first { $0.indicator == "lawyer-platform" })
        #expect(lawyer.stages.map(\.stage) == ["filing", "trial"])
        #expect(lawyer.stages.map(\.lead) == [["case-filing"], ["trial-management"]])
        #expect(lawyer.stages.map(\.name) == ["立案阶段", "审判阶段"])
        #expect(lawyer.lead == ["case-filing", "trial-management"])

        let presBefore = try #require(before.first { $0.indicator == "online-preservation" })
        #expect(presBefore.lead == ["case-filing"] && presBefore.document == "焦中法〔2022〕77号", "\(presBefore.lead) \(presBefore.document)")
        let presAfter = try #require(after.first { $0.indicator == "online-preservation" })
        #expect(presAfter.lead == ["trial-management"] && presAfter.document == "焦中法〔2022〕120号", "\(presAfter.lead) \(presAfter.document)")
        #expect(presAfter.responsible == ["case-filing", "grassroots-courts"])
        #expect(presAfter.responsibleUnits == ["case-filing"] + grassrootsCodes)
        #expect(presAfter.assisting == [])

        let filing = try #require(before.first { $0.indicator == "online-filing" })
        #expect(filing.responsible == ["case-filing", "grassroots-courts"])
        #expect(filing.responsibleUnits == ["case-filing"] + grassrootsCodes, "grassroots-courts expands to the ten codes: \(filing.responsibleUnits)")
        #expect(filing.thresholdText == "≥ 99.00%" && filing.reviewLimitHours == nil)
        let timely = try #require(before.first { $0.indicator == "online-filing-timely" })
        #expect(timely.reviewLimitHours == 24)
        let petition = try #require(before.first { $0.indicator == "online-petition" })
        #expect(petition.thresholdText == "未设定 (not assessed)")

        let depts = p.projection.departmentAssignments(on: CivilDate(year: 2022, month: 12, day: 31))
        let caseFiling = try #require(depts.first { $0.department == "case-filing" })
        #expect(caseFiling.name == "立案庭" && caseFiling.duties.count == 4, "\(caseFiling.duties)")
        #expect(caseFiling.duties.first == "1. 负责两级法院立案部门、调解部门诉讼服务相关系统的应用推广和督导考核管理；")
        // leads, in plan order: every indicator whose lead (or a stage lead) includes case-filing
        #expect(caseFiling.leads == ["online-filing", "online-filing-timely", "online-payment", "e-service", "e-service-coverage",
                                     "file-review-timely", "file-reviews-per-case", "mediation-success", "lawyer-platform",
                                     "online-preservation", "crossdept-platform"], "\(caseFiling.leads)")
        #expect(caseFiling.assists == ["archive-review-timely", "archive-reviews-per-case"], "\(caseFiling.assists)")
        let deptsAfter = p.projection.departmentAssignments(on: CivilDate(year: 2023, month: 1, day: 1))
        let caseFilingAfter = try #require(deptsAfter.first { $0.department == "case-filing" })
        #expect(!caseFilingAfter.leads.contains("online-preservation"))
        let trialMgmt = try #require(deptsAfter.first { $0.department == "trial-management" })
        #expect(trialMgmt.leads == ["online-hearing", "lawyer-platform", "online-preservation", "live-streaming", "e-dossier-quality"], "\(trialMgmt.leads)")
    }

    // 10
    @Test func trendRanksTheGrassrootsCourtsWithTiesSharingARank() throws {
        var logs = Logs()
        func checked(_ node: String, _ day: String, _ qualified: Bool, _ n: Int) throws {
            try logs.add(node, "dossier.checked", "\(day)T1\(n):00:00+08:00", ["case_no": .string("(2022)豫\(node.suffix(4))民初\(day.suffix(2))\(n)号"), "qualified": .bool(qualified)])
        }
        // August: 410802 1 of 2, 410803 1 of 1
        try checked("410802", "2022-08-10", true, 1)
        try checked("410802", "2022-08-10", false, 2)
        try checked("410803", "2022-08-11", true, 1)
        // September: 410802 2 of 2, 410803 3 of 3 (both 100%), 410804 1 of 2
        try checked("410802", "2022-09-10", true, 1)
        try checked("410802", "2022-09-10", true, 2)
        try checked("410803", "2022-09-11", true, 1)
        try checked("410803", "2022-09-11", true, 2)
        try checked("410803", "2022-09-11", true, 3)
        try checked("410804", "2022-09-12", true, 1)
        try checked("410804", "2022-09-12", false, 2)
        // October: only 410803, 1 of 1
        try checked("410803", "2022-10-11", true, 1)
        let p = try Projected(logs.facts)
        let ind = try Plan.shipped.indicator("e-dossier-quality")

        let periods = try Projection.periods(from: Period(parsing: "2022-08"), to: Period(parsing: "2022-10"), by: "month")
        #expect(periods.map(\.description) == ["2022-08", "2022-09", "2022-10"])
        #expect(try Projection.periods(from: Period(parsing: "2022-08"), to: Period(parsing: "2022-10"), by: "half").map(\.description) == ["2022-H2"])
        #expect(throws: EventError.self) { try Projection.periods(from: Period(parsing: "2022-10"), to: Period(parsing: "2022-08"), by: "month") }

        let sepRanks = p.projection.grassrootsRanks(ind, counts: p.tally.counts(of: "2022-09"), period: try Period(parsing: "2022-09"))
        // 2/2 = 3/3 = 100% share rank 1; 1/2 = 50% has two courts above it → rank 3; no data → no rank
        #expect(sepRanks == ["410802": 1, "410803": 1, "410804": 3], "\(sepRanks)")

        let trend = p.projection.trend(ind, unit: "410802", periods: periods.map { ($0, p.tally.counts(of: $0.description)) })
        #expect(trend.count == 3)
        guard trend.count == 3 else { return }
        // August: 1/2 = 50.00% (missed: 10000 < 8500 × 2); 410803's 1/1 is above → rank 2 of 2
        #expect(trend[0].row.numerator == 1 && trend[0].row.denominator == 2 && trend[0].row.valueText == "50.00%", "\(show(trend[0].row))")
        #expect(trend[0].row.status == .missed && trend[0].rank == 2 && trend[0].ranked == 2, "rank \(String(describing: trend[0].rank)) of \(trend[0].ranked)")
        // September: 2/2 = 100.00%, met, tied first with 410803 → rank 1 of 3
        #expect(trend[1].row.numerator == 2 && trend[1].row.denominator == 2 && trend[1].row.status == .met, "\(show(trend[1].row))")
        #expect(trend[1].rank == 1 && trend[1].ranked == 3, "rank \(String(describing: trend[1].rank)) of \(trend[1].ranked)")
        // October: no data, no rank; only 410803 is ranked
        #expect(trend[2].row.status == .noData && trend[2].rank == nil && trend[2].ranked == 1, "\(show(trend[2].row)) rank \(String(describing: trend[2].rank))")
        let t804 = p.projection.trend(ind, unit: "410804", periods: periods.map { ($0, p.tally.counts(of: $0.description)) })
        #expect(t804.map(\.rank) == [nil, 3, nil])
        #expect(t804.map(\.row.period) == ["2022-08", "2022-09", "2022-10"])
    }

    // 11
    @Test func theDigestDependsOnTheFactsNotOnTheirOrderOrArrival() throws {
        var logs = Logs()
        try logs.filed("410802", 3, online: true, day: "2022-09-01")
        try logs.filed("410803", 2, online: false, day: "2022-08-20")
        try logs.add("410803", "roster.set", "2022-09-01T08:00:00+08:00", ["headcount": 4])
        try logs.add("410803", "staff.active", "2022-09-02T08:00:00+08:00", ["staff_id": "s1", "app": "oa", "day": "2022-09-02"])
        try logs.add("410803", "staff.active", "2022-09-03T08:00:00+08:00", ["staff_id": "s1", "app": "oa", "day": "2022-09-03"])
        try logs.add("410802", "filing.reviewed", "2022-09-02T09:00:00+08:00",
                     ["application_id": "a1", "submitted_at": "2022-09-01T10:00:00+08:00", "decided_at": "2022-09-02T09:00:00+08:00", "decision": "approved"])
        try logs.add("410800", "service.delivered", "2022-09-05T09:00:00+08:00", dept: "civil-1", ["case_no": "(2022)豫08民终1号", "method": "electronic"])
        try logs.add("410800", "roster.set", "2022-09-01T08:00:00+08:00", dept: "tech", ["headcount": 3])
        let facts = logs.facts
        let policyIDs: [(node: String, seq: Int64)] = [("410800", 1), ("410800", 2), ("410803", 1)]

        func digest(_ facts: [Fact], _ ids: [(node: String, seq: Int64)]) throws -> String {
            var tally = Tally(measures: try MeasureSet(plan: .shipped))
            for f in facts { tally.fold(f) }
            return ProjectionDigest.compute(counts: tally.counts, rosters: tally.rosters, policy: ids)
        }
        let forward = try digest(facts, policyIDs)
        let backward = try digest(facts.reversed(), policyIDs.reversed())
        #expect(forward == backward, "folding in reverse gives the same digest")
        #expect(forward.count == 64, "a SHA-256 in hex")
        // Interleaved differently: odd positions first, then even.
        let shuffled = facts.enumerated().filter { $0.offset % 2 == 1 }.map(\.element) + facts.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        #expect(try digest(shuffled, policyIDs) == forward)
        // When each event was learned does not change the digest.
        let relearned = facts.map { f -> Fact in var g = f; g.recordedAt += 86_400 * 30; return g }
        #expect(try digest(relearned, policyIDs) == forward)
        // A different fact set, or a different policy log, gives a different digest.
        #expect(try digest(Array(facts.dropLast()), policyIDs) != forward, "without the 410800 roster")
        #expect(try digest(Array(facts.dropFirst()), policyIDs) != forward, "without one filing")
        #expect(try digest(facts, Array(policyIDs.dropLast())) != forward, "without the explanation")
        // Distinct staff, not events, are counted: without s1's second OA day (facts[7]) the
        // counters, and so the digest, are unchanged.
        let once = facts.filter { !($0.type == "staff.active" && $0.columns.subject == "s1" && $0.atUTC == facts[7].atUTC) }
        #expect(once.count == facts.count - 1)
        #expect(try digest(once, policyIDs) == forward)
    }

    // 12
    @Test func policyCheckRefusesBadPolicyEvents() throws {
        func draft(_ type: String, _ data: [String: JSONValue]) throws -> EventDraft {
            try EventDraft(id: "d1", type: type, at: EventTime(parsing: "2022-09-20T10:00:00+08:00"), dept: nil, data: data)
        }
        func refusal(_ d: EventDraft, node: String) -> String? {
            do { try PolicyCheck.check(d, node: node, plan: .shipped); return nil } catch { return error.reason }
        }
        let typo = try draft("threshold.set", ["indicator": "online-filling", "per_10k": 9500, "effective": "2022-09-15", "document": "豫高法〔2022〕12号"])
        let typoReason = refusal(typo, node: "410800")
        #expect(typoReason?.contains("unknown indicator") == true, "\(typoReason ?? "accepted")")
        #expect(typoReason?.contains("online-filing") == true, "suggests the slug: \(typoReason ?? "accepted")")

        let good = try draft("threshold.set", ["indicator": "online-filing", "per_10k": 9500, "effective": "2022-09-15", "document": "豫高法〔2022〕12号"])
        #expect(refusal(good, node: "410800") == nil)
        let fromGrassroots = refusal(good, node: "410802")
        #expect(fromGrassroots?.contains("only 410800") == true, "\(fromGrassroots ?? "accepted")")

        let over = try draft("threshold.set", ["indicator": "online-filing", "per_10k": 10001, "effective": "2022-09-15", "document": "x"])
        #expect(refusal(over, node: "410800") != nil, "a percentage above 100% is refused")

        let forOther = try draft("explanation.filed", ["unit": "410803", "indicator": "online-filing", "period": "2022-09", "text": "说明"])
        let otherReason = refusal(forOther, node: "410802")
        #expect(otherReason != nil && otherReason?.contains("410802") == true, "\(otherReason ?? "accepted")")
        #expect(refusal(forOther, node: "410803") == nil, "a court explains for itself")
        #expect(refusal(forOther, node: "410800") == nil, "410800 may explain for any unit")
        let bySlug = try draft("explanation.filed", ["unit": "zhongzhan", "indicator": "online-filing", "period": "2022-09", "text": "说明"])
        // Protocol §8.4: a grassroots court writes its code, so that a verifier needs no plan.
        let slugReason = refusal(bySlug, node: "410803")
        #expect(slugReason?.contains("write unit=410803") == true, "\(slugReason ?? "accepted")")
        let unknownUnit = try draft("explanation.filed", ["unit": "nowhere", "indicator": "online-filing", "period": "2022-09", "text": "说明"])
        #expect(refusal(unknownUnit, node: "410800")?.contains("unknown unit") == true)

        let noLimit = try draft("review_limit.set", ["indicator": "online-filing", "hours": 48, "effective": "2022-09-20", "document": "x"])
        let noLimitReason = refusal(noLimit, node: "410800")
        #expect(noLimitReason?.contains("no review limit") == true, "\(noLimitReason ?? "accepted")")
        let withLimit = try draft("review_limit.set", ["indicator": "online-filing-timely", "hours": 48, "effective": "2022-09-20", "document": "x"])
        #expect(refusal(withLimit, node: "410800") == nil)

        let badLead = try draft("assignment.set", ["indicator": "online-preservation", "lead": ["case-filng"], "responsible": ["case-filing"],
                                                   "effective": "2023-01-01", "document": "x"])
        #expect(refusal(badLead, node: "410800")?.contains("case-filng") == true)

        // usage events pass PolicyCheck untouched, from any court
        let usage = try draft("case.filed", ["case_no": "(2022)豫0802民初1号", "channel": "online"])
        #expect(refusal(usage, node: "410802") == nil)
    }

    // 13
    @Test func aMalformedPlanNamesTheFaultyField() throws {
        guard case .object(var root) = Plan.shipped.json, case .array(var indicators)? = root["indicators"],
              indicators.count > 3, case .object(var third) = indicators[3], case .object(var threshold)? = third["threshold"] else {
            Issue.record("the shipped plan has no indicators[3].threshold object")
            return
        }
        threshold["per_10k"] = .string("3500")
        third["threshold"] = .object(threshold)
        indicators[3] = .object(third)
        root["indicators"] = .array(indicators)
        let error = #expect(throws: PlanError.self) { try Plan(json: .object(root)) }
        #expect(error?.message.contains("indicators[3].threshold.per_10k") == true, "\(error?.message ?? "no error")")
        #expect(error?.message.contains("must be an integer") == true, "\(error?.message ?? "no error")")
        // The unchanged document still reads.
        #expect(throws: Never.self) { try Plan(json: Plan.shipped.json) }
    }
}
