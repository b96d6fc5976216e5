import ArgumentParser
import Bulletins
import CanonicalJSON
import CourtLog
import Foundation
import NodeStore
import Projections
import QueryViews
import Hub
import TransparencyLog

/// `courtsync report KIND PERIOD --dir HUB --issue 文号 --issued DATE --approved-by WHO`: issues a
/// bulletin (plan §六: 通报 after the 双周例会's review). The Markdown is written as of one record
/// time, hashed, and a signed `bulletin.issued` binds 文号, date, record time, digest and the
/// transparency-log checkpoint holding exactly those records (protocol §16.12) in
/// 410800's log; a second issue of the same period is a reissue that must say why and is shown
/// against the first, reproduced from the log and checked against its digest.
struct ReportIssue {
    let dir: String
    let kind: Bulletin.Kind
    let period: String
    let number: String
    let issued: String
    let approvedBy: String
    let reason: String?
    let out: String?

    /// The SHA-256 of a bulletin's Markdown, hex.
    static func digest(_ markdown: String) -> String { WorkingLoop.digest(ofMarkdown: markdown) }

    /// The Markdown `courtsync report KIND PERIOD --dir DIR --as-of AS_OF --bound` writes: what the digest binds.
    func markdown(asOf: String) throws -> String { try Self.markdown(dir: dir, kind: kind, period: period, at: ["--as-of", asOf]) }

    /// The Markdown `courtsync report KIND PERIOD --dir DIR --checkpoint SIZE --bound` writes.
    func markdown(checkpoint: Int64) throws -> String { try Self.markdown(dir: dir, kind: kind, period: period, at: ["--checkpoint", "\(checkpoint)"]) }

