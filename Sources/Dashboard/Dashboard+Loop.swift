import Bulletins
import CourtLog
import CourtPlan
import Projections
import QueryViews

/// The plan's working loop on the dashboard: 意见建议 still open per responsible department, with
/// their age and those past the answer limit; 考核 scores of a period, ranked, with what each
/// indicator contributed. The same projections `courtsync query suggestions|scores` read.
extension Dashboard {
    /// The day asked for (`on=YYYY-MM-DD`), or today in UTC+08:00.
    static func day(_ text: String?, today: CivilDate) throws -> CivilDate {
        guard let text, !text.isEmpty else { return today }
        do { return try CivilDate(parsing: text) } catch {
            throw DashboardError(400, "日期 '\(text)' 无效：请用 YYYY-MM-DD，例如 2023-03-01")
        }
    }

    /// 意见建议 and problems not closed: a line per responsible department (open, oldest, overdue),
    /// then every item. A court's node sees the items its court raised.
    public static func suggestions(_ source: ProjectionSource, on text: String?, today: CivilDate, viewer: DashboardViewer) throws -> String {
        let day = try day(text, today: today)
        let loop = source.policy.loop
        let projection = source.projection
        let name: (String) -> String = { $0 == "office" ? "领导小组办公室" : projection.unitName($0) }
        var items = loop.suggestions.filter { $0.status != .closed }
        if case .court(let own) = viewer { items = items.filter { $0.unit == own } }
        let limit = loop.limit("suggestion-answer", on: day)
        var body = #"<form class="period" method="get" action="/dashboard/suggestions"><label>统计日 <input type="date" name="on" value="\#(HTML.escape(day.text))"></label> <button type="submit">查看</button></form>"#
        body += "<p>截至 \(HTML.escape(day.text))：未办结 \(items.count) 件，其中待答复 \(items.filter { $0.status == .open }.count) 件，逾期 \(items.filter { loop.isOverdue($0, on: day) }.count) 件。"
        body += (limit.map { "答复时限 \($0) 天（领导小组办公室设定）。" } ?? "尚未设定答复时限（loop_limit.set suggestion-answer），不计逾期。") + "</p>"
        guard !items.isEmpty else {
            return DashboardLayout.page(title: "意见建议和问题", viewer: viewer, active: "suggestions", period: nil,
                                        body: body + #"<p class="muted">没有未办结的意见建议和问题。</p>"#)
        }
        body += "<h2>各承办部门</h2>"
        body += #"<table class="departments"><thead><tr><th class="name">承办部门</th><th>未办结</th><th>待答复</th><th>已答复待办结</th><th>最久（天）</th><th>逾期</th></tr></thead><tbody>"#
        let departments = Dictionary(grouping: items, by: \.routedTo).map { (dept: $0.key, items: $0.value) }
            .sorted { a, b in
                let (oa, ob) = (a.items.filter { loop.isOverdue($0, on: day) }.count, b.items.filter { loop.isOverdue($0, on: day) }.count)
                return (oa, a.items.count, b.dept) > (ob, b.items.count, a.dept)
            }
        for d in departments {
            let overdue = d.items.filter { loop.isOverdue($0, on: day) }.count
            let oldest = d.items.map { WorkingLoop.days(from: $0.clockFrom, to: day) }.max() ?? 0
            body += #"<tr><td class="name">\#(HTML.escape(name(d.dept)))</td><td>\#(d.items.count)</td><td>\#(d.items.filter { $0.status == .open }.count)</td><td>\#(d.items.filter { $0.status == .answered }.count)</td><td>\#(oldest)</td><td\#(overdue > 0 ? #" class="missed""# : "")>\#(overdue)</td></tr>"#
        }
        body += "</tbody></table>"
        body += "<h2>逐项（逾期在前，按天数）</h2>"
        body += #"<table class="suggestions"><thead><tr><th class="name">编号</th><th>提出单位</th><th>类别</th><th>系统</th><th>承办部门</th><th>提出日期</th><th>状态</th><th>天数</th><th>逾期</th><th class="text">内容</th></tr></thead><tbody>"#
        let ordered = items.sorted {
            let (a, b) = (loop.isOverdue($0, on: day), loop.isOverdue($1, on: day))
            return a != b ? a : WorkingLoop.days(from: $0.clockFrom, to: day) > WorkingLoop.days(from: $1.clockFrom, to: day)
        }
        for s in ordered {
            let overdue = loop.isOverdue(s, on: day)
            let system = s.system.map { slug in (try? source.plan.indicator(slug)).map { $0.name } ?? slug } ?? "—"
            let status = s.status == .open ? "待答复" : "已答复"
            body += #"<tr class="\#(overdue ? "overdue" : "open")"><td class="name">\#(HTML.escape(s.ref))</td><td class="name">\#(HTML.escape(name(s.unit)))</td><td>\#(s.kind == "problem" ? "问题" : "建议")</td><td class="name">\#(HTML.escape(system))</td><td class="name">\#(HTML.escape(name(s.routedTo)))\#(s.escalated ? "（已升级）" : "")</td><td class="nowrap">\#(HTML.escape(s.raisedDay.text))</td><td>\#(status)</td><td>\#(WorkingLoop.days(from: s.clockFrom, to: day))</td><td\#(overdue ? #" class="missed""# : "")>\#(overdue ? "逾期" : "")</td><td class="text">\#(HTML.escape(s.text))</td></tr>"#
        }
        body += "</tbody></table>"
        body += #"<p class="legend">天数自提出（升级后自升级）之日起算至统计日。承办部门为方案中该系统的牵头部门；逾期事项由技术处提交双周例会。</p>"#
        return DashboardLayout.page(title: "意见建议和问题", viewer: viewer, active: "suggestions", period: nil, body: body)
    }

    /// 考核 scores of a period: the grassroots courts ranked, then the 中院 departments, each with
    /// what every indicator contributed, deductions, the business lines' score and the total.
    /// A court's node sees its own row (with its rank).
    public static func scores(_ source: ProjectionSource, period text: String?, viewer: DashboardViewer) throws -> String {
        let p = try period(text, source)
        let day = QueryViews.scoreDay(source, period: p)
        let all = source.projection.scores(period: p, counts: try source.counts(p.description), on: day)
        let shown = all.filter { $0.unitKind == "department" ? viewer.isOffice : viewer.maySee(court: $0.unit) }
        let pts = Projection.points
        var body = periodForm("/dashboard/scores", p, months: try source.months())
        let rules = ScoreStandards(policy: source.policy).rules(on: p.lastDay)
        let w = rules?.externalPer10k ?? 0
        body += "<p>总分 = 考核分 × \(pts(10_000 - w))% + 条线评分 × \(pts(w))%（条线权重由领导小组办公室设定\(rules.map { "，\(HTML.escape($0.document))" } ?? "")；无条线评分时总分即考核分）。"
        body += "考核分 = （各指标得分之和 − 说明情况扣分）÷ 满分 × 100，各指标按牵头部门的具体考核标准计分。扣分按 \(HTML.escape(day.text)) 的说明情况判断。</p>"
        guard !shown.isEmpty else {
            return DashboardLayout.page(title: "考核得分 \(Bulletin.chinese(p))", viewer: viewer, active: "scores", period: p.description,
                                        body: body + #"<p class="muted">本期没有可计分的单位：牵头部门尚未设定具体考核标准（score_standard.set），或本期没有数据。</p>"#)
        }
        let q = "?period=" + HTML.query(p.description)
        for (kind, heading) in [("court", "法院"), ("department", "中院各部门")] {
            let rows = shown.filter { $0.unitKind == kind }
            guard !rows.isEmpty else { continue }
            // The indicators scored for this kind, in the order they are first met.
            var indicators: [(slug: String, name: String)] = []
            for s in rows { for part in s.parts where !indicators.contains(where: { $0.slug == part.indicator }) { indicators.append((part.indicator, part.indicatorName)) } }
            body += "<h2>\(heading)（共 \(all.filter { $0.unitKind == kind }.count) 个单位计分）</h2>"
            body += #"<table class="scores \#(kind)"><thead><tr><th>排名</th><th class="name">单位</th><th>总分</th><th class="bar">　</th><th>考核分</th><th>条线评分</th><th>扣分</th>"#
            for ind in indicators {
                body += #"<th class="indicator"><a href="/dashboard/indicator/\#(HTML.escape(ind.slug))\#(q)">\#(HTML.escape(ind.name))</a></th>"#
            }
            body += "</tr></thead><tbody>"
            for s in rows {
                let unit = kind == "court" ? #"<a href="/dashboard/court/\#(HTML.escape(s.unit))\#(q)">\#(HTML.escape(s.unitName))</a>"#
                    : #"<a href="/dashboard/dept/\#(HTML.escape(s.unit))\#(q)">\#(HTML.escape(s.unitName))</a>"#
                let percent = max(0, min(100, s.total / 100))
                let deductions = s.deductions > 0
                    ? #"<span class="missed" title="\#(HTML.escape(s.deductionNotes.joined(separator: "；")))">−\#(pts(s.deductions))</span>"# : "0"
                body += #"<tr data-unit="\#(HTML.escape(s.unit))"><td>\#(s.rank)/\#(s.ranked)</td><td class="name">\#(unit)</td><td class="total"><b>\#(pts(s.total))</b></td>"#
                body += #"<td class="bar"><span class="bar" style="width:\#(percent)%"></span></td><td>\#(pts(s.internalScore))</td><td>\#(s.externalScore.map(pts) ?? "—")</td><td>\#(deductions)</td>"#
                for ind in indicators {
                    if let part = s.parts.first(where: { $0.indicator == ind.slug }) {
                        let cls = part.earned == part.weight * 100 ? "met" : part.earned == 0 ? "missed" : ""
                        body += #"<td class="part \#(cls)">\#(pts(part.earned))/\#(part.weight)<br><span class="how">\#(HTML.escape(part.basis.chinese))</span></td>"#
                    } else {
                        body += #"<td class="noData">—</td>"#
                    }
                }
                body += "</tr>"
                if !s.deductionNotes.isEmpty {
                    body += #"<tr class="notes"><td></td><td class="text" colspan="\#(6 + indicators.count)">扣分：\#(HTML.escape(s.deductionNotes.joined(separator: "；")))</td></tr>"#
                }
            }
            body += "</tbody></table>"
        }
        body += #"<p class="legend">指标格中为“得分/权重”及计分方式：达标得满分、未达标不得分；分档按数值所在档位得权重的相应比例；排名按基层法院名次递减计分。— 表示该单位不负责此指标或本期无数据。</p>"#
        return DashboardLayout.page(title: "考核得分 \(Bulletin.chinese(p))", viewer: viewer, active: "scores", period: p.description, body: body)
    }
}
