import ArgumentParser
import CanonicalJSON
import CourtLog
import Projections

struct QueryAccountability: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accountability",
        abstract: "Who must explain to the leading group (说明情况) for a period, and whether they have.")

    @OptionGroup var options: QueryOptions

    @Option(help: "The period: \(Period.acceptedForms).")
    var period: String

    func run() throws {
        let p = try Period(parsing: period)
        let source = try options.projection()
        let entries = source.projection.accountability(period: p, counts: try source.counts(p.description))
        var table = TextTable(["单位", "指标", "原因", "情况", "已说明"])
        for e in entries {
            table.add([e.unitName, e.indicatorName, e.reason == .belowThreshold ? "未达标" : "未进入第一方阵", e.detail,
                       e.explained ? "是 (\(e.explanations.count))" : "否"])
        }
        let json: JSONValue = .array(entries.map { e in
            [
                "period": .string(e.period), "unit": .string(e.unit), "unit_name": .string(e.unitName), "indicator": .string(e.indicator),
                "indicator_name": .string(e.indicatorName), "reason": .string(e.reason.rawValue), "detail": .string(e.detail),
                "explained": .bool(e.explained),
                "explanations": .array(e.explanations.map { ["text": .string($0.text), "node": .string($0.node), "seq": .int($0.seq), "at": .string($0.at)] }),
            ]
        })
        if options.format == "table" {
            print("说明情况 accountability \(p): \(entries.count) to explain, \(entries.filter(\.explained).count) explained")
        }
        options.emit(table, json: json)
    }
}
