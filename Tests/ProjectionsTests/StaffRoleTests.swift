import Testing
import CanonicalJSON
import CourtLog
import CourtPlan
@testable import Projections

// Issue 10: staff measures by role (审管办 duty 1) and events dated in the future (D8).
// Expected values worked out by hand in the comments; a unit meets 100% when num × 10000 ≥
// 10000 × den, and values round half up: (num × 20000 ÷ den + 1) ÷ 2 hundredths of a percent.
@Suite("staff measures by role, and events dated after they were recorded")
struct StaffRoleTests {
    func roster(_ logs: inout Logs, _ node: String, _ at: String, dept: String? = nil, role: String? = nil, _ n: Int64,
                recordedAt: String? = nil) throws {
        var data: [String: JSONValue] = ["headcount": .int(n)]
        if let role { data["role"] = .string(role) }
        try logs.add(node, "roster.set", at, dept: dept, recordedAt: recordedAt, data)
    }

    func active(_ logs: inout Logs, _ node: String, _ staff: String, _ app: String, day: String, role: String? = nil, dept: String? = nil) throws {
        var data: [String: JSONValue] = ["staff_id": .string(staff), "app": .string(app), "day": .string(day)]
        if let role { data["role"] = .string(role) }
        try logs.add(node, "staff.active", "\(day)T09:00:00+08:00", dept: dept, data)
    }

    func roleRow(_ p: Projected, _ indicator: String, _ unit: String, _ period: String, role: String) throws -> ComplianceRow {
        let ind = try Plan.shipped.indicator(indicator)
        return p.projection.row(ind, unit: unit, role: role, counts: p.tally.counts(of: period), period: try Period(parsing: period))
    }

    /// 中站区 records its roster by role only: 员额法官 10, 法官助理 8, 书记员 6; in September 9, 5
    /// and 6 of them are active on OA.
    func zhongzhan() throws -> Logs {
        var logs = Logs()
        try roster(&logs, "410803", "2022-09-01T08:00:00+08:00", role: "judge", 10)
        try roster(&logs, "410803", "2022-09-01T08:00:00+08:00", role: "judge_assistant", 8)
        try roster(&logs, "410803", "2022-09-01T08:00:00+08:00", role: "clerk", 6)
        for i in 1...9 { try active(&logs, "410803", "j\(i)", "oa", day: "2022-09-05", role: "judge") }
        for i in 1...5 { try active(&logs, "410803", "a\(i)", "oa", day: "2022-09-06", role: "judge_assistant") }
        for i in 1...6 { try active(&logs, "410803", "c\(i)", "oa", day: "2022-09-07", role: "clerk") }
        // j1 again on another day: distinct staff, so still 9 judges
        try active(&logs, "410803", "j1", "oa", day: "2022-09-20", role: "judge")
        return logs
    }

