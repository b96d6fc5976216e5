import Testing
import CanonicalJSON
import CourtLog
import CourtPlan
@testable import Bulletins
@testable import Projections

// A two-court city for one indicator (1a 网上立案率, plan threshold ≥ 99%), over June and July
// 2023. Every expected number below is worked out by hand, with the arithmetic in a comment.
//
//            2023-06                 2023-07
// 410802     100 online of 100       198 online of 200
// 410803      95 online of 100        97 online of 100
// city       195 of 200              295 of 300
func twoCourtCity() throws -> Projected {
    var logs = Logs()
    try logs.filed("410802", 60, online: true, day: "2023-06-05")
    try logs.filed("410802", 40, online: true, day: "2023-06-06")
    try logs.filed("410803", 50, online: true, day: "2023-06-07")
    try logs.filed("410803", 45, online: true, day: "2023-06-08")
    try logs.filed("410803", 5, online: false, day: "2023-06-09")
    try logs.filed("410802", 59, online: true, day: "2023-07-03")
    try logs.filed("410802", 59, online: true, day: "2023-07-04")
    try logs.filed("410802", 59, online: true, day: "2023-07-05")
    try logs.filed("410802", 21, online: true, day: "2023-07-06")
    try logs.filed("410802", 2, online: false, day: "2023-07-07")
    try logs.filed("410803", 50, online: true, day: "2023-07-10")
    try logs.filed("410803", 47, online: true, day: "2023-07-11")
    try logs.filed("410803", 3, online: false, day: "2023-07-12")
    let events = [
        try policy(seq: 2, "standing.recorded", at: "2023-08-08T10:00:00+08:00",
                   ["indicator": "online-filing", "period": "2023-07", "rank": 7, "province_average_per_10k": 9850, "excellent_per_10k": 9950]),
        try policy(node: "410803", seq: 1, "explanation.filed", at: "2023-08-05T16:00:00+08:00",
                   ["unit": "410803", "indicator": "online-filing", "period": "2023-07", "text": "专网故障，部分案件线下立案。"]),
    ]
    return try Projected(logs.facts, policy: events)
}

func bulletin(_ p: Projected, _ kind: Bulletin.Kind, _ period: String) throws -> Bulletin {
    try Bulletin.make(kind: kind, period: try Period(parsing: period), projection: p.projection,
                      counts: { p.tally.counts(of: $0) }, dataNote: "数据来源：测试")
}

