import Bulletins
import CourtLog
import CourtPlan
import Projections
import QueryViews

/// A request the dashboard refuses: an HTTP status and one sentence saying what to do.
public struct DashboardError: Error, Sendable {
    public let status: Int
    public let message: String
    public init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }
}

/// The hub's web dashboard as server-rendered HTML: the courts × indicators matrix, a court, a
/// department, an indicator with its trend, who must explain, each court's sync state and the
/// bulletins. Pure functions of the projections; the hub's routes only authenticate and call.
public enum Dashboard {
    /// The period asked for, or the latest month with usage.
    static func period(_ text: String?, _ source: ProjectionSource) throws -> Period {
        if let text, !text.isEmpty {
            do { return try Period(parsing: text) } catch {
                throw DashboardError(400, "期间 '\(text)' 无效：请用 \(Period.acceptedForms)")
            }
        }
        guard let last = try source.months().last else { throw DashboardError(404, "尚无任何使用记录：各法院节点同步后再来查看") }
        return try Period(parsing: last)
    }


    static func cssClass(_ s: ComplianceStatus) -> String {
        switch s {
        case .met: "met"
        case .missed: "missed"
        case .notAssessed: "notAssessed"
        case .noData: "noData"
        case .dataProblem: "dataProblem"
        }
    }

    static func periodForm(_ action: String, _ p: Period, months: [String]) -> String {
        var html = #"<form class="period" method="get" action="\#(HTML.escape(action))"><label>期间 <select name="period">"#
        var options = months.reversed().map { $0 }
        if !options.contains(p.description) { options.insert(p.description, at: 0) }
        for m in options {
            html += #"<option value="\#(HTML.escape(m))"\#(m == p.description ? " selected" : "")>\#(HTML.escape(Bulletin.chinese((try? Period(parsing: m)) ?? p)))</option>"#
        }
        return html + #"</select></label> <button type="submit">查看</button></form>"#
    }

    static let legend = #"<p class="legend">✓ 达标　✗ 未达标　– 不考核（暂无标准）　· 无数据　! 数据异常　（点击法院、指标查看明细）</p>"#

    // MARK: pages

