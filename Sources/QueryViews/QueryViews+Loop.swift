import CanonicalJSON
import CourtLog
import CourtPlan
import Projections

extension QueryViews {
    /// 意见建议 and problems: the items (open ones by default) with their age and whether they are
    /// past the answer limit on `day`, and a line per department that has open items.
    public static func suggestions(_ source: ProjectionSource, on day: CivilDate, all: Bool, dept: String?) throws -> QueryAnswer {
        let loop = source.policy.loop
        let deptSlug: String? = try dept.map { (d: String) throws -> String in
            if d == "office" { return d }
            return try source.plan.department(d).slug
        }
        let name: (String) -> String = { $0 == "office" ? "领导小组办公室" : source.projection.unitName($0) }
        var items = loop.suggestions.filter { all || $0.status != .closed }
        if let deptSlug { items = items.filter { $0.routedTo == deptSlug } }
        let limit = loop.limit("suggestion-answer", on: day)
        var table = TextTable(["编号", "提出单位", "类别", "系统", "承办部门", "状态", "天数", "逾期"])
        for s in items {
            let overdue = loop.isOverdue(s, on: day)
            table.add([s.ref, name(s.unit), s.kind == "problem" ? "问题" : "建议", s.system ?? "—",
                       name(s.routedTo) + (s.escalated ? "（升级）" : ""), Self.chinese(s.status) + (s.outcome.map { " \($0)" } ?? ""),
                       "\(WorkingLoop.days(from: s.clockFrom, to: day))", overdue ? "逾期 overdue" : ""])
        }
        var title = "意见建议 suggestions on \(day.text): \(items.count) \(all ? "in all" : "not closed"), answer limit "
            + (limit.map { "\($0) days" } ?? "not set (nothing is overdue)")
        let open = loop.suggestions.filter { $0.status == .open && (deptSlug == nil || $0.routedTo == deptSlug) }
        for d in Array(Set(open.map(\.routedTo))).sorted() {
            let mine = open.filter { $0.routedTo == d }
            let oldest = mine.map { WorkingLoop.days(from: $0.clockFrom, to: day) }.max() ?? 0
            title += "\n  \(name(d)): \(mine.count) open, oldest \(oldest) days, \(mine.filter { loop.isOverdue($0, on: day) }.count) overdue"
        }
        let json: JSONValue = .array(items.map { s in
            var o: [String: JSONValue] = [
                "ref": .string(s.ref), "unit": .string(s.unit), "kind": .string(s.kind), "text": .string(s.text),
                "raised_at": .string(s.raisedAt), "routed_to": .string(s.routedTo), "auto_routed": .bool(s.autoRouted),
                "status": .string(s.status.rawValue), "age_days": .int(Int64(WorkingLoop.days(from: s.clockFrom, to: day))),
                "overdue": .bool(loop.isOverdue(s, on: day)), "escalated": .bool(s.escalated),
                "steps": .array(s.steps.map { ["type": .string($0.type), "by": .string($0.by), "text": .string($0.text), "at": .string($0.at)] }),
            ]
            if let v = s.system { o["system"] = .string(v) }
            if let v = s.contact { o["contact"] = .string(v) }
            if let v = s.outcome { o["outcome"] = .string(v) }
            return .object(o)
        })
        return QueryAnswer(title: title, table: table, json: json)
    }

    static func chinese(_ s: WorkingLoop.Suggestion.Status) -> String {
        switch s {
        case .open: "待办"
        case .answered: "已答复"
        case .closed: "已办结"
        }
    }
}
