import CanonicalJSON
import CourtLog
import CourtPlan
import Projections

/// The four questions of the leading group's office, answered as tables and JSON. The CLI and
/// the hub's query endpoints both answer through here, so they say the same thing.
public enum QueryViews {
    public static func compliance(_ source: ProjectionSource, period: String, court: String?, dept: String?, indicator: String?) throws -> QueryAnswer {
        let p = try Period(parsing: period)
        let courtCode = try court.map { try source.plan.court($0).code }
        let deptSlug = try dept.map { try source.plan.department($0).slug }
        let indicatorSlug = try indicator.map { try source.plan.indicator($0).slug }
        var rows = source.projection.compliance(period: p, counts: try source.counts(p.description), court: courtCode, department: deptSlug, byRole: true)
        if let indicatorSlug { rows = rows.filter { $0.indicator == indicatorSlug } }
        let publication = try source.publication(p)
        let retroactive = publication.retroactive(source.policy)
        let late = publication.lateEntries(period: p)
        var table = TextTable(["指标", "单位", "分子", "分母", "值", "标准", "状态"])
        var json: [JSONValue] = []
        for r in rows {
            let marks = retroactive.filter { $0.changed(r) }
            table.add([r.indicatorLabel, r.unitName, "\(r.numerator)", "\(r.denominator)", r.valueText, r.thresholdText,
                       "\(r.status.chinese) \(r.status.rawValue)\(r.problem.map { ": \($0)" } ?? "")" + marks.map { " ⚠ \($0.markText)" }.joined()])
            var o = r.json.objectValue ?? [:]
            if !marks.isEmpty { o["retroactive"] = .array(marks.map(\.json)) }
            if publication.treeSize > 0, r.unitKind == "court" { o["late_entries"] = .int(late[r.unit] ?? 0) }
            if publication.treeSize > 0, r.unitKind == "city" { o["late_entries"] = .int(late.values.reduce(0, +)) }
            json.append(.object(o))
        }
        var title = "合规情况 compliance \(p) — plan: \(source.policy.planSource)"
        for problem in source.projection.dataProblems(counts: try source.counts(p.description)) where courtCode == nil || problem.unit == courtCode {
            title += "\n数据异常 data problem: \(problem.unitName) \(problem.chinese) (\(problem.english))"
        }
        for (court, n) in late.sorted(by: { $0.key < $1.key }) where courtCode == nil || court == courtCode {
            title += "\n迟报 late entries: \(source.projection.unitName(court)) \(n) usage events first checkpointed more than \(publication.lateAfterDays) days after they happened"
        }
        return QueryAnswer(title: title, table: table, json: .array(json))
    }

    /// Every retroactive policy event (protocol §16.12), with the compliance rows it changed
    /// in the periods that have usage data.
    public static func retroactive(_ source: ProjectionSource) throws -> QueryAnswer {
        let found = try source.publication(nil).retroactive(source.policy)
        var changed: [Int: [ComplianceRow]] = [:]
        if !found.isEmpty {
            for month in try source.months() {
                let p = try Period(parsing: month)
                for r in source.projection.compliance(period: p, counts: try source.counts(month)) {
                    for (i, f) in found.enumerated() where f.changed(r) { changed[i, default: []].append(r) }
                }
            }
        }
        var table = TextTable(["文件", "类型", "生效", "首次公开", "迟延(天)", "依据", "改变的数值"])
        var json: [JSONValue] = []
        for (i, f) in found.enumerated() {
            let rows = changed[i] ?? []
            table.add([f.document, f.type, f.effective.text, f.published.day.text, "\(f.delayDays)", f.published.witnessed ? "见证 witness" : "中院 hub",
                       rows.isEmpty ? "—" : rows.map { "\($0.period) \($0.unitName) \($0.indicatorCode) \($0.status.chinese)" }.joined(separator: "；")])
            var o = f.json.objectValue ?? [:]
            o["changed"] = .array(rows.map { ["period": .string($0.period), "unit": .string($0.unit), "indicator": .string($0.indicator),
                                              "status": .string($0.status.rawValue)] })
            json.append(.object(o))
        }
        return QueryAnswer(title: "追溯适用 retroactive policy: \(found.count) event\(found.count == 1 ? "" : "s") in force before the first checkpoint that published them",
                           table: table, json: .array(json))
    }