    @Test func perRoleAndWholeSharesOfACourtThatRecordsItsRosterByRole() throws {
        let p = try Projected(try zhongzhan().facts)
        // 员额法官 9 of 10: 9 × 20000 / 10 = 18000 → 9000 → 90.00%; 90000 < 100000 → missed
        let judges = try roleRow(p, "oa-activity", "410803", "2022-09", role: "judge")
        #expect(judges.numerator == 9 && judges.denominator == 10 && judges.valueText == "90.00%" && judges.status == .missed, "\(show(judges))")
        // 法官助理 5 of 8: 5 × 20000 / 8 = 12500 → (12500 + 1) / 2 = 6250 → 62.50%; missed
        let assistants = try roleRow(p, "oa-activity", "410803", "2022-09", role: "judge_assistant")
        #expect(assistants.numerator == 5 && assistants.denominator == 8 && assistants.valueText == "62.50%" && assistants.status == .missed)
        // 书记员 6 of 6 = 100.00%; 60000 ≥ 60000 → met
        let clerks = try roleRow(p, "oa-activity", "410803", "2022-09", role: "clerk")
        #expect(clerks.numerator == 6 && clerks.denominator == 6 && clerks.valueText == "100.00%" && clerks.status == .met)
        // The whole court: no roster without role, so the headcount is 10 + 8 + 6 = 24; active
        // 9 + 5 + 6 = 20; 20 × 20000 / 24 = 16666 → (16666 + 1) / 2 = 8333 → 83.33%; missed
        let whole = try p.row("oa-activity", "410803", "2022-09")
        #expect(whole.numerator == 20 && whole.denominator == 24 && whole.valueText == "83.33%" && whole.status == .missed, "\(show(whole))")
        // The city is this one court: 9/10 judges, 20/24 in all
        #expect(try roleRow(p, "oa-activity", "city", "2022-09", role: "judge").numerator == 9)
        #expect(try p.row("oa-activity", "city", "2022-09").denominator == 24)
        // No mobile activity: 0 of 10 judges (0.00%, missed), not "no data": the roster is there
        let mobile = try roleRow(p, "mobile-activity", "410803", "2022-09", role: "judge")
        #expect(mobile.numerator == 0 && mobile.denominator == 10 && mobile.status == .missed)

        // Compliance by role: the court's row, then one row per role its roster gives (no `other`)
        let rows = p.projection.compliance(period: try Period(parsing: "2022-09"), counts: p.tally.counts(of: "2022-09"), court: "410803", byRole: true)
            .filter { $0.indicator == "oa-activity" }
        #expect(rows.map { $0.role ?? "-" } == ["-", "judge", "judge_assistant", "clerk"], "\(rows.map(show))")
        // Without byRole, the rows are as before roles existed
        #expect(try p.compliance("2022-09", court: "410803").allSatisfy { $0.role == nil })
    }

    @Test func theLaterRecordWinsBetweenAWholeRosterAndRoleRosters() throws {
        var logs = Logs()
        // 博爱县: a whole roster of 30 in August; role rosters 10 / 8 / 6 / 4 (other) from September;
        // a whole roster of 27 on 2022-10-15, later than the role rosters.
        try roster(&logs, "410822", "2022-08-01T08:00:00+08:00", 30)
        for (role, n) in [("judge", 10), ("judge_assistant", 8), ("clerk", 6), ("other", 4)] as [(String, Int64)] {
            try roster(&logs, "410822", "2022-09-01T08:00:00+08:00", role: role, n)
        }
        try roster(&logs, "410822", "2022-10-15T08:00:00+08:00", 27)
        for i in 1...3 { try active(&logs, "410822", "s\(i)", "oa", day: "2022-08-05") }
        try active(&logs, "410822", "s1", "oa", day: "2022-09-05")
        try active(&logs, "410822", "s1", "oa", day: "2022-10-20")
        let p = try Projected(logs.facts)
        // August: only the whole roster is in force → 3 / 30; no role figures
        #expect(try p.row("oa-activity", "410822", "2022-08").denominator == 30)
        #expect(p.projection.rolesOnRoster(unit: "410822", period: try Period(parsing: "2022-08")).isEmpty)
        // September: the role rosters are later → 10 + 8 + 6 + 4 = 28
        #expect(try p.row("oa-activity", "410822", "2022-09").denominator == 28)
        // October: the whole roster of 27 is later → 27; the role figures stay 10 / 8 / 6 / 4
        #expect(try p.row("oa-activity", "410822", "2022-10").denominator == 27)
        #expect(try roleRow(p, "oa-activity", "410822", "2022-10", role: "judge").denominator == 10)
        #expect(p.projection.rolesOnRoster(unit: "410822", period: try Period(parsing: "2022-10")) == ["judge", "judge_assistant", "clerk", "other"])
        // Activity recorded without a role counts in the whole figure only: s1 is no judge
        #expect(try roleRow(p, "oa-activity", "410822", "2022-10", role: "judge").numerator == 0)
    }

