import ArgumentParser
import CourtLog
import QueryViews
import SyncProtocol

struct QueryScores: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scores",
        abstract: "考核 scores of a period: each court and 中院 department by the lead departments' standards, ranked, with each indicator's contribution.",
        discussion: "Standards: node append --type score_standard.set lead=case-filing indicator=online-filing weight=10 scoring=bands 'bands=9900:100;9500:60' effective=… document=…; the office's deductions and external weight: score_rules.set; a business line's own score: external_score.recorded.")

    @OptionGroup var options: QueryOptions

    @Option(help: "The period: \(Period.acceptedForms).")
    var period: String

    @Option(help: "The day to judge explanation deadlines on (default: the day of the latest policy or explanation event).")
    var on: String?

    func run() throws {
        let day = try on.map { try CivilDate(parsing: $0) }
        try options.answer(path: ApiPaths.scores, parameters: ["period": period, "on": on]) { try QueryViews.scores($0, period: period, on: day) }
    }
}