    /// Who must explain for a period, and where each explanation stands in the loop on `day`
    /// (default: the day of the latest policy or explanation event, so the answer is the record's).
    public static func accountability(_ source: ProjectionSource, period: String, on day: CivilDate? = nil) throws -> QueryAnswer {
        let p = try Period(parsing: period)
        let entries = source.projection.accountability(period: p, counts: try source.counts(p.description))
        let loop = source.policy.loop
        let today = day ?? source.policy.events.map(\.at).max().map { CivilDate(utcSeconds: $0.utcSeconds + 8 * 3600) } ?? p.lastDay
        let statuses = entries.map { source.projection.explanationStatus($0, loop: loop, on: today) }
        var table = TextTable(["单位", "指标", "原因", "情况", "已说明", "负责人", "期限", "审核"])
        for (e, st) in zip(entries, statuses) {
            let reason: String = e.reason == .belowThreshold ? "未达标" : "未进入第一方阵"
            let explained: String = e.explained ? "是 (\(e.explanations.count))" : "否"
            let mark: String = st.standsOut ? "⚠ " : ""
            let returned: String = st.reason.map { "：\($0)" } ?? ""
            let review: String = mark + st.chinese + returned
            table.add([e.unitName, e.indicatorName, reason, e.detail, explained, st.head ?? "—", st.deadline?.text ?? "—", review])
        }
        let json: JSONValue = .array(zip(entries, statuses).map { (pair: (AccountabilityEntry, ExplanationStatus)) -> JSONValue in
            let (e, st) = pair
            var o: [String: JSONValue] = [
                "period": .string(e.period), "unit": .string(e.unit), "unit_name": .string(e.unitName), "indicator": .string(e.indicator),
                "indicator_name": .string(e.indicatorName), "reason": .string(e.reason.rawValue), "detail": .string(e.detail),
                "explained": .bool(e.explained),
                "explanations": .array(e.explanations.map { ["text": .string($0.text), "node": .string($0.node), "seq": .int($0.seq), "at": .string($0.at)] }),
                "review": .string(st.state.rawValue), "late": .bool(st.late), "stands_out": .bool(st.standsOut),
            ]
            if let v = st.deadline { o["deadline"] = .string(v.text) }
            if let v = st.head { o["head"] = .string(v) }
            if let v = st.reason { o["returned_reason"] = .string(v) }
            return .object(o)
        })
        let out = statuses.filter(\.standsOut).count
        return QueryAnswer(title: "说明情况 accountability \(p) on \(today.text): \(entries.count) to explain, \(entries.filter(\.explained).count) explained, \(out) not explained or returned", table: table, json: json)
    }

    public static func trend(_ source: ProjectionSource, indicator: String, from: String, to: String, by: String, court: String?, dept: String?) throws -> QueryAnswer {
        guard court == nil || dept == nil else { throw EventError("give a court or a department, not both") }
        let ind = try source.plan.indicator(indicator)
        let unit = try court.map { try source.plan.court($0).code } ?? dept.map { try source.plan.department($0).slug } ?? Attribution.city
        let periods = try Projection.periods(from: try Period(parsing: from), to: try Period(parsing: to), by: by)
        let points = source.projection.trend(ind, unit: unit, periods: try periods.map { ($0, try source.counts($0.description)) })
        var table = TextTable(["期间", "分子", "分母", "值", "标准", "状态", "基层排名"])
        for pt in points {
            let r = pt.row
            table.add([r.period, "\(r.numerator)", "\(r.denominator)", r.valueText, r.thresholdText, r.status.chinese, pt.rank.map { "\($0)/\(pt.ranked)" } ?? "—"])
        }
        return QueryAnswer(title: "趋势 trend: \(ind.code) \(ind.name), \(source.projection.unitName(unit)), \(from)…\(to) by \(by)", table: table,
                           json: .array(points.map { pt in
                               var o = pt.row.json.objectValue ?? [:]
                               if let rank = pt.rank { o["rank"] = .int(Int64(rank)) }
                               o["ranked"] = .int(Int64(pt.ranked))
                               return .object(o)
                           }))
    }