    @Test func departmentRoleRostersAreSummedRoleByRole() throws {
        var logs = Logs()
        // 孟州市: an old court-wide 员额法官 roster of 20; then 立案庭 3 and 民一庭 4 员额法官, and
        // 民一庭 2 书记员; and a whole roster of 9 for 民一庭 set after its role rosters.
        try roster(&logs, "410883", "2022-08-01T08:00:00+08:00", role: "judge", 20)
        try roster(&logs, "410883", "2022-09-01T08:00:00+08:00", dept: "case-filing", role: "judge", 3)
        try roster(&logs, "410883", "2022-09-01T08:00:00+08:00", dept: "civil-1", role: "judge", 4)
        try roster(&logs, "410883", "2022-09-01T08:00:00+08:00", dept: "civil-1", role: "clerk", 2)
        try roster(&logs, "410883", "2022-09-02T08:00:00+08:00", dept: "civil-1", 9)
        try active(&logs, "410883", "s1", "oa", day: "2022-09-05", role: "judge", dept: "civil-1")
        let p = try Projected(logs.facts)
        // 员额法官: departments keep rosters of that role → 3 + 4 = 7 (the court-wide 20 is stale)
        #expect(try roleRow(p, "oa-activity", "410883", "2022-09", role: "judge").denominator == 7)
        // 书记员: only 民一庭's 2
        #expect(try roleRow(p, "oa-activity", "410883", "2022-09", role: "clerk").denominator == 2)
        // The whole court, department by department: 立案庭 keeps only a role roster → 3; 民一庭's
        // whole roster of 9 (09-02) is later than its role rosters 4 + 2 (09-01) → 9; 3 + 9 = 12
        #expect(try p.row("oa-activity", "410883", "2022-09").denominator == 12)
        // August: only the court-wide 员额法官 roster → judges 20, and the court's headcount is the
        // sum of its role rosters, 20
        #expect(try roleRow(p, "oa-activity", "410883", "2022-08", role: "judge").denominator == 20)
        #expect(try p.row("oa-activity", "410883", "2022-08").denominator == 20)
    }

    @Test func withoutRolesNothingChanges() throws {
        var logs = Logs()
        try roster(&logs, "410803", "2022-09-01T08:00:00+08:00", dept: "case-filing", 5)
        try roster(&logs, "410803", "2022-09-01T08:00:00+08:00", dept: "civil-1", 7)
        for i in 1...12 { try active(&logs, "410803", "s\(i)", "oa", day: "2022-09-05") }
        let p = try Projected(logs.facts)
        // 5 + 7 = 12 staff, 12 active, as before roles existed; no role counters and no role rows
        #expect(try p.row("oa-activity", "410803", "2022-09").denominator == 12)
        #expect(!p.tally.counts.keys.contains { $0.measure.contains("#") })
        #expect(p.projection.rolesOnRoster(unit: "410803", period: try Period(parsing: "2022-09")).isEmpty)
        let rows = p.projection.compliance(period: try Period(parsing: "2022-09"), counts: p.tally.counts(of: "2022-09"), byRole: true)
        #expect(rows.allSatisfy { $0.role == nil })
        // The digest of rosters without role is the digest's old form (five members per roster).
        let digest = ProjectionDigest.compute(counts: [:], rosters: [RosterEntry(node: "410803", unit: "410803", atUTC: 1, headcount: 2, seq: 3, recordedAt: 4)], policy: [])
        let withRole = ProjectionDigest.compute(counts: [:], rosters: [RosterEntry(node: "410803", unit: "410803", atUTC: 1, headcount: 2, seq: 3, recordedAt: 4, role: "judge")], policy: [])
        #expect(digest != withRole)
    }

    @Test func theFoldAndTheStoresContributionsAgreeWithRolesAndFutureDatedEvents() throws {
        var logs = try zhongzhan()
        try logs.add("410803", "case.filed", "2022-09-28T10:00:00+08:00", recordedAt: "2022-09-01T10:00:00+08:00",
                     ["case_no": "(2022)豫0803民初9号", "channel": "online"])
        let measures = try MeasureSet(plan: .shipped)
        var tally = Tally(measures: measures)
        for f in logs.facts { tally.fold(f) }
        // The store's path: contributions applied one by one, distinct subjects once per key.
        var counts: [CounterKey: Int64] = [:]
        var seen: Set<String> = []
        var rosters: [RosterEntry] = []
        for f in logs.facts {
            for c in Attribution.contributions(of: f, measures: measures) {
                switch c {
                case .count(let k): counts[k, default: 0] += 1
                case .distinct(let k, let subject):
                    if seen.insert("\(k.period)|\(k.unit)|\(k.measure)|\(subject)").inserted { counts[k, default: 0] += 1 }
                case .roster(let r): rosters.append(r)
                }
            }
        }
        #expect(counts == tally.counts)
        #expect(ProjectionDigest.compute(counts: counts, rosters: rosters, policy: []) == ProjectionDigest.compute(counts: tally.counts, rosters: tally.rosters, policy: []))
        #expect(tally.rosters.map { $0.role ?? "-" } == ["judge", "judge_assistant", "clerk"])
    }