    /// What `report KIND PERIOD --dir DIR <at> --bound` prints, `at` being --as-of T or --checkpoint N.
    static func markdown(dir: String, kind: Bulletin.Kind, period: String, at: [String]) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-issue-\(UUID().uuidString).md").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let options = try ReportOptions.parse(["--dir", dir] + at + ["--format", "md", "--out", file, "--bound"])
        try options.write(kind: kind, periodText: period, quiet: true)
        guard let data = FileManager.default.contents(atPath: file) else { throw EventError("cannot read the bulletin just written to \(file)") }
        // Exactly what `report … --bound` prints: the text, ending with one newline.
        let text = String(decoding: data, as: UTF8.self)
        return text.hasSuffix("\n") ? text : text + "\n"
    }

    func run() throws {
        let day = try CivilDate(parsing: issued)
        let p = try Period(parsing: period)
        let node = try NodeDirectory.open(at: dir)
        guard node.court.code == PolicyAuthority.intermediateCourt else {
            throw EventError("only the intermediate court (410800) issues bulletins: \(dir) is the node of \(node.court.code); give the hub directory")
        }
        let earlier = try ProjectionSource.stored(node.store).policy.loop.issues.filter { $0.period == p.description }
        if let first = earlier.first, reason == nil {
            throw EventError("\(p) was already issued as \(first.number) on \(first.issued.text): a reissue must say why, give --reason")
        }
        if earlier.contains(where: { $0.number == number }) {
            throw EventError("文号 \(number) was already used for \(p): give the reissue a new 文号")
        }
        // Record times are whole seconds: bind the figures as of this second, and render and record
        // the issue only once it has passed, so that everything recorded up to it is in the
        // figures and the issue event itself (recorded later) is not.
        let cutoff = nowSeconds
        while nowSeconds <= cutoff { usleep(50_000) }
        let asOf = EventTime(beijing: cutoff).text
        let md = try markdown(asOf: asOf)
        let digest = Self.digest(md)
        // Bind the checkpoint that holds exactly these records (protocol §16.12): the tree brought
        // up to date now holds every event recorded by the cutoff, and, unless a push raced the
        // issue, nothing else — the figures at the checkpoint must be the figures as of the cutoff.
        let hubDir = try HubDirectory.open(at: dir)
        let checkpoint = try hubDir.currentCheckpoint()
        guard Self.digest(try markdown(checkpoint: checkpoint.size)) == digest else {
            throw EventError("events arrived while the bulletin was being issued (checkpoint \(checkpoint.size) holds more than the records as of \(asOf)): nothing was issued; run the same command again")
        }
        let root = try Checkpoint(body: try hubDir.checkpointSigner().verifier.verify(note: checkpoint.checkpoint)).root
        var data: [String: JSONValue] = [
            "period": .string(p.description), "number": .string(number), "issued": .string(day.text),
            "digest": .string(digest), "as_of": .string(asOf), "approved_by": .string(approvedBy),
            "checkpoint_size": .int(checkpoint.size), "checkpoint_root": .string(Data(root).base64EncodedString()),
        ]
        if let reason { data["reason"] = .string(reason) }
        let draft = try EventRecordReader().draft(id: "issue-\(p)-\(digest.prefix(16))", type: "bulletin.issued",
                                                  at: "\(day.text)T09:00:00+08:00", dept: "tech", data: data)
        if let out {
            // The document itself: the same figures, with its 文号, data note and appendix.
            do {
                let options = try ReportOptions.parse(["--dir", dir, "--checkpoint", "\(checkpoint.size)", "--number", number, "--out", out])
                try options.write(kind: kind, periodText: period, quiet: true)
            } catch {
                throw EventError("cannot write \(out): \(error); choose a writable path (nothing was issued)")
            }
        }
        let outcome: EventStore.AppendOutcome
        do { outcome = try node.append([draft], recordedAt: nowSeconds) } catch {
            if let out { try? FileManager.default.removeItem(atPath: out) }
            throw error
        }
        let seq = outcome.appended.first?.seq ?? outcome.alreadyStored.first?.seq ?? 0
        print("issued \(Bulletin.chinese(p))\(kind.title) \(number) on \(day.text): digest \(digest), figures as of \(asOf), checkpoint \(checkpoint.size), seq \(seq)")
        if let last = earlier.last {
            try showChanges(from: last, to: md)
        }
    }

    /// The first issue reproduced from the log, checked against its digest, and the lines that differ.
    func showChanges(from last: WorkingLoop.Issue, to md: String) throws {
        let events = try ProjectionSource.stored(NodeDirectory.open(at: dir).store).policy.events
        guard let data = events.first(where: { $0.node == last.node && $0.seq == last.seq })?.data, let asOf = data["as_of"]?.stringValue else { return }
        let old = try data["checkpoint_size"]?.intValue.map { try markdown(checkpoint: $0) } ?? markdown(asOf: asOf)
        let check = Self.digest(old) == last.digest ? "reproduced, digest matches" : "reproduced, but its digest does not match: the figures as of then differ from what was issued"
        print("reissue of \(last.number) (\(check)); reason: \(reason ?? "")")
        // Only what the digest binds: the provenance (数据来源, the appendix) carries the record time
        // and the directory, and always differs: not a change of figures.
        let oldLines = WorkingLoop.boundText(ofMarkdown: old).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let newLines = WorkingLoop.boundText(ofMarkdown: md).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let oldSet = Set(oldLines), newSet = Set(newLines)
        let removed = oldLines.filter { !newSet.contains($0) }
        let added = newLines.filter { !oldSet.contains($0) }
        if removed.isEmpty && added.isEmpty { print("no figure changed"); return }
        for l in removed { print("- \(l)") }
        for l in added { print("+ \(l)") }
    }
}

/// The options that turn `courtsync report` into issuing the bulletin.
struct ReportIssueOptions: ParsableArguments {
    @Option(help: "Issue the bulletin with this 文号 (e.g. 焦中法技〔2023〕7号): record bulletin.issued, binding its Markdown by SHA-256, in the hub's log.")
    var issue: String?

    @Option(help: "With --issue: the issue date YYYY-MM-DD.")
    var issued: String?

    @Option(name: .customLong("approved-by"), help: "With --issue: who approved it, e.g. '双周例会 2023-08-04' or 'office'.")
    var approvedBy: String?

    @Option(help: "With --issue, for a reissue of a period already issued: why (e.g. late data corrected).")
    var reason: String?

    func issuing(number: String, dir: String, kind: Bulletin.Kind, period: String, out: String?, format: String?) throws -> ReportIssue {
        guard let issued else { throw EventError("--issue needs --issued YYYY-MM-DD, the issue date") }
        guard let approvedBy else { throw EventError("--issue needs --approved-by: a bulletin is issued after its review (e.g. --approved-by '双周例会 2023-08-04' or office)") }
        if let format, format != "md" { throw EventError("--issue binds the Markdown: leave out --format \(format) (write html afterwards with --as-of)") }
        if let out, let f = ReportOptions.format(ofFile: out), f != "md" { throw EventError("--issue writes the issued Markdown: give --out a .md file, not \(out)") }
        return ReportIssue(dir: dir, kind: kind, period: period, number: number, issued: issued, approvedBy: approvedBy, reason: reason, out: out)
    }
}
