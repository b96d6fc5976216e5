import ArgumentParser
import CourtLog
import Foundation
import QueryViews
import SyncProtocol

struct QuerySuggestions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suggestions",
        abstract: "意见建议 and problems: open items per department with their age, and those past the answer limit.",
        discussion: "Raise one with `courtsync node append --type suggestion.raised unit=410802 suggestion=2023-01 kind=problem system=online-hearing text=…`; 410800 answers with suggestion.answered, closes with suggestion.closed, escalates with suggestion.escalated.")

    @OptionGroup var options: QueryOptions

    @Option(help: "The day ages and the limit are counted to (default: today, UTC+08:00).")
    var on: String?

    @Option(help: "Only items routed to this department (slug or name), or 'office'.")
    var dept: String?

    @Flag(help: "Include closed items.")
    var all = false

    func run() throws {
        let day = try on.map { try CivilDate(parsing: $0) } ?? CivilDate(utcSeconds: Int64(Date().timeIntervalSince1970) + 8 * 3600)
        // Ask the hub for the same day this machine counts to, so both answers agree.
        try options.answer(path: ApiPaths.suggestions, parameters: ["on": day.text, "dept": dept, "all": all ? "true" : nil]) {
            try QueryViews.suggestions($0, on: day, all: all, dept: dept)
        }
    }
}
