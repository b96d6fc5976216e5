import CourtLog
import Dashboard
import Foundation
import HTTPTypes
import Hummingbird
import NodeStore
import NIOCore
import QueryViews
import ServiceLifecycle
import SyncProtocol

/// The web dashboard's routes: authenticate, read the projections, let `Dashboard` render.
/// A browser logs in once with an auditor's token and gets a session cookie (Secure, HttpOnly,
/// SameSite=Strict); a node's client certificate sees its own court; an auditor's bearer token
/// works too (scripts, tests).
extension HubServer {
    static let sessionCookie = "courtsync_session"

    func addDashboardRoutes(to router: Router<HubContext>) {
        router.get(RouterPath(ApiPaths.dashboardLogin)) { _, _ in Self.html(Dashboard.login()) }
        router.post(RouterPath(ApiPaths.dashboardLogin)) { request, context in try await self.login(request, context) }
        router.post(RouterPath(ApiPaths.dashboardLogout)) { request, _ in
            if let id = request.cookies[Self.sessionCookie]?.value { self.live.closeSession(id) }
            var response = Response(status: .seeOther, headers: [.location: "/dashboard/login"])
            response.headers[values: .setCookie] = ["\(Self.sessionCookie)=; Path=/dashboard; Max-Age=0; Secure; HttpOnly; SameSite=Strict"]
            return response
        }
        router.get(RouterPath(ApiPaths.dashboardEvents)) { request, context in try await self.events(request, context) }

        /// A page computed from the stored projections, off the cooperative threads.
        func page(_ path: String, _ body: @escaping @Sendable (ProjectionSource, Request, HubContext, DashboardViewer) throws -> String) {
            router.get(Self.template(path)) { request, context in
                try await self.render(request, context) { viewer in
                    let hub = self.hub
                    return Self.html(try await offload { try body(try ProjectionSource.stored(try hub.projectionStore()), request, context, viewer) })
                }
            }
        }

        page(ApiPaths.dashboard) { source, request, _, viewer in
            try Dashboard.matrix(source, period: request.uri.queryParameters["period"].map(String.init), viewer: viewer)
        }
        page(ApiPaths.dashboardCourt) { source, request, context, viewer in
            try Dashboard.court(source, code: context.parameters.get("court") ?? "", period: request.uri.queryParameters["period"].map(String.init), viewer: viewer)
        }
        page(ApiPaths.dashboardDepartment) { source, request, context, viewer in
            try Dashboard.department(source, slug: context.parameters.get("dept") ?? "", period: request.uri.queryParameters["period"].map(String.init), viewer: viewer)
        }
        page(ApiPaths.dashboardIndicator) { source, request, context, viewer in
            try Dashboard.indicator(source, slug: context.parameters.get("indicator") ?? "", period: request.uri.queryParameters["period"].map(String.init), viewer: viewer)
        }
        page(ApiPaths.dashboardAccountability) { source, request, _, viewer in
            try Dashboard.accountability(source, period: request.uri.queryParameters["period"].map(String.init), viewer: viewer)
        }
        page(ApiPaths.dashboardSuggestions) { source, request, _, viewer in
            let today = CivilDate(utcSeconds: Int64(Date().timeIntervalSince1970) + 8 * 3600)
            return try Dashboard.suggestions(source, on: request.uri.queryParameters["on"].map(String.init), today: today, viewer: viewer)
        }
        page(ApiPaths.dashboardScores) { source, request, _, viewer in
            try Dashboard.scores(source, period: request.uri.queryParameters["period"].map(String.init), viewer: viewer)
        }
        page(ApiPaths.dashboardBulletins) { source, request, _, viewer in
            try Dashboard.bulletins(source, period: request.uri.queryParameters["period"].map(String.init), viewer: viewer)
        }
        router.get(RouterPath(ApiPaths.dashboardSync)) { request, context in
            try await self.render(request, context) { viewer in
                let hub = self.hub
                let states = try await offload { try hub.syncStates() }
                return Self.html(Dashboard.sync(states, now: Int64(Date().timeIntervalSince1970), viewer: viewer))
            }
        }
        router.get(Self.template(ApiPaths.dashboardBulletin)) { request, context in
            try await self.render(request, context) { viewer in
                let file = context.parameters.get("file") ?? ""
                let dot = file.lastIndex(of: ".") ?? file.endIndex
                let period = String(file[..<dot]), format = dot < file.endIndex ? String(file[file.index(after: dot)...]) : ""
                let kind = context.parameters.get("kind") ?? ""
                let hub = self.hub
                let text = try await offload { () throws -> String in
                    let source = try ProjectionSource.stored(try hub.projectionStore())
                    let now = EventTime(beijing: Int64(Date().timeIntervalSince1970)).text
                    let note = "数据来源：焦作市中级人民法院汇总节点，统计截至 \(now)（北京时间）已接收并验证签名的全部使用记录（由数据看板生成）。"
                    return try Dashboard.bulletin(source, kind: kind, period: period, format: format, dataNote: note, viewer: viewer)
                }
                var headers: HTTPFields = [.contentType: format == "html" ? "text/html; charset=utf-8" : "text/markdown; charset=utf-8"]
                if format == "md" { headers[.contentDisposition] = "attachment; filename=\"\(kind)-\(period).md\"" }
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
            }
        }
    }

