import CanonicalJSON
import CourtLog
import CourtPlan
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NodeStore
import Testing
@testable import Hub

/// The dashboard's routes in process (HummingbirdTesting, no sockets): who may see what, the
/// login and its cookie, the matrix's shape, refusals as 4xx pages, escaping.
@Suite struct DashboardRouteTests {
    /// A hub with 解放区's September filings (9 of 10 online: below 99%) and an explanation
    /// whose text tries to inject markup.
    struct City {
        let root: String
        let hub: HubDirectory
        let auditorToken: String
        let scraperToken: String

        init(_ name: String = #function) throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-dash-\(name.filter(\.isLetter).prefix(30))-\(UUID().uuidString.prefix(6))").path
            hub = try HubDirectory.create(at: "\(root)/hub", hosts: ["localhost"], ips: ["127.0.0.1"], port: 8443,
                                          operatorCertificate: nil, operatorKey: nil, operatorCA: nil)
            let node = try NodeDirectory.create(at: "\(root)/jiefang", court: try Plan.shipped.court("410802"))
            var drafts: [EventDraft] = []
            for i in 1...10 {
                drafts.append(try EventDraft(id: "f\(i)", type: "case.filed", at: try EventTime(parsing: "2022-09-0\(i % 9 + 1)T09:00:00+08:00"), dept: nil,
                                             data: ["case_no": .string("(2022)豫0802民初\(i)号"), "channel": .string(i <= 9 ? "online" : "offline")]))
            }
            drafts.append(try EventDraft(id: "x1", type: "explanation.filed", at: try EventTime(parsing: "2022-10-05T16:00:00+08:00"), dept: nil,
                                         data: ["unit": "410802", "indicator": "online-filing", "period": "2022-09", "text": "专网故障<script>alert(1)</script>"]))
            _ = try node.append(drafts, recordedAt: 1_664_000_000)
            // Push the log as a node would (the hub's ingest after verification).
            _ = try hub.store.ingest(try node.store.events(of: "410802"), nodeHead: nil, recordedAt: Int64(Date().timeIntervalSince1970))
            auditorToken = try hub.addAuditor(name: "alice")["token"]?.stringValue ?? ""
            scraperToken = try hub.addAuditor(name: "prometheus", role: "metrics")["token"]?.stringValue ?? ""
        }

        func app() -> some ApplicationProtocol {
            Application(router: HubServer(hub: hub, logger: Logger(label: "test")).router())
        }

        func remove() { try? FileManager.default.removeItem(atPath: root) }
    }

    static func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

    @Test func browserWithoutSessionIsSentToLoginAndWrongTokenIsRefused() async throws {
        let city = try City()
        defer { city.remove() }
        try await city.app().test(.router) { client in
            try await client.execute(uri: "/dashboard", method: .get) { r in
                #expect(r.status == .seeOther && r.headers[.location] == "/dashboard/login")
            }
            try await client.execute(uri: "/dashboard/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: "token=nonsense")) { r in
                #expect(r.status == .unauthorized)
                #expect(String(buffer: r.body).contains("令牌无效"))
                #expect(r.headers[.setCookie] == nil)
            }
            try await client.execute(uri: "/dashboard/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: "")) { r in
                #expect(r.status == .badRequest)
            }
            try await client.execute(uri: "/dashboard", method: .get, headers: Self.bearer("wrong")) { r in
                #expect(r.status == .unauthorized)
            }
            try await client.execute(uri: "/dashboard", method: .get, headers: [.cookie: "courtsync_session=forged"]) { r in
                #expect(r.status == .seeOther, "a forged session id is nobody")
            }
        }
    }

    @Test func loginSetsAStrictSecureHttpOnlyCookieThatOpensTheMatrix() async throws {
        let city = try City()
        defer { city.remove() }
        try await city.app().test(.router) { client in
            let cookie = try await client.execute(uri: "/dashboard/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                  body: ByteBuffer(string: "token=\(city.auditorToken)")) { r in
                #expect(r.status == .seeOther && r.headers[.location] == "/dashboard")
                let set = r.headers[.setCookie] ?? ""
                #expect(set.contains("Secure") && set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/dashboard"), "\(set)")
                return String(set.split(separator: ";")[0])
            }
            try await client.execute(uri: "/dashboard?period=2022-09", method: .get, headers: [.cookie: cookie]) { r in
                #expect(r.status == .ok)
                let html = String(buffer: r.body)
                #expect(html.components(separatedBy: #"<tr class="court""#).count - 1 == 11)
                #expect(html.components(separatedBy: #"<th class="indicator""#).count - 1 == 19)
                #expect(html.contains("全市法院") && html.contains("解放区人民法院") && html.contains("合规矩阵 2022年9月"))
                #expect(html.contains("@media print") && !html.contains("src=\"http") && !html.contains("href=\"http"), "printable, no external assets")
            }
            try await client.execute(uri: "/dashboard/logout", method: .post, headers: [.cookie: cookie]) { r in
                #expect(r.status == .seeOther && (r.headers[.setCookie] ?? "").contains("Max-Age=0"))
            }
            try await client.execute(uri: "/dashboard", method: .get, headers: [.cookie: cookie]) { r in
                #expect(r.status == .seeOther, "the session ended at logout")
            }
        }
    }

