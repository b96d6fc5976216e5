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

    func run() throws {
        try options.answer(path: ApiPaths.accountability, parameters: ["period": period]) {
            try QueryViews.accountability($0, period: period)
        }
    }
}