    /// Who is looking, or nil when nobody is logged in. A client certificate or a bearer token was
    /// checked by the API's own rules (`CallerAuthentication`, which set `caller` or the refusal;
    /// a scraper's token sets neither and is refused here); otherwise the session cookie.
    func viewer(_ request: Request, _ context: HubContext) async throws -> DashboardViewer? {
        if context.caller != nil || context.callerRefusal != nil || request.headers[.authorization] != nil {
            switch try await caller(request, context) {
            case .node(let court): return .court(court)
            case .auditor(let name): return .office(name, session: false)
            }
        }
        if let id = request.cookies[Self.sessionCookie]?.value, let name = live.session(id, now: Int64(Date().timeIntervalSince1970)) {
            return .office(name, session: true)
        }
        return nil
    }

    /// Authenticates (a browser without a session goes to the login page), runs `body`, and turns
    /// a `DashboardError` into a small HTML page with its status.
    func render(_ request: Request, _ context: HubContext, _ body: (DashboardViewer) async throws -> Response) async throws -> Response {
        let viewer: DashboardViewer
        do {
            guard let v = try await self.viewer(request, context) else {
                return Response(status: .seeOther, headers: [.location: "/dashboard/login"])
            }
            viewer = v
        } catch let refusal as HubRefusal {
            return Self.html(Dashboard.errorPage(DashboardError(refusal.status.code, refusal.message), viewer: nil), status: refusal.status)
        }
        do {
            return try await body(viewer)
        } catch let e as DashboardError {
            metrics.refused("dashboard-\(e.status)")
            return Self.html(Dashboard.errorPage(e, viewer: viewer), status: HTTPResponse.Status(code: e.status))
        } catch let e as IncompleteAfterRecovery {
            // A recovered hub still lacks events its tree holds (protocol §16.13): no figures yet.
            return Self.html(Dashboard.errorPage(DashboardError(503, "数据尚不完整：\(e.description)"), viewer: viewer), status: .serviceUnavailable)
        }
    }

    /// POST /dashboard/login with `token=…` (a form): a session cookie and on to the matrix, or
    /// the form again with why.
    func login(_ request: Request, _ context: HubContext) async throws -> Response {
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: 4096) } catch {
            return Self.html(Dashboard.login(error: "请求过大：只需提交令牌"), status: .contentTooLarge)
        }
        let form = Self.formFields(String(buffer: body))
        guard let token = form["token"]?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty else {
            return Self.html(Dashboard.login(error: "请填写令牌"), status: .badRequest)
        }
        let store = hub.log
        guard let name = try await offload({ try store.auditor(token: token) }) else {
            metrics.refused("unauthorized")
            logger.warning("dashboard login refused", metadata: ["reason": "unknown token"])
            return Self.html(Dashboard.login(error: "令牌无效：请使用技术处用 courtsync hub auditor add 发给您的凭据"), status: .unauthorized)
        }
        let id = live.openSession(name: name, now: Int64(Date().timeIntervalSince1970))
        logger.info("dashboard login", metadata: ["auditor": "\(name)"])
        var response = Response(status: .seeOther, headers: [.location: "/dashboard"])
        response.headers[values: .setCookie] = [
            "\(Self.sessionCookie)=\(id); Path=/dashboard; Max-Age=\(DashboardLive.sessionSeconds); Secure; HttpOnly; SameSite=Strict",
        ]
        return response
    }

    /// `text/event-stream`: an `event: sync` line with the court each time a push is stored, a
    /// comment every 15 s to keep proxies from closing the stream. Ends after ten minutes (the
    /// browser reconnects) and at once when the hub shuts down.
    func events(_ request: Request, _ context: HubContext) async throws -> Response {
        try await render(request, context) { viewer in
            let live = self.live
            let own: String? = if case .court(let c) = viewer { c } else { nil }
            let (id, stream) = live.subscribe()
            let body = ResponseBody { writer in
                let ticker = Task {
                    var elapsed = 0
                    while !Task.isCancelled, elapsed < 600 {
                        try? await Task.sleep(for: .seconds(15))
                        elapsed += 15
                        live.send("", to: id)
                    }
                    live.unsubscribe(id)
                }
                defer { ticker.cancel(); live.unsubscribe(id) }
                try await writer.write(ByteBuffer(string: "retry: 3000\n: connected\n\n"))
                try await withGracefulShutdownHandler {
                    for await court in stream {
                        // A node's page reloads only for its own court's syncs.
                        if court.isEmpty { try await writer.write(ByteBuffer(string: ": keep-alive\n\n")); continue }
                        if let own, own != court { continue }
                        try await writer.write(ByteBuffer(string: "event: sync\ndata: \(court)\n\n"))
                    }
                } onGracefulShutdown: {
                    live.unsubscribe(id)
                }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"], body: body)
        }
    }

    /// /metrics: a metrics scraper's token, an auditor's, or an enrolled node's certificate.
    func metricsReader(_ request: Request, _ context: HubContext) async throws {
        if let auth = request.headers[.authorization], auth.hasPrefix("Bearer ") {
            let token = String(auth.dropFirst(7))
            let store = hub.log
            if try await offload({ try store.scraper(token: token) }) != nil { return }
        }
        _ = try await caller(request, context)
    }

    /// Hummingbird's path syntax for the `{name}` parameters of `ApiPaths`.
    static func template(_ path: String) -> RouterPath {
        RouterPath(path.replacingOccurrences(of: "{", with: ":").replacingOccurrences(of: "}", with: ""))
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// `application/x-www-form-urlencoded` fields.
    static func formFields(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
            if let key = parts.first { out[decode(key)] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return out
    }
}
