import Testing
import CanonicalJSON
import CourtLog
import CourtPlan
@testable import Projections

// Issue 10, D1, D8 and rounding: expected values worked out by hand in the comments.
@Suite("figures right for every unit: department rosters, impossible data, rounding")
struct DataProblemTests {
    func active(_ logs: inout Logs, _ node: String, _ staff: String, _ app: String, day: String, dept: String? = nil) throws {
        try logs.add(node, "staff.active", "\(day)T09:00:00+08:00", dept: dept, ["staff_id": .string(staff), "app": .string(app), "day": .string(day)])
    }

    @Test func aGrassrootsCourtsHeadcountIsTheSumOfItsDepartmentsRosters() throws {
        var logs = Logs()
        // 中站区: 立案庭 5 and 民一庭 7 staff; 12 distinct staff on OA, 7 of them on mobile.
        try logs.add("410803", "roster.set", "2022-09-01T08:00:00+08:00", dept: "case-filing", ["headcount": 5])
        try logs.add("410803", "roster.set", "2022-09-01T08:00:00+08:00", dept: "civil-1", ["headcount": 7])
        for i in 1...12 { try active(&logs, "410803", "s\(i)", "oa", day: "2022-09-05") }
        for i in 1...7 { try active(&logs, "410803", "s\(i)", "mobile", day: "2022-09-06") }
        let p = try Projected(logs.facts)
        let oa = try p.row("oa-activity", "410803", "2022-09")
        // headcount 5 + 7 = 12; 12 of 12 = 100.00%; 120000 ≥ 10000 × 12 → met
        #expect(oa.numerator == 12 && oa.denominator == 12 && oa.valueText == "100.00%" && oa.status == .met, "\(show(oa))")
        let mobile = try p.row("mobile-activity", "410803", "2022-09")
        // 7 of 12: 7 × 20000 / 12 = 11666 → (11666 + 1) / 2 = 5833 → 58.33%; 70000 < 120000 → missed
        #expect(mobile.numerator == 7 && mobile.denominator == 12 && mobile.valueText == "58.33%" && mobile.status == .missed, "\(show(mobile))")
        #expect(mobile.valuePer10k == 5833)
        // The departments of a grassroots court are not the intermediate court's departments.
        let filing = try p.row("oa-activity", "case-filing", "2022-09")
        #expect(filing.denominator == 0, "中站区's 立案庭 roster must not count for 中院立案庭: \(show(filing))")
    }

    @Test func departmentRostersWinOverAnOldCourtWideRoster() throws {
        var logs = Logs()
        // A court-wide roster of 20 from August, then department rosters from September.
        try logs.add("410804", "roster.set", "2022-08-01T08:00:00+08:00", ["headcount": 20])
        try logs.add("410804", "roster.set", "2022-09-01T08:00:00+08:00", dept: "case-filing", ["headcount": 6])
        try logs.add("410804", "roster.set", "2022-09-01T08:00:00+08:00", dept: "civil-1", ["headcount": 9])
        // 民一庭 shrinks to 8 later in September: (time, seq) picks the later one.
        try logs.add("410804", "roster.set", "2022-09-20T08:00:00+08:00", dept: "civil-1", ["headcount": 8])
        try active(&logs, "410804", "s1", "oa", day: "2022-08-05")
        try active(&logs, "410804", "s1", "oa", day: "2022-09-05")
        let p = try Projected(logs.facts)
        // August: only the court-wide roster → 1/20
        #expect(try p.row("oa-activity", "410804", "2022-08").denominator == 20)
        // September: departments 6 + 8 = 14 (the court-wide 20 is no longer used)
        let sep = try p.row("oa-activity", "410804", "2022-09")
        #expect(sep.numerator == 1 && sep.denominator == 14, "\(show(sep))")
        // The city sums courts: 14 in September
        #expect(try p.row("oa-activity", "city", "2022-09").denominator == 14)
    }

