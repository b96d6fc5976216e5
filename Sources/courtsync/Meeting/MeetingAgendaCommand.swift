import ArgumentParser
import CourtLog
import Foundation
import Projections
import QueryViews

struct MeetingAgendaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agenda",
        abstract: "The agenda of the next 双周例会: new misses, explanations awaiting review, open and overdue 意见建议, draft bulletins, policy changes.")

    @Option(help: "The hub directory (or a node directory).")
    var dir: String

    @Option(help: "The day to look from; the agenda is of the first regular meeting on or after it (default: today, UTC+08:00).")
    var on: String?

    @Option(help: "md or html.")
    var format: String = "md"

    @Option(help: "Write the agenda to this file (default: standard output).")
    var out: String?

    func run() throws {
        guard ["md", "html"].contains(format) else { throw EventError("--format must be md or html, not '\(format)'") }
        let day = try on.map { try CivilDate(parsing: $0) } ?? CivilDate(utcSeconds: nowSeconds + 8 * 3600)
        let source = try ProjectionSource.stored(try StoreLocator.open(dir))
        let agenda = try source.projection.agenda(on: day, months: try source.months(), counts: source.counts)
        let text = format == "html" ? MeetingAgendaText.html(agenda, projection: source.projection)
                                    : MeetingAgendaText.markdown(agenda, projection: source.projection)
        guard let out else { print(text, terminator: ""); return }
        do { try Data(text.utf8).write(to: URL(fileURLWithPath: out), options: .atomic) } catch {
            throw EventError("cannot write \(out): \(error.localizedDescription); choose a writable path")
        }
        printError("agenda of \(agenda.date.text) written to \(out)")
    }
}