@Suite("bulletins: 月通报、半年通报、年通报 from hand-built events")
struct BulletinTests {
    @Test func aMonthlyBulletinGivesValuesRanksChangesStandingAndWhoMustExplain() throws {
        let b = try bulletin(try twoCourtCity(), .monthly, "2023-07")
        let s = try #require(b.sections.first { $0.indicator.slug == "online-filing" })
        // city: 295 / 300 = 98.333…% → 98.33%, below 99% (295 × 10000 = 2,950,000 < 9900 × 300 = 2,970,000)
        #expect(s.city.numerator == 295 && s.city.denominator == 300)
        #expect(s.city.valueText == "98.33%" && s.city.status == .missed)
        // change: 98.333…% − 97.50% (195/200) = +0.8333… points → +0.83
        #expect(s.change == "+0.83个百分点", "\(s.change)")
        let jiefang = try #require(s.courts.first { $0.row.unit == "410802" })
        // 198 / 200 = 99.00%: 1,980,000 ≥ 9900 × 200 = 1,980,000 → met, exactly at the threshold
        #expect(jiefang.row.valueText == "99.00%" && jiefang.row.status == .met)
        // 99.00% − 100.00% = −1.00 points; the higher of the two ranked courts
        #expect(jiefang.change == "-1.00个百分点" && jiefang.rank == 1 && jiefang.ranked == 2, "\(jiefang.change) \(String(describing: jiefang.rank))")
        let zhongzhan = try #require(s.courts.first { $0.row.unit == "410803" })
        // 97 / 100 = 97.00%, missed; 97.00% − 95.00% = +2.00 points; rank 2 of 2
        #expect(zhongzhan.row.valueText == "97.00%" && zhongzhan.row.status == .missed)
        #expect(zhongzhan.change == "+2.00个百分点" && zhongzhan.rank == 2)
        // The intermediate court is not judged as a whole: it has no line among the courts.
        #expect(s.courts.map(\.row.unit) == ["410802", "410803", "410804", "410811", "410821", "410822", "410823", "410825", "410882", "410883"])
        // The province ranked the city 7th: outside the first group (前5名).
        #expect(b.standingText(s) == "全省第7名（全省平均 98.50%，优秀标准 99.50%），未进入全省第一方阵（前5名）", "\(b.standingText(s))")
        // Who must explain: for 1a, 中站区 below the threshold (explained) and 立案庭, the lead, for the
        // standing (not). The filings are also the denominators of 5b 案均网上阅卷数 and 6b 案均网上阅档数,
        // which have no reviews: 0 / 200 and 0 / 100 are below 0.2 and 0.02, so both courts miss both.
        #expect(b.accountability.map(\.unit) == ["410803", "case-filing", "410802", "410803", "410802", "410803"], "\(b.accountability.map(\.unit))")
        #expect(b.accountability.map(\.explained) == [true, false, false, false, false, false])
        #expect(b.accountability.map(\.indicator) == ["online-filing", "online-filing", "file-reviews-per-case", "file-reviews-per-case",
                                                     "archive-reviews-per-case", "archive-reviews-per-case"])
        // The city misses 1a, 5b and 6b; the other sixteen indicators have no data. The trend starts
        // at the first month with data: the two months, not ten empty months before them.
        #expect(b.cityTally[.missed] == 3 && b.cityTally[.noData] == 16, "\(b.cityTally)")
        #expect(s.trend.map(\.period) == ["2023-06", "2023-07"] && s.trend.compactMap(\.valuePer10k) == [9750, 9833], "\(s.trend.map(\.valueText))")
    }

    @Test func theMarkdownAndHTMLSayTheSameThingsInChinese() throws {
        let b = try bulletin(try twoCourtCity(), .monthly, "2023-07")
        let md = BulletinMarkdown.render(b)
        #expect(md.contains("# 焦作市中级人民法院信息化应用情况月通报"))
        #expect(md.contains("**2023年7月**"))
        #expect(md.contains("考核标准 ≥ 99.00%。全市 98.33%（295/300），较上月 +0.83个百分点，未达标。全省第7名"), "\(md)")
        #expect(md.contains("| 解放区人民法院 | 99.00% | 1/2 | -1.00个百分点 | 达标 |"))
        #expect(md.contains("| 中站区人民法院 | 97.00% | 2/2 | +2.00个百分点 | 未达标 |"))
        #expect(md.contains("本期共6项需由部门（法院）负责人向领导小组说明情况，已说明1项，尚未说明5项"))
        #expect(md.contains("| 中院立案庭 | 网上立案率 | 未进入全省第一方阵 | 全省第7名 (第一方阵: 前5名) | **未说明** |"))
        #expect(md.contains("- 中站区人民法院（网上立案率）：专网故障，部分案件线下立案。"))
        #expect(md.contains("趋势（全市）：2023-06 97.50% → 2023-07 98.33%"))
        #expect(md.contains("请中院立案庭、解放区人民法院、中站区人民法院尽快向信息化应用推广领导小组说明情况"))
        #expect(md.contains("全市法院19项指标中，考核3项，达标0项，未达标3项（网上立案率、案均网上阅卷数、案均网上阅档数）"))

        let html = BulletinHTML.render(b)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<html lang=\"zh-CN\">"))
        let section = try #require(html.components(separatedBy: "<section class=\"indicator\" id=\"online-filing\">").last?.components(separatedBy: "</section>").first)
        #expect(section.contains("<svg") && section.contains("</svg>"))
        // Two months with data, both below the 99% line: two red dots (and the legend's blue and
        // red dots), and the dashed threshold; a legend names all three.
        #expect(section.components(separatedBy: "<circle").count - 1 == 4)
        #expect(section.components(separatedBy: "fill=\"rgb(192,57,43)\"").count - 1 == 3)
        #expect(section.contains("全市数值") && section.contains("考核标准</text>") && section.contains("未达标的月份"))
        #expect(section.contains("<tr class=\"city\"><td class=\"unit\">全市</td><td class=\"num\">98.33%</td>"))
        #expect(section.contains("stroke-dasharray"))
        #expect(section.contains("<td class=\"unit\">中站区人民法院</td><td class=\"num\">97.00%</td>"))
        #expect(html.contains("<span class=\"pending\">未说明</span>"))
        // Sections without data draw no chart.
        let noData = try #require(html.components(separatedBy: "id=\"online-payment\">").last?.components(separatedBy: "</section>").first)
        #expect(!noData.contains("<svg") && noData.contains("本期无数据"))
    }

    @Test func aHalfYearComparesWithTheHalfBeforeAndAYearWithTheYearBefore() throws {
        let p = try twoCourtCity()
        let h1 = try bulletin(p, .halfYear, "2023-H1")
        let s = try #require(h1.sections.first { $0.indicator.slug == "online-filing" })
        // 2023-H1 holds only June: 195 / 200 = 97.50%; 2022-H2 has no data, so no change.
        #expect(s.city.valueText == "97.50%" && s.change == "—")
        #expect(BulletinMarkdown.render(h1).contains("半年通报") && BulletinMarkdown.render(h1).contains("全市 97.50%（195/200），上期无数据可比，未达标") && BulletinMarkdown.render(h1).contains("| 法院 | 数值 | 基层法院排名 | 较2022年下半年 | 情况 |"))
        let year = try bulletin(p, .annual, "2023")
        let y = try #require(year.sections.first { $0.indicator.slug == "online-filing" })
        // 2023: 195 + 295 = 490 of 500 = 98.00%
        #expect(y.city.numerator == 490 && y.city.denominator == 500 && y.city.valueText == "98.00%")
        // 1a for the year: 410802 298/300 = 99.33% meets; 410803 192/200 = 96.00% misses. No standing for 2023,
        // and 5b/6b miss at both courts as in July. The explanation was filed for 2023-07, not for the year.
        #expect(year.accountability.map(\.unit) == ["410803", "410802", "410803", "410802", "410803"], "\(year.accountability.map(\.unit))")
        #expect(year.accountability.allSatisfy { !$0.explained })
    }

    @Test func aPeriodWithoutDataOrOfTheWrongKindIsRefused() throws {
        let p = try twoCourtCity()
        #expect(throws: EventError.self) { try bulletin(p, .monthly, "2023-08") }
        do { _ = try bulletin(p, .monthly, "2023-08"); Issue.record("an empty month made a bulletin") } catch let e as EventError {
            #expect(e.description.contains("no usage events are recorded for 2023-08"), "\(e.description)")
        }
        do { _ = try bulletin(p, .halfYear, "2023-07"); Issue.record("a month made a half-year bulletin") } catch let e as EventError {
            #expect(e.description.contains("a half-year bulletin is for a half-year such as 2023-H1, not '2023-07'"), "\(e.description)")
        }
        do { _ = try bulletin(p, .annual, "2023-H1"); Issue.record("a half-year made an annual bulletin") } catch let e as EventError {
            #expect(e.description.contains("an annual bulletin is for a year such as 2022, not '2023-H1'"), "\(e.description)")
        }
    }

    @Test func chartTicksAreRoundAndCoverTheValues() {
        // 96.5%…99.5% (per 10,000): steps of 1%, from 96% to 100%.
        #expect(TrendChart.ticks(lo: 9650, hi: 9950, percent: true) == [9600, 9700, 9800, 9900, 10000])
        #expect(TrendChart.ticks(lo: 0, hi: 10000, percent: true) == [0, 2500, 5000, 7500, 10000])
        #expect([9600, 9750, 9975, 10000].map { TrendChart.tickLabel($0, percent: true) } == ["96%", "97.5%", "99.75%", "100%"])
        // All at 100%: the axis still has room and round labels.
        #expect(TrendChart.ticks(lo: 9950, hi: 10000, percent: true) == [9950, 9975, 10000])
        // Per-case values 0.15…0.3: steps of 0.05.
        #expect(TrendChart.ticks(lo: 1500, hi: 3000, percent: false) == [1500, 2000, 2500, 3000])
        #expect(TrendChart.tickLabel(2500, percent: false) == "0.25")
    }

    @Test func halfYearAndAnnualChartsSpanTheMonthsWithData() throws {
        let p = try twoCourtCity()
        // The year 2023 has data in June and July only: its chart runs over those two months.
        let year = try bulletin(p, .annual, "2023")
        let y = try #require(year.sections.first { $0.indicator.slug == "online-filing" })
        #expect(y.trend.map(\.period) == ["2023-06", "2023-07"], "\(y.trend.map(\.period))")
        let h1 = try bulletin(p, .halfYear, "2023-H1")
        let h = try #require(h1.sections.first { $0.indicator.slug == "online-filing" })
        #expect(h.trend.map(\.period) == ["2023-06"])
        // Nothing drawn outside the view box: every x and y coordinate is within it.
        let svg = TrendChart.svg(y.trend, unit: "percent", title: "t")
        for attr in ["x=\"", "cx=\"", "x1=\"", "x2=\""] {
            for piece in svg.components(separatedBy: " " + attr).dropFirst() {
                let v = Double(piece.prefix { $0 != "\"" }) ?? -1
                #expect(v >= 0 && v <= 600, "\(attr)\(v) is outside the chart")
            }
        }
    }
}

