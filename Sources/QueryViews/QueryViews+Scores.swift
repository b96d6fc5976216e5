import CanonicalJSON
import CourtLog
import CourtPlan
import Projections

extension QueryViews {
    /// The day explanation deductions are judged on when none is given: the day of the latest
    /// policy or explanation event (so an answer does not change with the wall clock), else the
    /// period's last day.
    public static func scoreDay(_ source: ProjectionSource, period p: Period) -> CivilDate {
        source.policy.events.map(\.at).max().map { CivilDate(utcSeconds: $0.utcSeconds + 8 * 3600) } ?? p.lastDay
    }

    /// 考核 scores of a period: each court and 中院 department, ranked within its kind, with
    /// what each indicator contributed, the deductions and the business lines' score.
    public static func scores(_ source: ProjectionSource, period: String, on day: CivilDate?) throws -> QueryAnswer {
        let p = try Period(parsing: period)
        let today = day ?? scoreDay(source, period: p)
        let scores = source.projection.scores(period: p, counts: try source.counts(p.description), on: today)
        let pts = Projection.points
        var table = TextTable(["排名", "单位", "总分", "考核分(百分制)", "得分/满分", "扣分", "条线评分", "各指标得分"])
        for s in scores {
            let parts = s.parts.map { "\($0.indicatorName) \(pts($0.earned))/\($0.weight)（\($0.how)）" }.joined(separator: "；")
            let rank = "\(s.unitKind == "court" ? "法院" : "部门") \(s.rank)/\(s.ranked)"
            table.add([rank, s.unitName, pts(s.total), pts(s.internalScore), "\(pts(s.internalPoints))/\(pts(s.possible))",
                       s.deductions > 0 ? "−\(pts(s.deductions))：" + s.deductionNotes.joined(separator: "；") : "0",
                       s.externalScore.map(pts) ?? "—", parts])
        }
        let json: JSONValue = .array(scores.map { (s: UnitScore) -> JSONValue in
            var o: [String: JSONValue] = [
                "period": .string(s.period), "unit": .string(s.unit), "unit_name": .string(s.unitName), "unit_kind": .string(s.unitKind),
                "rank": .int(Int64(s.rank)), "ranked": .int(Int64(s.ranked)), "total": .int(s.total), "internal_score": .int(s.internalScore),
                "internal_points": .int(s.internalPoints), "possible": .int(s.possible), "deductions": .int(s.deductions),
                "deduction_notes": .array(s.deductionNotes.map { .string($0) }),
                "parts": .array(s.parts.map { ["indicator": .string($0.indicator), "weight": .int($0.weight), "earned": .int($0.earned), "how": .string($0.how)] }),
            ]
            if let e = s.externalScore { o["external_score"] = .int(e) }
            return .object(o)
        })
        let title = "考核 scores \(p) (points in hundredths in JSON; deductions judged on \(today.text))"
            + (scores.isEmpty ? "\nno 具体考核标准 in force: record score_standard.set for the indicators a department leads" : "")
        return QueryAnswer(title: title, table: table, json: json)
    }
}
