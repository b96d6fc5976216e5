import CanonicalJSON
import CourtLog
import Dashboard
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NodeStore
import QueryViews
import Testing
@testable import Hub

/// The working loop's pages (意见建议, 考核得分) and query routes, in process: what each viewer
/// sees, the figures computed by hand, refusals as one-sentence pages.
@Suite struct DashboardLoopTests {
    /// The route tests' city (解放区 in 2022-09: 9 of 10 filings online, explained on 10-05) and,
    /// in 410800's log: a 10-day answer limit, two problems raised by 民一庭, and 考核 rules.
    static func city(_ name: String = #function) throws -> DashboardRouteTests.City {
        let city = try DashboardRouteTests.City(name)
        func draft(_ id: String, _ type: String, _ at: String, _ data: [String: JSONValue]) throws -> EventDraft {
            try EventDraft(id: id, type: type, at: try EventTime(parsing: at), dept: "tech", data: data)
        }
        let drafts = [
            try draft("l1", "loop_limit.set", "2022-09-01T09:00:00+08:00", ["limit": "suggestion-answer", "days": 10, "effective": "2022-09-01", "document": "d"]),
            try draft("s1", "suggestion.raised", "2022-09-20T09:00:00+08:00",
                      ["unit": "civil-1", "suggestion": "S-1", "kind": "problem", "system": "online-filing", "text": "网上立案<b>卡顿</b>"]),
            try draft("s2", "suggestion.raised", "2022-10-05T09:00:00+08:00",
                      ["unit": "civil-1", "suggestion": "S-2", "kind": "suggestion", "system": "online-filing", "text": "增加批量立案"]),
            try draft("k1", "score_standard.set", "2022-09-01T09:00:00+08:00",
                      ["lead": "case-filing", "indicator": "online-filing", "weight": 10, "scoring": "bands", "bands": ["9900:100", "9000:50"],
                       "effective": "2022-09-01", "document": "焦中法立〔2022〕9号"]),
            try draft("k2", "score_rules.set", "2022-09-01T09:00:00+08:00",
                      ["late_explanation": 100, "missing_explanation": 300, "external_per_10k": 3000, "effective": "2022-09-01", "document": "焦中法〔2022〕90号"]),
            try draft("k3", "external_score.recorded", "2022-10-08T09:00:00+08:00", ["unit": "410802", "period": "2022-09", "line": "审判管理", "score": 9000]),
        ]
        _ = try city.hub.node.append(drafts, recordedAt: 1_665_000_000)
        return city
    }

    @Test func suggestionsShowAgeAndOverduePerDepartmentToTheOfficeAndOwnItemsToACourt() throws {
        let city = try Self.city()
        defer { city.remove() }
        let source = try ProjectionSource.stored(city.hub.store)
        // On 2022-10-10: S-1 is 20 days old (09-20 → 10-10) > 10 → overdue; S-2 is 5 days old.
        let html = try Dashboard.suggestions(source, on: "2022-10-10", today: CivilDate(year: 2030, month: 1, day: 1), viewer: .office("alice", session: false))
        #expect(html.contains("未办结 2 件，其中待答复 2 件，逾期 1 件") && html.contains("答复时限 10 天"), "\(html)")
        // Both go to 立案庭, the lead of 网上立案 in the plan: one department line, 2 open, oldest 20, 1 overdue.
        #expect(html.contains(#"<td class="name">立案庭</td><td>2</td><td>2</td><td>0</td><td>20</td><td class="missed">1</td>"#), "\(html)")
        // Overdue first; the text a department wrote is escaped.
        let s1 = try #require(html.range(of: "civil-1/S-1")), s2 = try #require(html.range(of: "civil-1/S-2"))
        #expect(s1.lowerBound < s2.lowerBound && html.contains(#"<tr class="overdue"><td class="name">civil-1/S-1</td>"#))
        #expect(html.contains("网上立案&lt;b&gt;卡顿") && !html.contains("<b>卡顿"))
        #expect(html.contains(#"href="/dashboard/suggestions" class="active""#), "the nav marks the page")
        // A grassroots court raised nothing: it sees none of 410800's items.
        let node = try Dashboard.suggestions(source, on: "2022-10-10", today: CivilDate(year: 2030, month: 1, day: 1), viewer: .court("410802"))
        #expect(!node.contains("civil-1/S-1") && node.contains("没有未办结"))
        #expect(throws: DashboardError.self) { try Dashboard.suggestions(source, on: "2022-10-32", today: CivilDate(year: 2030, month: 1, day: 1), viewer: .court("410802")) }
    }