@Suite("bulletins judge the intermediate court by its departments (issue 10 D4)")
struct DepartmentBulletinTests {
    @Test func theIntermediateCourtIsJudgedAndRankedByItsDepartments() throws {
        var logs = Logs()
        // 立案庭 at 410800 files 100 cases, 99 online → 99.00% ≥ 99% → met (1a).
        try logs.filed("410800", 59, online: true, day: "2023-07-03", dept: "case-filing")
        try logs.filed("410800", 40, online: true, day: "2023-07-04", dept: "case-filing")
        try logs.filed("410800", 1, online: false, day: "2023-07-05", dept: "case-filing")
        // 民一庭 checks 10 e-dossiers, 8 qualified → 80.00% < 85% → missed (15).
        for i in 0..<10 {
            try logs.add("410800", "dossier.checked", "2023-07-10T10:0\(i):00+08:00", dept: "civil-1",
                         ["case_no": .string("(2023)豫08民初\(i)号"), "qualified": .bool(i < 8)])
        }
        try logs.filed("410802", 10, online: true, day: "2023-07-05")
        let p = try Projected(logs.facts)
        let b = try bulletin(p, .monthly, "2023-07")
        // The 中院 is not a row of the court table; its departments are judged one by one.
        #expect(!b.courtTallies.contains { $0.court.code == "410800" })
        let filing = try #require(b.departmentStandings.first { $0.department == "case-filing" })
        let civil = try #require(b.departmentStandings.first { $0.department == "civil-1" })
        // 立案庭: 1a met (99/100); 5b 案均网上阅卷数 0 reviews over the court's 100 filings = 0.000
        // < 0.2 → missed; its other indicators have no data → 1 met of 2 assessed.
        #expect(filing.met == 1 && filing.missed == 1, "\(filing.rows.map { "\($0.indicator) \($0.status)" })")
        // 民一庭: 15 missed (8/10); 5b 0/100 missed → 0 of 2.
        #expect(civil.met == 0 && civil.missed == 2, "\(civil.rows.map { "\($0.indicator) \($0.status)" })")
        // Ranks by share met: 立案庭 1/2 is the only share above 0 → 1; 民一庭 and every other
        // department with 0 met share rank 2; a department with nothing assessed has no rank.
        #expect(filing.rank == 1 && civil.rank == 2)
        #expect(b.departmentStandings.filter { $0.rank == 1 }.map(\.department) == ["case-filing"])
        #expect(b.departmentStandings.allSatisfy { ($0.assessed == 0) == ($0.rank == nil) })
        let md = BulletinMarkdown.render(b)
        #expect(md.contains("| 中院立案庭 | 14 | 1 | 1 | 1/") && !md.contains("| 焦作市中级人民法院 | "), "\(md.prefix(1500))")
    }
}
