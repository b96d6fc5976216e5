import ArgumentParser
import CourtLog
import Foundation
import QueryViews
import SyncProtocol

struct QueryAssignments: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assignments",
        abstract: "分工：牵头、配合、责任部门 assignments — Who leads, assists and answers for each indicator, and each department's duties, as of a date.")

    @OptionGroup var options: QueryOptions

    @Option(help: "Only this department (slug or name): its duties and indicators.")
    var dept: String?

    @Option(help: "Only this indicator (slug, code or name).")
    var indicator: String?

    @Option(help: "The day the assignments are in force (default: today, UTC+08:00).")
    var on: String?

    func run() throws {
        let day = try on.map { try CivilDate(parsing: $0) } ?? CivilDate(utcSeconds: Int64(Date().timeIntervalSince1970) + 8 * 3600)
        try options.answer(path: ApiPaths.assignments, parameters: ["dept": dept, "indicator": indicator, "on": day.text]) {
            try QueryViews.assignments($0, dept: dept, indicator: indicator, on: day)
        }
    }
}
