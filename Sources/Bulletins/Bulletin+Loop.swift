import CourtLog
import OfficeFiles
import Projections

extension Bulletin {
    /// A miss of an earlier period whose explanation is still owed: never explained, or returned
    /// and not answered (issue 11: they stand out in the next bulletin).
    public struct Outstanding: Sendable, Equatable {
        public let entry: AccountabilityEntry
        public let status: ExplanationStatus
    }

    /// The misses of the period before `period` that stand out, judged on the day of the latest
    /// policy or explanation event (the record's day, so the same log gives the same bulletin).
    static func outstanding(before period: Period, projection: Projection, counts: (String) throws -> PeriodCounts) throws -> [Outstanding] {
        let previous = period.previous
        let c = try counts(previous.description)
        guard !c.isEmpty else { return [] }
        let policy = projection.policy
        let loop = policy.loop
        let day = recordDay(projection, period: period)
        return projection.accountability(period: previous, counts: c)
            .map { Outstanding(entry: $0, status: projection.explanationStatus($0, loop: loop, on: day)) }
            .filter(\.status.standsOut)
    }

    /// The section's lines in Markdown (empty when nothing is owed).
    var outstandingMarkdown: [String] {
        guard !outstanding.isEmpty else { return [] }
        var out = ["", "上期未说明或被退回未重新说明的单位：", "", "| 单位 | 指标 | 期间 | 情况 | 期限 |", "|---|---|---|---|---|"]
        for o in outstanding {
            let why = o.status.chinese + (o.status.reason.map { "：\($0)" } ?? "")
            out.append("| \(o.entry.unitName) | \(o.entry.indicatorName) | \(o.entry.period) | **\(why)** | \(o.status.deadline?.text ?? "—") |")
        }
        return out
    }

    /// The section in HTML (empty when nothing is owed).
    var outstandingHTML: String {
        guard !outstanding.isEmpty else { return "" }
        let e = TrendChart.escape
        var h = "<p>上期未说明或被退回未重新说明的单位：</p>\n<table><tr><th>单位</th><th>指标</th><th>期间</th><th>情况</th><th>期限</th></tr>\n"
        for o in outstanding {
            let why = o.status.chinese + (o.status.reason.map { "：\($0)" } ?? "")
            h += "<tr><td>\(e(o.entry.unitName))</td><td>\(e(o.entry.indicatorName))</td><td>\(e(o.entry.period))</td><td><span class=\"pending\">\(e(why))</span></td><td>\(e(o.status.deadline?.text ?? "—"))</td></tr>\n"
        }
        return h + "</table>\n"
    }

    /// The day of the latest policy or explanation event: deadlines are judged on it, so the same
    /// log always gives the same bulletin.
    static func recordDay(_ projection: Projection, period: Period) -> CivilDate {
        projection.policy.events.map(\.at).max().map { CivilDate(utcSeconds: $0.utcSeconds + 8 * 3600) } ?? period.lastDay
    }

    static let scoreHeader = ["排名", "单位", "总分", "考核分", "扣分", "条线评分", "各指标得分"]

    /// The 考核 table's rows, the same in every form.
    var scoreRows: [[String]] {
        let pts = Projection.points
        return scores.map { s in
            let parts = s.parts.map { "\($0.indicatorName) \(pts($0.earned))/\($0.weight)" }.joined(separator: "；")
            return ["\(s.unitKind == "court" ? "法院" : "部门")\(s.rank)/\(s.ranked)", s.unitName, pts(s.total), pts(s.internalScore),
                    s.deductions > 0 ? "−" + pts(s.deductions) : "0", s.externalScore.map(pts) ?? "—", parts]
        }
    }

    /// The 考核 section in Markdown (empty when no standard is in force).
    var scoresMarkdown: [String] {
        guard !scores.isEmpty else { return [] }
        var out = ["", "## 考核得分", "", "| " + Self.scoreHeader.joined(separator: " | ") + " |", "|---|---|---|---|---|---|---|"]
        for r in scoreRows { out.append("| " + r.joined(separator: " | ") + " |") }
        return out
    }

    /// The 考核 section in HTML (empty when no standard is in force).
    var scoresHTML: String {
        guard !scores.isEmpty else { return "" }
        let e = TrendChart.escape
        var h = "<h2>考核得分</h2>\n<table><tr>" + Self.scoreHeader.map { "<th>\($0)</th>" }.joined() + "</tr>\n"
        for r in scoreRows { h += "<tr>" + r.map { "<td>\(e($0))</td>" }.joined() + "</tr>\n" }
        return h + "</table>\n"
    }

    /// The outstanding explanations and the 考核 section in the Word bulletin (nothing when
    /// nothing is owed and no standard is in force).
    func loopSections(_ d: inout WordDocument) {
        if !outstanding.isEmpty {
            d.paragraph("上期未说明或被退回未重新说明的单位：", keepWithNext: true, indentFirstLine: true)
            d.table(header: ["单位", "指标", "期间", "情况", "期限"],
                    rows: outstanding.map { [$0.entry.unitName, $0.entry.indicatorName, $0.entry.period,
                                             $0.status.chinese + ($0.status.reason.map { "：\($0)" } ?? ""), $0.status.deadline?.text ?? "—"] },
                    widthsPercent: [22, 22, 12, 30, 14])
        }
        if !scores.isEmpty {
            d.paragraph("考核得分", face: .heading, keepWithNext: true, indentFirstLine: true)
            d.table(header: Self.scoreHeader, rows: scoreRows, widthsPercent: [10, 20, 9, 9, 9, 9, 34])
        }
    }
}