    @Test func pagesClickThroughAndEscapeWhatCourtsWrote() async throws {
        let city = try City()
        defer { city.remove() }
        let auth = Self.bearer(city.auditorToken)
        try await city.app().test(.router) { client in
            try await client.execute(uri: "/dashboard/court/410802?period=2022-09", method: .get, headers: auth) { r in
                #expect(r.status == .ok && String(buffer: r.body).contains("90.00%"))
            }
            try await client.execute(uri: "/dashboard/indicator/online-filing?period=2022-09", method: .get, headers: auth) { r in
                let html = String(buffer: r.body)
                #expect(r.status == .ok && html.contains("<svg") && html.contains("stroke-dasharray"), "a trend with the threshold line")
            }
            try await client.execute(uri: "/dashboard/dept/case-filing?period=2022-09", method: .get, headers: auth) { r in
                #expect(r.status == .ok && String(buffer: r.body).contains("立案庭"))
            }
            try await client.execute(uri: "/dashboard/accountability?period=2022-09", method: .get, headers: auth) { r in
                let html = String(buffer: r.body)
                #expect(r.status == .ok && html.contains("已说明"))
                #expect(html.contains("专网故障&lt;script&gt;") && !html.contains("<script>alert"), "an explanation's text is escaped")
            }
            try await client.execute(uri: "/dashboard/sync", method: .get, headers: auth) { r in
                let html = String(buffer: r.body)
                #expect(r.status == .ok && html.components(separatedBy: #"<tr class="court""#).count - 1 == 11)
                #expect(html.contains("未接入") && html.contains("孟州市人民法院"), "courts never enrolled are listed too")
            }
            try await client.execute(uri: "/dashboard/bulletins?period=2022-09", method: .get, headers: auth) { r in
                #expect(r.status == .ok && String(buffer: r.body).contains("/dashboard/bulletins/monthly/2022-09.html"))
            }
            try await client.execute(uri: "/dashboard/bulletins/monthly/2022-09.html", method: .get, headers: auth) { r in
                #expect(r.status == .ok && String(buffer: r.body).contains("月通报"))
            }
            try await client.execute(uri: "/dashboard/bulletins/monthly/2022-09.md", method: .get, headers: auth) { r in
                #expect(r.status == .ok && (r.headers[.contentDisposition] ?? "").contains("attachment"))
            }
        }
    }

    @Test func wrongInputIsA4xxPageWithOneSentence() async throws {
        let city = try City()
        defer { city.remove() }
        let auth = Self.bearer(city.auditorToken)
        try await city.app().test(.router) { client in
            for (uri, status) in [("/dashboard?period=2022-13", HTTPResponse.Status.badRequest), ("/dashboard?period=%3Cb%3E", .badRequest),
                                  ("/dashboard/court/999999", .notFound), ("/dashboard/indicator/nope", .notFound),
                                  ("/dashboard/dept/nope", .notFound), ("/dashboard/bulletins/weekly/2022-09.html", .notFound),
                                  ("/dashboard/bulletins/monthly/2022-09.exe", .notFound), ("/dashboard/bulletins/monthly/2021-01.html", .notFound),
                                  ("/dashboard/bulletins/monthly/garbage.html", .badRequest)] {
                try await client.execute(uri: uri, method: .get, headers: auth) { r in
                    #expect(r.status == status, "\(uri)")
                    let html = String(buffer: r.body)
                    #expect(html.contains(#"<p class="alarm">"#) && !html.contains("<b>"), "\(uri): \(html.prefix(300))")
                }
            }
        }
    }

