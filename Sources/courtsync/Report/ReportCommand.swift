import ArgumentParser
import Bulletins
import CourtLog
import Foundation
import NodeStore
import QueryViews

/// `courtsync report monthly|half-year|annual PERIOD`: 技术处's bulletins.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write 技术处's bulletin (月通报、半年通报、年通报) as Markdown, HTML (A4 公文), Word (.docx) or PDF from a hub's (or node's) data.",
        usage: "courtsync report monthly 2023-07 --dir HUB\ncourtsync report half-year 2023-H1 --dir HUB --out 2023-H1.docx\ncourtsync report annual 2022 --dir HUB --out 2022.pdf")

    @Argument(help: "monthly (月通报), half-year (半年通报) or annual (年通报).")
    var kind: Bulletin.Kind

    @Argument(help: "The period: a month 2023-07, a half-year 2023-H1 or a year 2022, as the kind takes.")
    var period: String

    @OptionGroup var options: ReportOptions

    @OptionGroup var issue: ReportIssueOptions

    func run() throws {
        if let number = issue.issue {
            try issue.issuing(number: number, dir: options.dir, kind: kind, period: period, out: options.out, format: options.format).run()
            return
        }
        try options.write(kind: kind, periodText: period)
    }
}

extension Bulletin.Kind: ExpressibleByArgument {}

struct ReportOptions: ParsableArguments {
    @Option(help: "The hub directory (or a node directory) whose data the bulletin reports.")
    var dir: String

    @Option(help: "md, html, docx or pdf (default: from the --out file's extension; Markdown on standard output). pdf needs Debian's chromium package.")
    var format: String?

    @Option(help: "The document number (文号) printed under the title, e.g. 焦中法技〔2023〕7号 (default: the issue's number in its series, 2023年第7期).")
    var number: String?

    @Option(help: "Write the bulletin to this file (default: standard output).")
    var out: String?

    @Flag(help: "Print only what an issued bulletin's digest binds (Markdown without 文号, issue date, data note and appendix): its SHA-256 is the digest of bulletin.issued.")
    var bound = false

    @Option(name: .customLong("as-of"), help: "Report the data as it stood at this record time (RFC 3339 with offset, or a date YYYY-MM-DD meaning its end in UTC+08:00), to reproduce a bulletin as published.")
    var asOf: String?

    @Option(help: "Report the log exactly as it stood at the hub's signed checkpoint of this tree size (no clock involved): only the events whose leaves come before it. Needs the hub directory.")
    var checkpoint: Int64?

    @Option(help: "How many witness cosignatures make a checkpoint witnessed, for the citation (default 3).")
    var quorum: Int = CheckpointCitation.defaultQuorum

    func validate() throws {
        if checkpoint != nil, asOf != nil { throw ValidationError("give --as-of or --checkpoint, not both: a checkpoint fixes the data without a clock") }
        if quorum < 1 { throw ValidationError("--quorum must be at least 1") }
        if let format, !BulletinFile.formats.contains(format) { throw ValidationError("--format must be md, html, docx or pdf, not '\(format)'") }
        if let format, !BulletinFile.isText(format), out == nil { throw ValidationError("--format \(format) writes a file: give --out FILE.\(format)") }
        if bound, resolvedFormat != "md" { throw ValidationError("--bound prints Markdown: leave out --format or give md") }
    }

    /// The format a file's extension names, if it names one.
    static func format(ofFile path: String) -> String? {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "html", "htm": "html"
        case "md", "markdown": "md"
        case "docx": "docx"
        case "pdf": "pdf"
        default: nil
        }
    }

    /// The format to write: --format, else the --out file's extension, else Markdown.
    var resolvedFormat: String { format ?? out.flatMap(Self.format(ofFile:)) ?? "md" }

    /// Builds, renders and writes (or prints) the bulletin of `periodText`.
    func write(kind: Bulletin.Kind, periodText: String, quiet: Bool = false) throws {
        if let format, let out, let implied = Self.format(ofFile: out), implied != format {
            throw EventError("--format \(format) does not match --out \(out) (a .\(implied) file): change one of them")
        }
        let period: Period
        do { period = try Period(parsing: periodText) } catch {
            throw EventError("\(kind.rawValue) bulletin: period '\(periodText)' is not understood; give \(kind.example) (periods are written as \(Period.acceptedForms))")
        }
        try kind.check(period)
        let store = try StoreLocator.open(dir)
        let source: ProjectionSource
        let cutoff: Int64
        var citation: CheckpointCitation? = nil
        if let checkpoint {
            let cited = try CheckpointCitation.verified(dir: dir, store: store, size: checkpoint, quorum: quorum)
            if !quiet { printError(cited.verifiedLine) }
            citation = cited
            cutoff = nowSeconds
            source = try ProjectionSource.checkpointed(store, treeSize: checkpoint)
        } else if let asOf {
            cutoff = try QueryOptions.recordTime(asOf)
            source = try ProjectionSource.replayed(store, recordedBy: cutoff)
        } else {
            cutoff = nowSeconds
            source = try ProjectionSource.stored(store)
            citation = try CheckpointCitation.latest(dir: dir, store: store, quorum: quorum)
        }
        let counts = try source.counts(period.description)
        guard !counts.isEmpty else {
            let months = try source.months()
            let covered = months.isEmpty ? "it holds no usage events yet" : "its data covers \(months.first!)…\(months.last!)"
            throw EventError("no usage events are recorded for \(period) in \(dir) (\(covered)): nothing to report, no bulletin written")
        }
        let time = EventTime(beijing: cutoff).text
        let court = source.projection.unitName(PolicyAuthority.intermediateCourt)
        var bulletin = try Bulletin.make(kind: kind, period: period, projection: source.projection, counts: source.counts,
                                         dataNote: citation.map { checkpoint != nil ? BulletinNote.source(checkpoint: $0, court: court) : BulletinNote.source(at: cutoff, court: court) + $0.note }
                                             ?? BulletinNote.source(at: cutoff, court: court))
        if let checkpoint, let citation {
            bulletin.reproduction = BulletinNote.reproduction(checkpoint: citation, command: "courtsync report \(kind.rawValue) \(period) --dir \(dir) --checkpoint \(checkpoint)", plan: source.policy.planSource)
        } else {
            bulletin.reproduction = BulletinNote.reproduction(time: time, command: "courtsync report \(kind.rawValue) \(period) --dir \(dir) --as-of \(time)", plan: source.policy.planSource)
                + (citation.map { "\n" + $0.detail } ?? "")
        }
        bulletin.noteRecordTiming(try source.publication(period), policy: source.policy)
        bulletin.issued = BulletinNote.chineseDate(cutoff)
        bulletin.number = number ?? ""
        if bound { bulletin = bulletin.bound }
        guard let out else {
            let text = BulletinFile.render(bulletin, format: resolvedFormat)
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
            return
        }
        try BulletinFile.write(bulletin, format: resolvedFormat, to: out)
        if !quiet { printError("\(Bulletin.chinese(period))\(kind.title) written to \(out)") }
    }
}
