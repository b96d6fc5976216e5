import ArgumentParser
import CanonicalJSON
import CourtLog
import CourtPlan
import Hub
import Foundation
import NodeStore
import OfficeFiles
import Projections
import QueryViews

/// Options every query shares: where the data is, how to print it, and as known when.
struct QueryOptions: ParsableArguments {
    @Option(help: "A node directory or a hub directory.")
    var dir: String?

    @Option(help: "A hub URL (https://host:8443) to ask instead of a local directory; needs --dir of an enrolled node or --auditor FILE.")
    var hub: String?

    @Option(help: "An auditor credential file (from `courtsync hub auditor add`), for --hub.")
    var auditor: String?

    @Option(help: "table, json, csv or xlsx (an Excel workbook; needs --out).")
    var format: String = "table"

    @Option(help: "Write the answer to this file instead of standard output (CSV files get a UTF-8 BOM so Excel reads the Chinese).")
    var out: String?

    @Option(name: .customLong("as-of"), help: "Answer as the data stood at this record time (RFC 3339 with offset, or a date YYYY-MM-DD meaning its end in UTC+08:00). Replays the log up to then.")
    var asOf: String?

    @Option(help: "Answer from the log exactly as it stood at the hub's signed checkpoint of this tree size (no clock involved). Needs the hub directory.")
    var checkpoint: Int64?

    func validate() throws {
        if checkpoint != nil, asOf != nil { throw ValidationError("give --as-of or --checkpoint, not both: a checkpoint fixes the data without a clock") }
        guard QueryAnswer.formats.contains(format) || format == "xlsx" else { throw ValidationError("--format must be table, json, csv or xlsx, not '\(format)'") }
        if format == "xlsx" && out == nil { throw ValidationError("--format xlsx writes an Excel workbook: give --out FILE.xlsx") }
        guard dir != nil || hub != nil else { throw ValidationError("give --dir (a node or hub directory) or --hub URL") }
    }

    /// A record time from RFC 3339, or the end of a date in UTC+08:00.
    static func recordTime(_ text: String) throws -> Int64 {
        do { return try ProjectionSource.recordTime(text) } catch { throw EventError("--" + error.reason) }
    }

    /// The projection to query: the stored one, brought up to date, or a replay as of a time.
    func projection() throws -> ProjectionSource {
        guard let dir else { throw ValidationError("give --dir") }
        let store = try StoreLocator.open(dir)
        if let checkpoint {
            printError(try CheckpointCitation.verified(dir: dir, store: store, size: checkpoint).verifiedLine)
        }
        var progress = Progress(asOf == nil && checkpoint == nil ? "folding new events" : "replaying")
        defer { progress.finish() }
        if let checkpoint {
            return try ProjectionSource.checkpointed(store, treeSize: checkpoint) { progress.update($0, of: $1) }
        }
        if let asOf {
            return try ProjectionSource.replayed(store, recordedBy: try Self.recordTime(asOf)) { progress.update($0, of: $1) }
        }
        return try ProjectionSource.stored(store) { progress.update($0, of: $1) }
    }

    /// Answers locally, or asks the hub when --hub is given (the hub renders the same answer).
    func answer(path: String, parameters: [String: String?], local: (ProjectionSource) throws -> QueryAnswer) throws {
        if let hub {
            var query = parameters.compactMapValues { $0 }
            query["format"] = format == "xlsx" ? "csv" : format
            if let asOf { query["as_of"] = asOf }
            if let checkpoint { query["checkpoint"] = "\(checkpoint)" }
            let text = try HubQuery.get(hub: hub, path: path, query: query, nodeDir: dir, auditorFile: auditor)
            if format == "xlsx" {
                try emit(Spreadsheet.xlsx(sheetName: path.split(separator: "/").last.map(String.init) ?? "query", rows: try EventRecordReader.csvRows(text).map(\.cells)))
            } else {
                try emit(text)
            }
            return
        }
        let answer = try local(try projection())
        if format == "xlsx" {
            try emit(Spreadsheet.xlsx(sheetName: answer.title.split(separator: " ").first.map(String.init) ?? "query", rows: answer.table.cells))
        } else {
            try emit(answer.render(format) + "\n")
        }
    }

    /// Prints text, or writes it to --out whole (CSV with a UTF-8 BOM, for Excel).
    func emit(_ text: String) throws {
        guard out != nil else { print(text, terminator: ""); return }
        let bom: [UInt8] = format == "csv" && !text.hasPrefix("\u{FEFF}") ? [0xEF, 0xBB, 0xBF] : []
        try emit(bom + Array(text.utf8))
    }

    func emit(_ bytes: [UInt8]) throws {
        guard let out else { throw ValidationError("give --out FILE") }
        do { try Data(bytes).write(to: URL(fileURLWithPath: out), options: .atomic) } catch {
            throw EventError("cannot write \(out): \(error.localizedDescription); choose a writable path")
        }
        printError("written to \(out)")
    }
}

/// Finds the store of a node directory or a hub directory.
enum StoreLocator {
    static func open(_ dir: String) throws -> EventStore {
        let fm = FileManager.default
        // A hub on PostgreSQL: its directory's projections, first caught up with the shared log.
        if let data = fm.contents(atPath: "\(dir)/hub.json"), let config = try? StrictJSONParser.parse(Array(data)), config["database"] != nil {
            return try HubDirectory.open(at: dir).projectionStore()
        }
        if fm.fileExists(atPath: "\(dir)/\(NodeDirectory.manifestName)") { return try NodeDirectory.open(at: dir).store }
        throw StoreError("\(dir) is not a node or hub directory (no node.json): give the directory made by `courtsync node init` or `courtsync hub init`")
    }
}