    /// The courts × indicators matrix of a period. A court's node sees only its own row.
    public static func matrix(_ source: ProjectionSource, period text: String?, viewer: DashboardViewer) throws -> String {
        let p = try period(text, source)
        let plan = source.plan
        let projection = source.projection
        let counts = try source.counts(p.description)
        let q = "?period=" + HTML.query(p.description)
        var body = periodForm("/dashboard", p, months: try source.months()) + legend
        body += #"<table class="matrix"><thead><tr><th class="name">法院</th>"#
        for ind in plan.indicators {
            body += #"<th class="indicator" title="\#(HTML.escape(ind.name))"><a href="/dashboard/indicator/\#(HTML.escape(ind.slug))\#(q)">\#(HTML.escape(ind.code))</a><span class="iname">\#(HTML.escape(ind.name))</span></th>"#
        }
        body += "<th>达标</th></tr></thead><tbody>"
        let units = plan.courts.map(\.code).filter { viewer.maySee(court: $0) } + (viewer.isOffice ? [Attribution.city] : [])
        for unit in units {
            let rows = plan.indicators.map { projection.row($0, unit: unit, counts: counts, period: p) }
            let assessed = rows.filter { $0.status == .met || $0.status == .missed }.count
            let name = projection.unitName(unit)
            let isCity = unit == Attribution.city
            body += isCity ? #"<tr class="city"><td class="name">\#(HTML.escape(name))</td>"#
                : #"<tr class="court" data-court="\#(HTML.escape(unit))"><td class="name"><a href="/dashboard/court/\#(HTML.escape(unit))\#(q)">\#(HTML.escape(name))</a></td>"#
            for r in rows {
                let tip = "\(r.indicatorName)：\(r.valueText)（标准 \(r.thresholdText)）\(r.status.chinese)"
                body += #"<td class="\#(cssClass(r.status))" title="\#(HTML.escape(tip))">\#(r.status.mark)</td>"#
            }
            body += "<td>\(rows.filter { $0.status == .met }.count)/\(assessed)</td></tr>"
        }
        body += "</tbody></table>"
        if viewer.isOffice {
            // The intermediate court's departments answer for indicators too: one click away.
            body += #"<p class="departments">中院各部门："# + plan.departments.map {
                #"<a href="/dashboard/dept/\#(HTML.escape($0.slug))\#(q)">\#(HTML.escape($0.name))</a>"#
            }.joined(separator: "　") + "</p>"
        }
        for problem in projection.dataProblems(counts: counts) where viewer.maySee(court: problem.unit) {
            body += #"<p class="alarm">数据异常：\#(HTML.escape(problem.unitName)) \#(HTML.escape(problem.chinese))（\#(problem.count) 件审查早于申请）</p>"#
        }
        return DashboardLayout.page(title: "合规矩阵 \(Bulletin.chinese(p))", viewer: viewer, active: "matrix", period: p.description, body: body)
    }

    /// One court's compliance rows, indicator by indicator.
    public static func court(_ source: ProjectionSource, code: String, period text: String?, viewer: DashboardViewer) throws -> String {
        let plan = source.plan
        guard let court = try? plan.court(code) else { throw DashboardError(404, "没有法院 '\(code)'：请从合规矩阵点击法院") }
        guard viewer.maySee(court: court.code) else { throw DashboardError(403, "法院节点只能查看本院：\(court.name) 不是本院") }
        let p = try period(text, source)
        let rows = source.projection.compliance(period: p, counts: try source.counts(p.description), court: court.code, byRole: true)
        let body = periodForm("/dashboard/court/\(court.code)", p, months: try source.months()) + rowsTable(rows, period: p, firstColumn: .indicator)
        return DashboardLayout.page(title: "\(court.name) \(Bulletin.chinese(p))", viewer: viewer, active: "matrix", period: p.description, body: body)
    }

    /// One department of the intermediate court: the indicators it answers for.
    public static func department(_ source: ProjectionSource, slug: String, period text: String?, viewer: DashboardViewer) throws -> String {
        guard viewer.isOffice else { throw DashboardError(403, "中院各部门的情况只对审计员和领导小组办公室开放") }
        guard let dept = try? source.plan.department(slug) else { throw DashboardError(404, "没有部门 '\(slug)'：请从法院页面点击部门") }
        let p = try period(text, source)
        let rows = source.projection.compliance(period: p, counts: try source.counts(p.description), department: dept.slug, byRole: true)
        let body = periodForm("/dashboard/dept/\(dept.slug)", p, months: try source.months()) + rowsTable(rows, period: p, firstColumn: .indicator)
        return DashboardLayout.page(title: "\(dept.name) \(Bulletin.chinese(p))", viewer: viewer, active: "matrix", period: p.description, body: body)
    }

    /// One indicator: its trend over twelve months to the period (with the threshold line), and
    /// every unit's figure in the period.
    public static func indicator(_ source: ProjectionSource, slug: String, period text: String?, viewer: DashboardViewer) throws -> String {
        guard let ind = try? source.plan.indicator(slug) else { throw DashboardError(404, "没有指标 '\(slug)'：请从合规矩阵点击指标") }
        let p = try period(text, source)
        let projection = source.projection
        var unit = Attribution.city
        if case .court(let own) = viewer { unit = own }
        // Twelve months to the period, from the first month with any usage (none before the plan).
        var periods: [Period] = [p]
        let first = try source.months().first.flatMap { try? Period(parsing: $0) }
        if case .month = p, let first {
            while periods.count < 12, periods[0].previous >= first { periods.insert(periods[0].previous, at: 0) }
        }
        let points = projection.trend(ind, unit: unit, periods: try periods.map { ($0, try source.counts($0.description)) })
        let chartPoints = points.map { Bulletin.TrendPoint.of(period: $0.row.period, valuePer10k: $0.row.valuePer10k, valueText: $0.row.valueText, thresholdPer10k: $0.row.thresholdPer10k) }
        var body = periodForm("/dashboard/indicator/\(ind.slug)", p, months: try source.months())
        body += "<h2>趋势：\(HTML.escape(projection.unitName(unit)))（实线为数值，虚线为标准，红点为未达标）</h2>"
        let svg = TrendChart.svg(chartPoints, unit: ind.unit, title: "\(ind.code) \(ind.name) \(projection.unitName(unit))")
        body += svg.isEmpty ? #"<p class="muted">这一时段没有数据，无法绘制趋势。</p>"# : #"<div class="chart">\#(svg)</div>"#
        body += #"<table class="trend"><thead><tr><th>期间</th><th>分子</th><th>分母</th><th>值</th><th>标准</th><th>状态</th><th>基层排名</th></tr></thead><tbody>"#
        for pt in points {
            let r = pt.row
            body += #"<tr><td>\#(HTML.escape(r.period))</td><td>\#(r.numerator)</td><td>\#(r.denominator)</td><td>\#(HTML.escape(r.valueText))</td><td>\#(HTML.escape(r.thresholdText))</td><td class="\#(cssClass(r.status))">\#(r.status.chinese)</td><td>\#(pt.rank.map { "\($0)/\(pt.ranked)" } ?? "—")</td></tr>"#
        }
        body += "</tbody></table>"
        let rows = projection.compliance(period: p, counts: try source.counts(p.description), byRole: true).filter {
            $0.indicator == ind.slug && (viewer.isOffice || $0.unit == unit)
        }
        body += "<h2>\(HTML.escape(Bulletin.chinese(p)))各单位</h2>" + rowsTable(rows, period: p, firstColumn: .unit)
        return DashboardLayout.page(title: "\(ind.code) \(ind.name)", viewer: viewer, active: "matrix", period: p.description, body: body)
    }

    enum FirstColumn { case indicator, unit }

    static func rowsTable(_ rows: [ComplianceRow], period p: Period, firstColumn: FirstColumn) -> String {
        guard !rows.isEmpty else { return #"<p class="muted">没有需要显示的指标。</p>"# }
        let q = "?period=" + HTML.query(p.description)
        var html = #"<table class="rows"><thead><tr><th class="name">\#(firstColumn == .indicator ? "指标" : "单位")</th><th>分子</th><th>分母</th><th>值</th><th>标准</th><th>状态</th></tr></thead><tbody>"#
        for r in rows {
            let first: String
            switch firstColumn {
            case .indicator:
                first = #"<a href="/dashboard/indicator/\#(HTML.escape(r.indicator))\#(q)">\#(HTML.escape(r.indicatorLabel))</a>"#
            case .unit:
                let href = r.unitKind == "court" ? "/dashboard/court/\(r.unit)" : r.unitKind == "department" ? "/dashboard/dept/\(r.unit)" : nil
                let label = r.unitName + (r.unitKind == "department" ? "（中院部门）" : "") + (r.stage.map { $0 == "filing" ? "（立案阶段）" : "（审判阶段）" } ?? "")
                    + (r.role.map { "（\(ComplianceRow.roleName($0))）" } ?? "")
                first = href.map { #"<a href="\#(HTML.escape($0))\#(q)">\#(HTML.escape(label))</a>"# } ?? HTML.escape(label)
            }
            html += #"<tr><td class="name">\#(first)</td><td>\#(r.numerator)</td><td>\#(r.denominator)</td><td>\#(HTML.escape(r.valueText))</td><td>\#(HTML.escape(r.thresholdText))</td><td class="\#(cssClass(r.status))">\#(r.status.chinese)\#(r.problem.map { "：" + HTML.escape($0) } ?? "")</td></tr>"#
        }
        return html + "</tbody></table>"
    }

    /// Who must explain the period's misses to the leading group, and whether they have.
    public static func accountability(_ source: ProjectionSource, period text: String?, viewer: DashboardViewer) throws -> String {
        let p = try period(text, source)
        var entries = source.projection.accountability(period: p, counts: try source.counts(p.description))
        if case .court(let own) = viewer { entries = entries.filter { $0.unit == own } }
        let q = "?period=" + HTML.query(p.description)
        var body = periodForm("/dashboard/accountability", p, months: try source.months())
        body += "<p>应说明 \(entries.count) 项，已说明 \(entries.filter(\.explained).count) 项，未说明 \(entries.filter { !$0.explained }.count) 项。</p>"
        guard !entries.isEmpty else {
            return DashboardLayout.page(title: "说明情况 \(Bulletin.chinese(p))", viewer: viewer, active: "accountability", period: p.description,
                                        body: body + #"<p class="muted">本期没有需要说明情况的单位。</p>"#)
        }
        body += #"<table class="accountability"><thead><tr><th class="name">单位</th><th>指标</th><th>原因</th><th>情况</th><th>状态</th><th class="text">说明内容</th></tr></thead><tbody>"#
        for e in entries {
            let unitCell = source.plan.courts.contains { $0.code == e.unit } && viewer.maySee(court: e.unit)
                ? #"<a href="/dashboard/court/\#(HTML.escape(e.unit))\#(q)">\#(HTML.escape(e.unitName))</a>"# : HTML.escape(e.unitName)
            let texts = e.explanations.map { HTML.escape($0.text) + #" <span class="muted">（\#(HTML.escape($0.at))）</span>"# }.joined(separator: "<br>")
            body += #"<tr><td class="name">\#(unitCell)</td><td class="name"><a href="/dashboard/indicator/\#(HTML.escape(e.indicator))\#(q)">\#(HTML.escape(e.indicatorName))</a></td><td class="nowrap">\#(e.reason == .belowThreshold ? "未达标" : "未进入第一方阵")</td><td class="nowrap">\#(HTML.escape(e.detail))</td><td class="nowrap \#(e.explained ? "met" : "missed")">\#(e.explained ? "已说明" : "未说明")</td><td class="text">\#(texts)</td></tr>"#
        }
        body += "</tbody></table>"
        return DashboardLayout.page(title: "说明情况 \(Bulletin.chinese(p))", viewer: viewer, active: "accountability", period: p.description, body: body)
    }

    /// Every court of the plan: enrolled or not, last push, lag, alarms.
    public static func sync(_ states: [CourtSyncState], now: Int64, viewer: DashboardViewer) -> String {
        let shown = states.filter { viewer.maySee(court: $0.court) }
        var body = #"<table class="sync"><thead><tr><th class="name">法院</th><th>接入</th><th>汇总节点已收到</th><th>节点报告</th><th>滞后（条）</th><th>最后同步（北京时间）</th><th>距今</th><th>告警</th></tr></thead><tbody>"#
        for s in shown {
            body += #"<tr class="court" data-court="\#(HTML.escape(s.court))"><td class="name">\#(HTML.escape(s.court)) \#(HTML.escape(s.name))</td><td>\#(s.enrollmentText)</td><td>\#(s.heldSeq)</td><td>\#(s.reportedSeq.map(String.init) ?? "—")</td><td>\#(s.lagEvents)</td><td>\#(s.lastPush.map(CourtSyncState.beijing) ?? "—")</td><td>\#(s.court == PolicyAuthority.intermediateCourt ? "汇总节点本身" : s.sinceText(now: now))</td><td\#(s.alarms > 0 ? #" class="alarm""# : "")>\#(s.alarms > 0 ? "分叉告警 \(s.alarms)" : "无")</td></tr>"#
        }
        body += "</tbody></table>"
        body += #"<p class="legend">滞后：节点上次推送时报告持有、汇总节点尚未收到的事件数。分叉告警：同一序号出现两条有效签名的不同事件，需技术处核查。</p>"#
        return DashboardLayout.page(title: "各院同步状态", viewer: viewer, active: "sync", period: nil, body: body)
    }

    /// The bulletins that can be downloaded for a period (rendered on request by the Bulletins module).
    public static func bulletins(_ source: ProjectionSource, period text: String?, viewer: DashboardViewer) throws -> String {
        guard viewer.isOffice else { throw DashboardError(403, "通报涉及全市各院，只对审计员和领导小组办公室开放") }
        let p = try period(text, source)
        guard case .month(let y, let m) = p else { throw DashboardError(400, "请选择一个月份，例如 2023-07") }
        var body = periodForm("/dashboard/bulletins", p, months: try source.months())
        body += #"<table class="bulletins"><thead><tr><th class="name">通报</th><th>网页（可打印）</th><th>Markdown</th></tr></thead><tbody>"#
        let half = Period.half(year: y, half: m <= 6 ? 1 : 2)
        for (kind, period) in [(Bulletin.Kind.monthly, p), (.halfYear, half), (.annual, .year(y))] {
            let has = !(try source.counts(period.description)).isEmpty
            let base = "/dashboard/bulletins/\(kind.rawValue)/\(period.description)"
            let title = "\(Bulletin.chinese(period))\(kind.title)"
            body += has
                ? #"<tr><td class="name">\#(HTML.escape(title))</td><td><a href="\#(base).html">下载 HTML</a></td><td><a href="\#(base).md" download>下载 .md</a></td></tr>"#
                : #"<tr><td class="name">\#(HTML.escape(title))</td><td colspan="2" class="muted">该期间没有使用记录</td></tr>"#
        }
        body += "</tbody></table>"
        return DashboardLayout.page(title: "通报下载", viewer: viewer, active: "bulletins", period: p.description, body: body)
    }

    /// A bulletin rendered by the Bulletins module, in `html` or `md`.
    public static func bulletin(_ source: ProjectionSource, kind: String, period text: String, format: String, dataNote: String,
                                viewer: DashboardViewer) throws -> String {
        guard viewer.isOffice else { throw DashboardError(403, "通报涉及全市各院，只对审计员和领导小组办公室开放") }
        guard let k = Bulletin.Kind(rawValue: kind) else { throw DashboardError(404, "没有 '\(kind)' 这种通报：monthly、half-year 或 annual") }
        guard format == "html" || format == "md" else { throw DashboardError(404, "通报格式只有 .html 和 .md") }
        let p: Period
        do { p = try Period(parsing: text) } catch { throw DashboardError(400, "期间 '\(text)' 无效：请用 \(Period.acceptedForms)") }
        let bulletin: Bulletin
        do {
            bulletin = try Bulletin.make(kind: k, period: p, projection: source.projection, counts: source.counts, dataNote: dataNote)
        } catch let e as EventError {
            throw DashboardError(404, "无法生成通报：\(e.description)")
        }
        return format == "html" ? BulletinHTML.render(bulletin) : BulletinMarkdown.render(bulletin)
    }

    /// The login form: the auditor's token once, then a session cookie.
    public static func login(error: String? = nil) -> String {
        var body = ""
        if let error { body += #"<p class="alarm" role="alert">\#(HTML.escape(error))</p>"# }
        body += """
            <p>请输入技术处发给您的审计凭据中的令牌（<code>courtsync hub auditor add</code> 生成的文件里的 <code>token</code>）。登录后本浏览器会话有效 12 小时。</p>
            <form method="post" action="/dashboard/login" class="login">
            <label>令牌 token <input type="password" name="token" id="token" autocomplete="current-password" required size="48"></label>
            <button type="submit" id="login">登录</button>
            </form>
            """
        return DashboardLayout.page(title: "登录", viewer: .office("未登录", session: false), active: "", period: nil, body: body, live: false)
    }

    /// A refusal as a small page (a person's browser, not a JSON client).
    public static func errorPage(_ error: DashboardError, viewer: DashboardViewer?) -> String {
        let body = #"<p class="alarm">\#(HTML.escape(error.message))</p><p><a href="/dashboard">返回合规矩阵</a>　<a href="/dashboard/login">登录</a></p>"#
        return DashboardLayout.page(title: "无法显示（\(error.status)）", viewer: viewer ?? .office("未登录", session: false), active: "", period: nil, body: body, live: false)
    }
}