    @Test func aMetricsScraperReadsMetricsAndNothingElse() async throws {
        let city = try City()
        defer { city.remove() }
        try await city.app().test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get, headers: Self.bearer(city.scraperToken)) { r in
                #expect(r.status == .ok && String(buffer: r.body).contains("courtsync_node_lag_events{court=\"410802\"}"))
            }
            try await client.execute(uri: "/metrics", method: .get, headers: Self.bearer(city.auditorToken)) { r in
                #expect(r.status == .ok)
            }
            try await client.execute(uri: "/metrics", method: .get) { r in #expect(r.status == .unauthorized) }
            for uri in ["/dashboard", "/v1/query/compliance?period=2022-09", "/v1/nodes/410802/events"] {
                try await client.execute(uri: uri, method: .get, headers: Self.bearer(city.scraperToken)) { r in
                    #expect(r.status == .unauthorized, "\(uri) must refuse the scraper's token")
                }
            }
        }
    }

    /// The court, department and indicator pages show a staff measure per role, as `query
    /// compliance` and the bulletins do, for a court that keeps its roster by role.
    @Test func aCourtThatKeepsItsRosterByRoleHasRoleRowsOnItsPages() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-dash-roles-\(UUID().uuidString.prefix(6))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let hub = try HubDirectory.create(at: "\(root)/hub", hosts: ["localhost"], ips: ["127.0.0.1"], port: 8443,
                                          operatorCertificate: nil, operatorKey: nil, operatorCA: nil)
        let node = try NodeDirectory.create(at: "\(root)/jiefang", court: try Plan.shipped.court("410802"))
        func at(_ day: String) throws -> EventTime { try EventTime(parsing: "\(day)T09:00:00+08:00") }
        // 解放区's roster by role: 员额法官 4, 书记员 2; on OA in September: 3 judges (j1 twice) and both clerks.
        var drafts = [
            try EventDraft(id: "r1", type: "roster.set", at: at("2022-09-01"), dept: nil, data: ["headcount": 4, "role": "judge"]),
            try EventDraft(id: "r2", type: "roster.set", at: at("2022-09-01"), dept: nil, data: ["headcount": 2, "role": "clerk"]),
        ]
        for (i, staff) in ["j1", "j2", "j3", "j1"].enumerated() {
            drafts.append(try EventDraft(id: "a\(i)", type: "staff.active", at: at("2022-09-1\(i)"), dept: nil,
                                         data: ["staff_id": .string(staff), "app": "oa", "day": .string("2022-09-1\(i)"), "role": "judge"]))
        }
        for (i, staff) in ["c1", "c2"].enumerated() {
            drafts.append(try EventDraft(id: "c\(i)", type: "staff.active", at: at("2022-09-2\(i)"), dept: nil,
                                         data: ["staff_id": .string(staff), "app": "oa", "day": .string("2022-09-2\(i)"), "role": "clerk"]))
        }
        _ = try node.append(drafts, recordedAt: 1_664_000_000)
        _ = try hub.store.ingest(try node.store.events(of: "410802"), nodeHead: nil, recordedAt: Int64(Date().timeIntervalSince1970))
        let token = try hub.addAuditor(name: "alice")["token"]?.stringValue ?? ""
        let app = Application(router: HubServer(hub: hub, logger: Logger(label: "test")).router())
        try await app.test(.router) { client in
            // 员额法官 3 of 4: 3 × 20000 / 4 = 15000 → (15000 + 1) / 2 = 7500 → 75.00%.
            // 书记员 2 of 2 = 100.00%. The whole court: 5 of 4 + 2 = 6: 5 × 20000 / 6 = 16666 → 8333 → 83.33%.
            try await client.execute(uri: "/dashboard/court/410802?period=2022-09", method: .get, headers: Self.bearer(token)) { r in
                let html = String(buffer: r.body)
                #expect(r.status == .ok)
                #expect(html.contains("OA活跃度</a></td><td>5</td><td>6</td><td>83.33%</td>"), "\(html)")
                #expect(html.contains("OA活跃度（员额法官）</a></td><td>3</td><td>4</td><td>75.00%</td>"))
                #expect(html.contains("OA活跃度（书记员）</a></td><td>2</td><td>2</td><td>100.00%</td>"))
                #expect(!html.contains("（法官助理）"), "a role without a roster gets no row")
            }
            try await client.execute(uri: "/dashboard/indicator/oa-activity?period=2022-09", method: .get, headers: Self.bearer(token)) { r in
                let html = String(buffer: r.body)
                #expect(html.contains("（员额法官）</a></td><td>3</td><td>4</td><td>75.00%</td>"), "\(html)")
            }
        }
    }
}
