import ArgumentParser
import CourtLog
import Foundation
import QueryViews

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
        if options.hub != nil { throw EventError("query suggestions reads a local node or hub directory: give --dir, not --hub") }
        let day = try on.map { try CivilDate(parsing: $0) } ?? CivilDate(utcSeconds: Int64(Date().timeIntervalSince1970) + 8 * 3600)
        try options.answer(path: "", parameters: [:]) { try QueryViews.suggestions($0, on: day, all: all, dept: dept) }
    }
}
