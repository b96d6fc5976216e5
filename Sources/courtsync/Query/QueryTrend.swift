import ArgumentParser
import CourtLog
import QueryViews
import SyncProtocol

struct QueryTrend: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trend",
        abstract: "趋势 trend — An indicator over a range of periods for a court, a department or the whole city, with the threshold line and the rank among the ten grassroots courts.")

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
        try options.answer(path: ApiPaths.trend, parameters: ["indicator": indicator, "from": from, "to": to, "by": by, "court": court, "dept": dept]) {
            try QueryViews.trend($0, indicator: indicator, from: from, to: to, by: by, court: court, dept: dept)
        }
    }
}