    @Test func aShareAboveOneHundredPercentIsADataProblemNeverMet() throws {
        var logs = Logs()
        // A roster of 7 left unchanged while 12 staff use OA: 12/7 is impossible.
        try logs.add("410803", "roster.set", "2022-09-01T08:00:00+08:00", ["headcount": 7])
        for i in 1...12 { try active(&logs, "410803", "s\(i)", "oa", day: "2022-09-05") }
        let p = try Projected(logs.facts)
        let oa = try p.row("oa-activity", "410803", "2022-09")
        #expect(oa.numerator == 12 && oa.denominator == 7, "\(show(oa))")
        #expect(oa.status == .dataProblem && oa.status.chinese == "数据异常", "\(show(oa))")
        #expect(oa.problem?.contains("12 staff active but 7 on the roster") == true, "\(oa.problem ?? "no cause")")
        // Not a miss either: nobody is asked to explain a figure that cannot be true.
        let entries = p.projection.accountability(period: try Period(parsing: "2022-09"), counts: p.tally.counts(of: "2022-09"))
        #expect(!entries.contains { $0.unit == "410803" && $0.indicator == "oa-activity" })
    }

    @Test func aReviewDecidedBeforeItWasSubmittedCountsNowhereAndIsListed() throws {
        var logs = Logs()
        func reviewed(_ node: String, _ id: String, _ submitted: String, _ decided: String) throws {
            try logs.add(node, "filing.reviewed", decided,
                         ["application_id": .string(id), "submitted_at": .string(submitted), "decided_at": .string(decided), "decision": "approved"])
        }
        // b1: 2 h, timely. b2 and b3: decided an hour and a day before they were submitted.
        try reviewed("410802", "b1", "2022-09-01T09:00:00+08:00", "2022-09-01T11:00:00+08:00")
        try reviewed("410802", "b2", "2022-09-02T10:00:00+08:00", "2022-09-02T09:00:00+08:00")
        try reviewed("410802", "b3", "2022-09-04T09:00:00+08:00", "2022-09-03T09:00:00+08:00")
        // b4 at another court: submitted and decided in the same second (delay 0) is possible, and timely.
        try reviewed("410811", "b4", "2022-09-05T09:00:00+08:00", "2022-09-05T09:00:00+08:00")
        let p = try Projected(logs.facts)
        let timely = try p.row("online-filing-timely", "410802", "2022-09")
        // only b1 counts: 1 timely of 1 decided = 100.00%
        #expect(timely.numerator == 1 && timely.denominator == 1 && timely.status == .met, "\(show(timely))")
        #expect(try p.row("online-filing-timely", "410811", "2022-09").numerator == 1)
        let problems = p.projection.dataProblems(counts: p.tally.counts(of: "2022-09"))
        #expect(problems.map(\.unit) == ["410802"] && problems.first?.count == 2, "\(problems)")
        // listed for the half-year and the year too, and the city counts only possible reviews
        #expect(p.projection.dataProblems(counts: p.tally.counts(of: "2022-H2")).first?.count == 2)
        #expect(try p.row("online-filing-timely", "city", "2022-09").denominator == 2)
    }

    @Test func valueAndValuePer10kRoundHalfUpAlike() throws {
        var logs = Logs()
        // 2 of 3 online: 2 × 20000 / 3 = 13333 → (13333 + 1) / 2 = 6667 → 66.67%, value_per_10k 6667
        try logs.filed("410802", 2, online: true, day: "2022-09-01")
        try logs.filed("410802", 1, online: false, day: "2022-09-02")
        let p = try Projected(logs.facts)
        let r = try p.row("online-filing", "410802", "2022-09")
        #expect(r.valueText == "66.67%" && r.valuePer10k == 6667, "\(show(r)) per10k \(r.valuePer10k ?? -1)")
    }
}

