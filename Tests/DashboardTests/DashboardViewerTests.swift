import Dashboard
import Foundation
import QueryViews
import Testing

/// A court's node (by its client certificate) sees its own court only; the pages are pure
/// functions of the projections, so this is checked without a server.
@Suite struct DashboardViewerTests {
    @Test func aNodeSeesOnlyItsOwnCourt() throws {
        let city = try DashboardRouteTests.City()
        defer { city.remove() }
        let source = try ProjectionSource.stored(city.hub.store)
        let own = DashboardViewer.court("410802")
        let matrix = try Dashboard.matrix(source, period: "2022-09", viewer: own)
        #expect(matrix.components(separatedBy: #"<tr class="court""#).count - 1 == 1 && matrix.contains("解放区人民法院"))
        #expect(!matrix.contains("全市法院") && !matrix.contains("马村区人民法院") && !matrix.contains("通报下载"))
        #expect(throws: DashboardError.self) { try Dashboard.court(source, code: "410804", period: "2022-09", viewer: own) }
        #expect(throws: DashboardError.self) { try Dashboard.bulletins(source, period: "2022-09", viewer: own) }
        #expect(throws: DashboardError.self) { try Dashboard.department(source, slug: "case-filing", period: "2022-09", viewer: own) }
        let trend = try Dashboard.indicator(source, slug: "online-filing", period: "2022-09", viewer: own)
        #expect(trend.contains("趋势：解放区人民法院") && !trend.contains("焦作市中级人民法院</a>"))
        let explain = try Dashboard.accountability(source, period: "2022-09", viewer: .court("410804"))
        #expect(explain.contains("应说明 0 项"), "another court's misses are not shown")
        // An office viewer with no data in a period gets the page, not an error; no data at all is a 404.
        let empty = try Dashboard.matrix(source, period: "2030-01", viewer: .office("alice", session: false))
        #expect(empty.contains("合规矩阵 2030年1月"))
    }

    @Test func lastPushIsShownInBeijingTime() {
        #expect(CourtSyncState.beijing(0) == "1970-01-01 08:00:00")
        #expect(CourtSyncState.beijing(1_690_851_000) == "2023-08-01 08:50:00")
        #expect(CourtSyncState.beijing(951_782_400 - 8 * 3600) == "2000-02-29 00:00:00", "a leap day")
        let s = CourtSyncState(court: "410802", name: "解放区人民法院", enrollment: nil, heldSeq: 5, reportedSeq: 9, lastPush: 100, alarms: 0)
        #expect(s.lagEvents == 4 && s.enrollmentText == "未接入" && s.sinceText(now: 100 + 7200) == "2 小时前")
    }
}
