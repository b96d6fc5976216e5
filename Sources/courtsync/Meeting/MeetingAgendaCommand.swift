import ArgumentParser
import Bulletins
import CourtLog
import Foundation
import Projections
import QueryViews

struct MeetingAgendaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agenda",
        abstract: "The agenda of the next 双周例会: new misses, explanations awaiting review, open and overdue 意见建议, draft bulletins, policy changes.",
        usage: "courtsync meeting agenda --dir HUB\ncourtsync meeting agenda --dir HUB --on 2023-03-01 --out 议程.docx")

    /// The forms an agenda is written in: Markdown and HTML print; Word needs --out.
    static let formats = ["md", "html", "docx"]

    @Option(help: "The hub directory (or a node directory).")
    var dir: String

    @Option(help: "The day to look from; the agenda is of the first regular meeting on or after it (default: today, UTC+08:00).")
    var on: String?

    @Option(help: "md, html (A4 公文 page) or docx (Word, in 公文 layout; needs --out). Default: from the --out file's extension, else md.")
    var format: String?

    @Option(help: "Write the agenda to this file (default: standard output).")
    var out: String?

    /// Refuses a format it cannot write, in one line (before anything is read or written).
    func checkFormat() throws {
        if let format, !Self.formats.contains(format) { throw EventError("--format must be md, html or docx, not '\(format)'") }
        if let out, format == nil, Self.format(ofFile: out) == nil {
            throw EventError("--out \(out): the extension names no agenda format; use .md, .html or .docx, or give --format")
        }
        if let format, let out, let implied = Self.format(ofFile: out), implied != format {
            throw EventError("--format \(format) does not match --out \(out) (a .\(implied) file): change one of them")
        }
        if resolvedFormat == "docx", out == nil { throw EventError("--format docx writes a Word file: give --out FILE.docx") }
    }

    static func format(ofFile path: String) -> String? {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "md", "markdown": "md"
        case "html", "htm": "html"
        case "docx": "docx"
        default: nil
        }
    }

    var resolvedFormat: String { format ?? out.flatMap(Self.format(ofFile:)) ?? "md" }

    func run() throws {
        try checkFormat()
        let day = try on.map { try CivilDate(parsing: $0) } ?? CivilDate(utcSeconds: nowSeconds + 8 * 3600)
        let source = try ProjectionSource.stored(try StoreLocator.open(dir))
        let agenda = try source.projection.agenda(on: day, months: try source.months(), counts: source.counts)
        let bytes: [UInt8]
        switch resolvedFormat {
        case "docx": bytes = MeetingAgendaDocument.docx(agenda, projection: source.projection)
        case "html": bytes = Array(MeetingAgendaDocument.html(agenda, projection: source.projection).utf8)
        default: bytes = Array(MeetingAgendaDocument.markdown(agenda, projection: source.projection).utf8)
        }
        guard let out else { print(String(decoding: bytes, as: UTF8.self), terminator: ""); return }
        // Written whole by rename, or not at all.
        do { try Data(bytes).write(to: URL(fileURLWithPath: out), options: .atomic) } catch {
            throw EventError("cannot write \(out): \(error.localizedDescription); choose a writable path")
        }
        printError("agenda of \(agenda.date.text) written to \(out)")
    }
}
