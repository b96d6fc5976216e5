import CourtLog
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
        let day = policy.events.map(\.at).max().map { CivilDate(utcSeconds: $0.utcSeconds + 8 * 3600) } ?? period.lastDay
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
}
