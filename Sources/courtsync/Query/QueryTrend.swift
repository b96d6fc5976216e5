import ArgumentParser
import CanonicalJSON
import CourtLog
import Projections

struct QueryTrend: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trend",
        abstract: "An indicator over a range of periods for a court, a department or the whole city, with the threshold line and the rank among the ten grassroots courts.")

    @OptionGroup var options: QueryOptions

    @Option(help: "The indicator (slug, code or name).")
    var indicator: String

    @Option(help: "First period.")
    var from: String

    @Option(help: "Last period.")
    var to: String

    @Option(help: "month, half or year.")
    var by: String = "month"

    @Option(help: "A court (code, slug or name); default: the whole city.")
    var court: String?

    @Option(help: "A department of the intermediate court (slug or name).")
    var dept: String?

    func validate() throws {
        guard ["month", "half", "year"].contains(by) else { throw ValidationError("--by must be month, half or year") }
        guard court == nil || dept == nil else { throw ValidationError("give --court or --dept, not both") }
    }

    func run() throws {
        let source = try options.projection()
        let ind = try source.plan.indicator(indicator)
        let unit = try court.map { try source.court($0).code } ?? dept.map { try source.plan.department($0).slug } ?? Attribution.city
        let periods = try Projection.periods(from: try Period(parsing: from), to: try Period(parsing: to), by: by)
        let points = source.projection.trend(ind, unit: unit, periods: try periods.map { ($0, try source.counts($0.description)) })
        var table = TextTable(["期间", "分子", "分母", "值", "标准", "状态", "基层排名"])
        for pt in points {
            let r = pt.row
            table.add([r.period, "\(r.numerator)", "\(r.denominator)", r.valueText, r.thresholdText, r.status.chinese,
                       pt.rank.map { "\($0)/\(pt.ranked)" } ?? "—"])
        }
        if options.format == "table" {
            print("趋势 trend: \(ind.code) \(ind.name), \(source.projection.unitName(unit)), \(from)…\(to) by \(by)")
        }
        options.emit(table, json: .array(points.map { pt in
            var o = pt.row.json.objectValue ?? [:]
            if let rank = pt.rank { o["rank"] = .int(Int64(rank)) }
            o["ranked"] = .int(Int64(pt.ranked))
            return .object(o)
        }))
    }
}
