import ArgumentParser
import CanonicalJSON
import CourtLog
import Foundation
import Projections

struct QueryAssignments: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assignments",
        abstract: "Who leads, assists and answers for each indicator, and each department's duties, as of a date.")

    @OptionGroup var options: QueryOptions

    @Option(help: "Only this department (slug or name): its duties and indicators.")
    var dept: String?

    @Option(help: "Only this indicator (slug, code or name).")
    var indicator: String?

    @Option(help: "The day the assignments are in force (default: today, UTC+08:00).")
    var on: String?

    func run() throws {
        let source = try options.projection()
        let plan = source.plan
        let day = try on.map { try CivilDate(parsing: $0) } ?? CivilDate(utcSeconds: Int64(Date().timeIntervalSince1970) + 8 * 3600)
        let names: ([String]) -> String = { $0.map { source.projection.unitName($0) }.joined(separator: "、") }
        if let dept {
            let slug = try plan.department(dept).slug
            guard let d = source.projection.departmentAssignments(on: day).first(where: { $0.department == slug }) else { return }
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
            if options.format == "table" { print("分工 assignments of \(d.name) on \(day.text)") }
            options.emit(table, json: json)
            return
        }
        var rows = source.projection.indicatorAssignments(on: day)
        if let indicator { let slug = try plan.indicator(indicator).slug; rows = rows.filter { $0.indicator == slug } }
        var table = TextTable(["指标", "标准", "牵头考核部门", "配合", "分阶段", "责任部门"])
        for a in rows {
            table.add(["\(a.code) \(a.indicatorName)", a.thresholdText, names(a.lead), names(a.assisting),
                       a.stages.map { "\($0.name):\(names($0.lead))" }.joined(separator: "；"), names(a.responsibleUnits)])
        }
        if options.format == "table" { print("分工 assignments on \(day.text)") }
        options.emit(table, json: .array(rows.map { a in
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
