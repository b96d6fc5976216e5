import ArgumentParser
import CourtLog
import Foundation
import NodeStore

struct NodeImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "批量导入 import — Record many events from JSON Lines or CSV: the whole file is checked before any of it is written.",
        discussion: """
            JSON Lines: one object per line, {"type": ..., "at": ..., "dept": ..., "id": ..., "data": {...}}.
            CSV: a header row naming type, at, id, dept and data fields; empty cells are left out.
            Records without an id get one derived from their content, so importing a file again
            (after an interruption, say) stores nothing twice.
            """)

    @OptionGroup var node: NodeOptions

    @Option(help: "Input format: jsonl or csv (default: from the file's extension).")
    var format: String?

    @Option(help: "Events per transaction.")
    var batch: Int = 1000

    @Argument(help: "The file to import.")
    var file: String

    func validate() throws {
        guard batch >= 1 && batch <= 100_000 else { throw ValidationError("--batch must be between 1 and 100000") }
        if let format, !["jsonl", "csv"].contains(format) { throw ValidationError("--format must be jsonl or csv") }
    }

    func run() throws {
        guard let bytes = FileManager.default.contents(atPath: file) else {
            throw EventError("cannot read \(file): check the path and its permissions")
        }
        let kind = format ?? (file.lowercased().hasSuffix(".csv") ? "csv" : "jsonl")
        let reader = EventRecordReader()
        let drafts: [EventDraft]
        do throws(EventError) {
            if kind == "csv" {
                guard let text = String(validating: Array(bytes), as: UTF8.self) else {
                    throw EventError("\(file) is not UTF-8: save it as UTF-8 and import again")
                }
                drafts = try reader.readCSV(text)
            } else {
                drafts = try reader.readJSONLines(Array(bytes))
            }
        } catch {
            throw EventError("\(file): \(error.description) (nothing was imported)")
        }
        // Open the node only after the file is known good: a bad file touches nothing.
        let dir = try NodeDirectory.open(at: node.dir)
        var progress = Progress("importing")
        var appended = 0, existing = 0
        var head = try dir.store.head(of: dir.court.code)
        var start = 0
        while start < drafts.count {
            let chunk = Array(drafts[start..<min(start + batch, drafts.count)])
            let outcome = try dir.append(chunk, recordedAt: nowSeconds)
            appended += outcome.appended.count
            existing += outcome.alreadyStored.count
            head = outcome.head
            start += chunk.count
            progress.update(Int64(start), of: Int64(drafts.count))
        }
        progress.finish()
        print("imported \(appended) events (\(existing) already recorded) from \(file) in \(progress.elapsedText); head seq \(head.seq) hash \(head.hash.hex)")
    }
}
