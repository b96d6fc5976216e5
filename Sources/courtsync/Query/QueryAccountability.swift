import ArgumentParser
import CourtLog
import QueryViews
import SyncProtocol

struct QueryAccountability: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accountability",
        abstract: "Who must explain to the leading group (说明情况) for a period, and whether they have.")

    @OptionGroup var options: QueryOptions

    @Option(help: "The period: \(Period.acceptedForms).")
    var period: String

    @Option(help: "The day to judge deadlines on (default: the day of the latest policy or explanation event).")
    var on: String?

    func run() throws {
        let day = try on.map { try CivilDate(parsing: $0) }
        try options.answer(path: ApiPaths.accountability, parameters: ["period": period, "on": on]) {
            try QueryViews.accountability($0, period: period, on: day)
        }
    }
}
