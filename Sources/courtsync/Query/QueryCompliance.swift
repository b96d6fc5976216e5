import ArgumentParser
import CourtLog
import QueryViews
import SyncProtocol

struct QueryCompliance: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compliance",
        abstract: "合规情况 compliance — Each indicator's numerator, denominator, value and threshold in force, per court and responsible department.")

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
        try options.answer(path: ApiPaths.compliance, parameters: ["period": period, "court": court, "dept": dept, "indicator": indicator]) {
            try QueryViews.compliance($0, period: period, court: court, dept: dept, indicator: indicator)
        }
    }
}
