import ArgumentParser
import CanonicalJSON
import CourtLog
import Projections

struct QueryCompliance: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compliance",
        abstract: "Each indicator's numerator, denominator, value and threshold in force, per court and responsible department.")

    @OptionGroup var options: QueryOptions

    @Option(help: "The period: \(Period.acceptedForms).")
    var period: String

    @Option(help: "Only this court (code, slug or name); 410800 shows its departments.")
    var court: String?

    @Option(help: "Only this department (slug or name).")
    var dept: String?

    @Option(help: "Only this indicator (slug, code or name).")
    var indicator: String?

    func run() throws {
        let p = try Period(parsing: period)
        let source = try options.projection()
        let courtCode = try court.map { try source.court($0).code }
        let deptSlug = try dept.map { try source.plan.department($0).slug }
        let indicatorSlug = try indicator.map { try source.plan.indicator($0).slug }
        var rows = source.projection.compliance(period: p, counts: try source.counts(p.description), court: courtCode, department: deptSlug)
        if let indicatorSlug { rows = rows.filter { $0.indicator == indicatorSlug } }
        var table = TextTable(["指标", "单位", "分子", "分母", "值", "标准", "状态"])
        for r in rows {
            table.add([r.indicatorLabel, r.unitName, "\(r.numerator)", "\(r.denominator)", r.valueText, r.thresholdText, "\(r.status.chinese) \(r.status.rawValue)"])
        }
        if options.format == "table" {
            print("合规情况 compliance \(p) — plan: \(source.policy.planSource)")
        }
        options.emit(table, json: .array(rows.map(\.json)))
    }
}