    @Test func anEventDatedAfterItWasRecordedCountsNowhereAndIsListed() throws {
        var logs = Logs()
        // 解放区, September: 3 filings recorded a minute after they happened (2 online).
        try logs.filed("410802", 2, online: true, day: "2022-09-05")
        try logs.filed("410802", 1, online: false, day: "2022-09-06")
        // Dated 2022-09-28, recorded 2022-09-05: 23 days in the future → a data problem.
        try logs.add("410802", "case.filed", "2022-09-28T10:00:00+08:00", recordedAt: "2022-09-05T10:00:00+08:00",
                     ["case_no": "(2022)豫0802民初91号", "channel": "offline"])
        // Dated 9 minutes after it was recorded: within the 10 minutes of clock skew → counts.
        try logs.add("410802", "case.filed", "2022-09-07T10:09:00+08:00", recordedAt: "2022-09-07T10:00:00+08:00",
                     ["case_no": "(2022)豫0802民初92号", "channel": "online"])
        // Exactly 600 s after is still within the skew; 601 s is not.
        try logs.add("410802", "case.filed", "2022-09-08T10:10:00+08:00", recordedAt: "2022-09-08T10:00:00+08:00",
                     ["case_no": "(2022)豫0802民初93号", "channel": "online"])
        try logs.add("410802", "case.filed", "2022-09-08T10:10:01+08:00", recordedAt: "2022-09-08T10:00:00+08:00",
                     ["case_no": "(2022)豫0802民初94号", "channel": "online"])
        // A roster dated in the future does not set the headcount: 40 stands, not 50.
        try roster(&logs, "410802", "2022-09-01T08:00:00+08:00", 40)
        try roster(&logs, "410802", "2022-09-20T08:00:00+08:00", 50, recordedAt: "2022-09-02T08:00:00+08:00")
        try active(&logs, "410802", "s1", "oa", day: "2022-09-05")
        // A record time of 0 is unknown (a store built from export files): not checked.
        var unknown = try fact(node: "410811", seq: 1, type: "case.filed", at: "2022-09-10T10:00:00+08:00",
                               data: ["case_no": "(2022)豫0811民初1号", "channel": "online"])
        unknown.recordedAt = 0
        let p = try Projected(logs.facts + [unknown])

        // 网上立案率 of 解放区: the 3 on time + the one 9 minutes ahead + the one 600 s ahead = 5
        // filings, online 2 + 1 + 1 = 4; 4 × 20000 / 5 = 16000 → 8000 → 80.00%
        let filing = try p.row("online-filing", "410802", "2022-09")
        #expect(filing.numerator == 4 && filing.denominator == 5 && filing.valueText == "80.00%", "\(show(filing))")
        // OA: 1 of 40 (the future roster of 50 is not in force)
        #expect(try p.row("oa-activity", "410802", "2022-09").denominator == 40)
        // Listed: 3 future-dated records of 解放区 (the filing 23 days ahead, the one 601 s ahead, the roster)
        let problems = p.projection.dataProblems(counts: p.tally.counts(of: "2022-09"))
        #expect(problems.map { "\($0.unit) \($0.kind) \($0.count)" } == ["410802 future-dated 3"], "\(problems)")
        #expect(problems.first?.chinese.contains("日期在未来") == true)
        #expect(p.projection.dataProblems(counts: p.tally.counts(of: "2022-H2")).first?.count == 3)
        // 山阳区's filing with an unknown record time counts as usage.
        #expect(try p.row("online-filing", "410811", "2022-09").numerator == 1)
        // The city: 5 + 1 = 6 filings
        #expect(try p.row("online-filing", "city", "2022-09").denominator == 6)
    }
}
