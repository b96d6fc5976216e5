import Testing
import CanonicalJSON
import CourtLog
import CourtPlan
@testable import Projections

// Issue 11, 考核 scores, January 2023, three courts. Every figure is worked out by hand below,
// in hundredths of a point.
@Suite("考核 scores")
struct ScoreTests {
    @Test func scoresCombineBandsRanksDeductionsAndTheBusinessLinesScore() throws {
        var logs = Logs()
        // 网上立案率: 410802 99/100 = 99.00%, 410803 96/100 = 96.00%, 410804 90/100 = 90.00%.
        try logs.filed("410802", 50, online: true, day: "2023-01-03")
        try logs.filed("410802", 49, online: true, day: "2023-01-04")
        try logs.filed("410802", 1, online: false, day: "2023-01-05")
        try logs.filed("410803", 50, online: true, day: "2023-01-03")
        try logs.filed("410803", 46, online: true, day: "2023-01-04")
        try logs.filed("410803", 4, online: false, day: "2023-01-05")
        try logs.filed("410804", 50, online: true, day: "2023-01-03")
        try logs.filed("410804", 40, online: true, day: "2023-01-04")
        try logs.filed("410804", 10, online: false, day: "2023-01-05")
        // 网上开庭率: 410802 1/2 = 50%, 410803 2/2 = 100%, 410804 0/1 = 0% → ranks 2, 1, 3 of 3.
        func hearing(_ node: String, _ i: Int, online: Bool) throws {
            try logs.add(node, "hearing.held", "2023-01-1\(i)T10:00:00+08:00",
                         ["case_no": .string("(2023)豫\(node.suffix(4))民初\(i)号"), "mode": online ? "online" : "offline", "streamed": false])
        }
        try hearing("410802", 1, online: true); try hearing("410802", 2, online: false)
        try hearing("410803", 1, online: true); try hearing("410803", 2, online: true)
        try hearing("410804", 1, online: false)
        let explain: (String, Int64, String, String) throws -> PolicyEvent = { node, seq, ind, at in
            try policy(node: node, seq: seq, "explanation.filed", at: at, ["unit": .string(node), "indicator": .string(ind), "period": "2023-01", "text": "说明"])
        }
        let events = [
            try policy(seq: 1, "score_standard.set", at: "2023-01-02T09:00:00+08:00",
                       ["lead": "case-filing", "indicator": "online-filing", "weight": 10, "scoring": "bands", "bands": ["9900:100", "9500:60"],
                        "effective": "2023-01-01", "document": "焦中法立〔2023〕1号"]),
            try policy(seq: 2, "score_standard.set", at: "2023-01-02T09:00:00+08:00",
                       ["lead": "trial-management", "indicator": "online-hearing", "weight": 5, "scoring": "rank",
                        "effective": "2023-01-01", "document": "焦中法审管〔2023〕1号"]),
            try policy(seq: 3, "score_rules.set", at: "2023-01-02T09:00:00+08:00",
                       ["late_explanation": 100, "missing_explanation": 300, "external_per_10k": 3000, "effective": "2023-01-01", "document": "d"]),
            try policy(seq: 4, "loop_limit.set", at: "2023-01-02T09:00:00+08:00",
                       ["limit": "explanation", "days": 5, "effective": "2023-01-01", "document": "d"]),
            // Issued 02-05: explanations due by 02-10.
            try policy(seq: 5, "bulletin.issued", at: "2023-02-05T09:00:00+08:00",
                       ["period": "2023-01", "number": "焦中法技〔2023〕5号", "issued": "2023-02-05",
                        "digest": .string(String(repeating: "c", count: 64)), "as_of": "2023-02-04T18:00:00+08:00"]),
            try policy(seq: 6, "external_score.recorded", at: "2023-02-15T09:00:00+08:00",
                       ["unit": "410802", "period": "2023-01", "line": "审判管理", "score": 9000]),
            // Every court with cases and no online reviews misses 案均网上阅卷数 and 案均网上阅档数.
            // 410802 explains both on time; 410803 explains those on time and 网上立案率 late (02-12);
            // 410804 explains nothing.
            try explain("410802", 1, "file-reviews-per-case", "2023-02-08T09:00:00+08:00"),
            try explain("410802", 2, "archive-reviews-per-case", "2023-02-08T09:00:00+08:00"),
            try explain("410803", 1, "file-reviews-per-case", "2023-02-08T09:00:00+08:00"),
            try explain("410803", 2, "archive-reviews-per-case", "2023-02-08T09:00:00+08:00"),
            try explain("410803", 3, "online-filing", "2023-02-12T09:00:00+08:00"),
        ]
        let p = try Projected(logs.facts, policy: events)
        let scores = p.projection.scores(period: try Period(parsing: "2023-01"), counts: p.tally.counts(of: "2023-01"), on: try CivilDate(parsing: "2023-02-20"))
        let by = Dictionary(uniqueKeysWithValues: scores.map { ($0.unit, $0) })
        // 410802: 网上立案率 9900 ≥ 9900 → band 100% → 10 × 100 = 1000; rank 2 of 3 → 500 × (3 − 2 + 1) / 3 = 333.
        //   1333 of 1500; no deductions; internal 1333 × 10000 / 1500 = 8886 (8886.67 floored);
        //   with the line's 9000 at 30%: (8886 × 7000 + 9000 × 3000) / 10000 = 89,202,000 / 10000 = 8920.
        let a = try #require(by["410802"])
        #expect(a.parts.map(\.earned) == [1000, 333] && a.possible == 1500 && a.deductions == 0, "\(a)")
        #expect(a.internalScore == 8886 && a.externalScore == 9000 && a.total == 8920 && a.rank == 1 && a.ranked == 3, "\(a)")
        // 410803: 9600 → band 9500 (60%) → 600; rank 1 → 500; 1100 − 100 (one late explanation) = 1000;
        //   1000 × 10000 / 1500 = 6666; no line score → total 6666, rank 2.
        let b = try #require(by["410803"])
        #expect(b.parts.map(\.earned) == [600, 500] && b.deductions == 100 && b.internalPoints == 1000, "\(b)")
        #expect(b.internalScore == 6666 && b.total == 6666 && b.rank == 2, "\(b)")
        // 410804: 9000 is below every band → 0; rank 3 → 500 × 1 / 3 = 166; four misses never explained
        //   (网上立案率, 网上开庭率 0% < 35%, the two per-case figures) → 4 × 300 = 1200; 166 − 1200 < 0 → 0.
        let c = try #require(by["410804"])
        #expect(c.parts.map(\.earned) == [0, 166] && c.deductions == 1200 && c.internalPoints == 0 && c.total == 0 && c.rank == 3, "\(c)")
        // Only units with a scored indicator appear: the courts without data do not.
        #expect(scores.filter { $0.unitKind == "court" }.map(\.unit) == ["410802", "410803", "410804"])
        #expect(Projection.points(8920) == "89.20" && Projection.points(-5) == "-0.05")
    }

    @Test func aStandardIsSetOnlyByTheIndicatorsLeadWithValidBands() throws {
        let at = try EventTime(parsing: "2023-01-02T09:00:00+08:00")
        func check(_ data: [String: JSONValue]) throws {
            try PolicyCheck.check(try EventDraft(id: "x", type: "score_standard.set", at: at, dept: nil, data: data), node: "410800", plan: .shipped)
        }
        let good: [String: JSONValue] = ["lead": "case-filing", "indicator": "online-filing", "weight": 10, "scoring": "bands",
                                         "bands": ["9900:100"], "effective": "2023-01-01", "document": "d"]
        try check(good)
        #expect(throws: EventError.self) { try check(good.merging(["lead": "tech"]) { $1 }) }
        #expect(throws: EventError.self) { try check(good.merging(["bands": ["99%:100"]]) { $1 }) }
        #expect(throws: EventError.self) { try check(good.merging(["bands": ["9900:120"]]) { $1 }) }
        #expect(throws: EventError.self) { try check(good.filter { $0.key != "bands" }) }
    }
}