    public static func assignments(_ source: ProjectionSource, dept: String?, indicator: String?, on day: CivilDate) throws -> QueryAnswer {
        let plan = source.plan
        let names: ([String]) -> String = { $0.map { source.projection.unitName($0) }.joined(separator: "、") }
        if let dept {
            let slug = try plan.department(dept).slug
            guard let d = source.projection.departmentAssignments(on: day).first(where: { $0.department == slug }) else {
                throw PlanError("department '\(dept)' has no assignments")
            }
            let label: (String) -> String = { s in plan.indicators.first { $0.slug == s }.map { "\($0.code) \($0.name)" } ?? s }
            var table = TextTable(["项目", "内容"])
            table.add(["部门", d.name])
            for duty in d.duties { table.add(["职责", duty]) }
            for i in d.leads { table.add(["牵头考核", label(i)]) }
            for i in d.assists { table.add(["配合", label(i)]) }
            for i in d.answersFor { table.add(["责任", label(i)]) }
            let json: JSONValue = ["department": .string(d.department), "name": .string(d.name),
                                   "duties": .array(d.duties.map { .string($0) }), "leads": .array(d.leads.map { .string($0) }),
                                   "assists": .array(d.assists.map { .string($0) }), "answers_for": .array(d.answersFor.map { .string($0) })]
            return QueryAnswer(title: "分工 assignments of \(d.name) on \(day.text)", table: table, json: json)
        }
        var rows = source.projection.indicatorAssignments(on: day)
        if let indicator { let slug = try plan.indicator(indicator).slug; rows = rows.filter { $0.indicator == slug } }
        var table = TextTable(["指标", "标准", "牵头考核部门", "配合", "分阶段", "责任部门"])
        for a in rows {
            table.add(["\(a.code) \(a.indicatorName)", a.thresholdText, names(a.lead), names(a.assisting),
                       a.stages.map { "\($0.name):\(names($0.lead))" }.joined(separator: "；"), names(a.responsibleUnits)])
        }
        return QueryAnswer(title: "分工 assignments on \(day.text)", table: table, json: .array(rows.map { a in
            var o: [String: JSONValue] = [
                "indicator": .string(a.indicator), "indicator_name": .string(a.indicatorName), "code": .string(a.code),
                "threshold": .string(a.thresholdText), "lead": .array(a.lead.map { .string($0) }), "assisting": .array(a.assisting.map { .string($0) }),
                "responsible": .array(a.responsible.map { .string($0) }), "responsible_units": .array(a.responsibleUnits.map { .string($0) }),
                "stages": .array(a.stages.map { ["stage": .string($0.stage), "name": .string($0.name), "lead": .array($0.lead.map { .string($0) })] }),
                "document": .string(a.document),
            ]
            if let h = a.reviewLimitHours { o["review_limit_hours"] = .int(h) }
            return .object(o)
        }))
    }
}

extension RetroactivePolicy {
    /// The mark a figure carries: 追溯适用 with the document and the delay.
    public var markText: String { "追溯适用 \(document)（生效 \(effective.text)，\(published.day.text) 首次公开，迟 \(delayDays) 天）" }

    public var json: JSONValue {
        ["node": .string(node), "seq": .int(seq), "type": .string(type), "document": .string(document), "effective": .string(effective.text),
         "published": .string(published.day.text), "witnessed": .bool(published.witnessed),
         "delay_days": .int(Int64(delayDays))]
    }
}

extension ComplianceRow {
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "period": .string(period), "indicator": .string(indicator), "indicator_name": .string(indicatorName), "code": .string(indicatorCode),
            "unit": .string(unit), "unit_name": .string(unitName), "unit_kind": .string(unitKind),
            "numerator": .int(numerator), "denominator": .int(denominator), "value": .string(valueText),
            "threshold": .string(thresholdText), "status": .string(status.rawValue),
        ]
        if let v = valuePer10k { o["value_per_10k"] = .int(v) }
        if let t = thresholdPer10k { o["threshold_per_10k"] = .int(t) }
        if let d = thresholdDocument { o["threshold_document"] = .string(d) }
        if let h = reviewLimitHours { o["review_limit_hours"] = .int(h) }
        if let s = stage { o["stage"] = .string(s) }
        if let p = problem { o["problem"] = .string(p) }
        if let r = role { o["role"] = .string(r) }
        return .object(o)
    }

    public var indicatorLabel: String {
        "\(indicatorCode) \(indicatorName)" + (stage.map { "（\($0 == "filing" ? "立案阶段" : "审判阶段")）" } ?? "") + (role.map { "（\(Self.roleName($0))）" } ?? "")
    }
}