@Suite("stage leads, 中院 departments and per-case figures (issue 10 D2, D3)")
struct StageAndDepartmentTests {
    @Test func outsideTheFirstGroupOnlyTheLeadOfTheStageThatFellShortExplains() throws {
        var logs = Logs()
        func submit(_ node: String, _ stage: String, _ via: Bool, _ i: Int) throws {
            try logs.add(node, "lawyer.submission", "2022-09-\(10 + i)T10:00:00+08:00",
                         ["case_no": .string("(2022)豫08民初\(i)号"), "stage": .string(stage), "via_platform": .bool(via)])
        }
        // filing stage across the city: 410802 1 of 3 via the platform → 33.33% < 70% → short
        try submit("410802", "filing", true, 1)
        try submit("410802", "filing", false, 2)
        try submit("410802", "filing", false, 3)
        // trial stage: 410803 4 of 5 → 80.00% ≥ 70% → met
        for i in 4...7 { try submit("410803", "trial", true, i) }
        try submit("410803", "trial", false, 8)
        let standing = try policy(seq: 2, "standing.recorded", at: "2022-10-08T10:00:00+08:00",
                                  ["indicator": "lawyer-platform", "period": "2022-09", "rank": 9, "province_average_per_10k": 7500])
        let p = try Projected(logs.facts, policy: [standing])
        let entries = p.projection.accountability(period: try Period(parsing: "2022-09"), counts: p.tally.counts(of: "2022-09"))
            .filter { $0.indicator == "lawyer-platform" && $0.reason == .outsideFirstGroup }
        // rank 9 > 5: only 立案庭 (立案阶段 fell short) explains, with the stage's figure 1/3
        #expect(entries.map(\.unit) == ["case-filing"], "\(entries.map(\.unit))")
        #expect(entries.first?.detail.contains("立案阶段 33.33%（1/3）") == true, "\(entries.first?.detail ?? "")")

        // If no stage fell short, the lead of the weakest stage explains: filing 3 of 4 = 75% < trial 80%.
        var better = Logs()
        for (i, via) in [true, true, true, false].enumerated() {
            try better.add("410802", "lawyer.submission", "2022-09-1\(i)T10:00:00+08:00",
                           ["case_no": .string("(2022)豫08民初\(i)号"), "stage": "filing", "via_platform": .bool(via)])
        }
        for i in 4...7 { try better.add("410803", "lawyer.submission", "2022-09-1\(i)T10:00:00+08:00", ["case_no": .string("(2022)豫08民初\(i)号"), "stage": "trial", "via_platform": true]) }
        try better.add("410803", "lawyer.submission", "2022-09-18T10:00:00+08:00", ["case_no": "(2022)豫08民初8号", "stage": "trial", "via_platform": false])
        let q = try Projected(better.facts, policy: [standing])
        let weakest = q.projection.accountability(period: try Period(parsing: "2022-09"), counts: q.tally.counts(of: "2022-09"))
            .filter { $0.indicator == "lawyer-platform" && $0.reason == .outsideFirstGroup }
        #expect(weakest.map(\.unit) == ["case-filing"], "\(weakest.map(\.unit))")
        #expect(weakest.first?.detail.contains("立案阶段 75.00%（3/4）为各阶段最低") == true, "\(weakest.first?.detail ?? "")")
    }

    @Test func aDepartmentsPerCaseFigureIsOverItsCourtsFilings() throws {
        var logs = Logs()
        // 410800 files 10 cases (立案庭); 办公室 approves 1 online archive review; 立案庭 approves 3 online file reviews.
        try logs.filed("410800", 10, online: true, day: "2022-09-01", dept: "case-filing")
        try logs.add("410800", "archive_review.decided", "2022-09-05T10:00:00+08:00", dept: "general-office",
                     ["request_id": "ar1", "case_no": "(2022)豫08民初1号", "channel": "online", "submitted_at": "2022-09-05T09:00:00+08:00",
                      "decided_at": "2022-09-05T10:00:00+08:00", "decision": "approved"])
        for i in 1...3 {
            try logs.add("410800", "file_review.decided", "2022-09-0\(5 + i)T10:00:00+08:00", dept: "case-filing",
                         ["request_id": .string("fr\(i)"), "case_no": "(2022)豫08民初1号", "channel": "online",
                          "submitted_at": .string("2022-09-0\(5 + i)T09:00:00+08:00"), "decided_at": .string("2022-09-0\(5 + i)T10:00:00+08:00"), "decision": "approved"])
        }
        let p = try Projected(logs.facts)
        let office = try p.row("archive-reviews-per-case", "general-office", "2022-09")
        // 办公室: 1 review over the court's 10 filings = 0.100 ≥ 0.02 → met (was 1/0 无数据)
        #expect(office.numerator == 1 && office.denominator == 10 && office.valueText == "0.100" && office.status == .met, "\(show(office))")
        let filing = try p.row("file-reviews-per-case", "case-filing", "2022-09")
        // 立案庭: 3 over 10 = 0.300 ≥ 0.2 → met
        #expect(filing.numerator == 3 && filing.denominator == 10 && filing.status == .met, "\(show(filing))")
        // 立案庭's 网上立案率 keeps its own filings: 10 of 10
        let online = try p.row("online-filing", "case-filing", "2022-09")
        #expect(online.numerator == 10 && online.denominator == 10, "\(show(online))")
    }
}
