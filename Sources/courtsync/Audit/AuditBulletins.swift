import ArgumentParser
import Bulletins
import CourtLog
import Foundation
import NodeStore
import Projections
import QueryViews

/// `courtsync audit bulletins --dir HUB`: every issued bulletin reproduced from the log — at the
/// checkpoint it binds when it names one (protocol §16.12), else as of its record time — and
/// checked against its digest.
struct AuditBulletins: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bulletins",
        abstract: "通报核验 — Reproduce every issued bulletin from the log (at its checkpoint when bulletin.issued names one) and check its digest.")

    @Option(help: "The hub directory.")
    var dir: String

    func run() throws {
        let store = try StoreLocator.open(dir)
        let issues = try ProjectionSource.stored(store).policy.events.filter { $0.type == "bulletin.issued" }
        guard !issues.isEmpty else { print("no bulletin has been issued in \(dir)"); return }
        var failed = 0
        for e in issues {
            let d = e.data
            let number = d["number"]?.stringValue ?? "?", periodText = d["period"]?.stringValue ?? ""
            let label = "\(number) (\(periodText), seq \(e.seq))"
            do {
                let period = try Period(parsing: periodText)
                let kind: Bulletin.Kind = switch period { case .month: .monthly; case .half: .halfYear; case .year: .annual }
                let at: [String]
                let how: String
                if let size = d["checkpoint_size"]?.intValue {
                    let cited = try CheckpointCitation.verified(dir: dir, store: store, size: size)
                    guard cited.root == d["checkpoint_root"]?.stringValue else {
                        print("FAILED: \(label): the hub's checkpoint \(size) has root \(cited.root), not the \(d["checkpoint_root"]?.stringValue ?? "none") the issue bound")
                        failed += 1
                        continue
                    }
                    at = ["--checkpoint", "\(size)"]
                    how = "at checkpoint \(size)"
                } else {
                    at = ["--as-of", d["as_of"]?.stringValue ?? ""]
                    how = "as of \(d["as_of"]?.stringValue ?? "?") (the issue binds no checkpoint)"
                }
                let md = try ReportIssue.markdown(dir: dir, kind: kind, period: periodText, at: at)
                if WorkingLoop.digest(ofMarkdown: md) == d["digest"]?.stringValue {
                    print("ok: \(label) reproduced \(how), digest matches")
                } else {
                    print("FAILED: \(label) reproduced \(how), but the digest differs: the log no longer gives the figures that were issued")
                    failed += 1
                }
            } catch {
                print("FAILED: \(label): \(error)")
                failed += 1
            }
        }
        if failed > 0 { throw ExitCode(1) }
    }
}