    @Test func scoresAreRankedWithEachIndicatorsPointsAndTheBusinessLineWeighted() throws {
        let city = try Self.city()
        defer { city.remove() }
        let source = try ProjectionSource.stored(city.hub.store)
        // 解放区 2022-09: 9/10 = 90.00% ≥ 90% band → 50% of 10 points = 5.00/10 → 考核分 50.00;
        // total = 50.00 × 70% + 90.00 × 30% = 35.00 + 27.00 = 62.00. The only court with data: 1/1.
        let html = try Dashboard.scores(source, period: "2022-09", viewer: .office("alice", session: false))
        #expect(html.contains(#"<tr data-unit="410802"><td>1/1</td>"#) && html.contains("<b>62.00</b>"), "\(html)")
        #expect(html.contains("5.00/10<br><span class=\"how\">分档 ≥ 90.00% 得 50%</span>") && html.contains("<td>50.00</td><td>90.00</td><td>0</td>"), "\(html)")
        #expect(html.contains("考核分 × 70.00% + 条线评分 × 30.00%"), "\(html)")
        #expect(html.contains(#"style="width:62%""#), "the bar is the total")
        // A court's node sees its own row; another court sees no one's.
        #expect(try Dashboard.scores(source, period: "2022-09", viewer: .court("410802")).contains("<b>62.00</b>"))
        let other = try Dashboard.scores(source, period: "2022-09", viewer: .court("410803"))
        #expect(!other.contains("62.00") && other.contains("没有可计分的单位"))
        #expect(throws: DashboardError.self) { try Dashboard.scores(source, period: "2022-99", viewer: .court("410802")) }
    }

    @Test func theLoopPagesAndQueriesAreServedBehindTheSameAuth() async throws {
        let city = try Self.city()
        defer { city.remove() }
        let auth = DashboardRouteTests.bearer(city.auditorToken)
        try await city.app().test(.router) { client in
            for uri in ["/dashboard/suggestions", "/dashboard/scores", "/v1/query/scores?period=2022-09", "/v1/query/suggestions"] {
                try await client.execute(uri: uri, method: .get) { r in
                    #expect(r.status == .seeOther || r.status == .unauthorized, "\(uri) without a credential: \(r.status)")
                }
            }
            try await client.execute(uri: "/dashboard", method: .get, headers: auth) { r in
                let html = String(buffer: r.body)
                #expect(html.contains(#"<a href="/dashboard/suggestions">意见建议</a>"#) && html.contains(#"<a href="/dashboard/scores?period=2022-09">考核得分</a>"#))
            }
            try await client.execute(uri: "/dashboard/scores?period=2022-09", method: .get, headers: auth) { r in
                #expect(r.status == .ok && String(buffer: r.body).contains("<b>62.00</b>"))
            }
            try await client.execute(uri: "/dashboard/suggestions?on=2022-10-10", method: .get, headers: auth) { r in
                #expect(r.status == .ok && String(buffer: r.body).contains("逾期 1 件"))
            }
            for uri in ["/dashboard/scores?period=2022-13", "/dashboard/suggestions?on=yesterday"] {
                try await client.execute(uri: uri, method: .get, headers: auth) { r in
                    #expect(r.status == .badRequest && String(buffer: r.body).contains(#"<p class="alarm">"#), "\(uri)")
                }
            }
            try await client.execute(uri: "/v1/query/scores?period=2022-09", method: .get, headers: auth) { r in
                let body = String(buffer: r.body)
                #expect(r.status == .ok && body.contains(#""total":6200"#) && body.contains(#""internal_score":5000"#), "\(body)")
            }
            try await client.execute(uri: "/v1/query/suggestions?on=2022-10-10&dept=case-filing", method: .get, headers: auth) { r in
                let body = String(buffer: r.body)
                #expect(r.status == .ok && body.contains(#""age_days":20"#) && body.contains(#""overdue":true"#), "\(body)")
            }
            for uri in ["/v1/query/scores", "/v1/query/suggestions?all=maybe", "/v1/query/suggestions?dept=nope"] {
                try await client.execute(uri: uri, method: .get, headers: auth) { r in
                    #expect(r.status == .badRequest, "\(uri): \(String(buffer: r.body))")
                }
            }
        }
    }
}
