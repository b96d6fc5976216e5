import ArgumentParser
import CourtLog
import Foundation
import NodeStore
import OfficeFiles

struct NodeImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "批量导入 import — Record many events from CSV (UTF-8 or GBK), an Excel workbook (.xlsx) or JSON Lines: the whole file is checked before any of it is written.",
        discussion: """
            CSV and .xlsx (first sheet): a header row naming type, at, id, dept and data fields; empty
            cells are left out. CSV may be UTF-8 or GBK/GB18030 (Chinese Excel's default), found by
            itself or given with --encoding. Enum cells may use the Chinese labels of
            protocol/event-catalog.json (网上/线下, 通过/驳回, ...), booleans 是/否.
            Times: 2022-08-01T09:30:00+08:00, 2022-08-01 09:30[:00], 2022/8/1 9:30, a bare date
            (its start), or an Excel date cell. All courts are in UTC+08:00 (北京时间): a time
            without an offset is taken as +08:00. A record dated more than ten minutes in the
            future is refused.
            JSON Lines: one object per line, {"type": ..., "at": ..., "dept": ..., "id": ..., "data": {...}}.
            A file without a known extension (.txt, ...) is recognized from its content.
            Every bad record is reported (up to 20) and nothing is written.
            Records without an id get one derived from their content, so importing a file again
            (after an interruption, say) stores nothing twice.
            """)

    @OptionGroup var node: NodeOptions

    @Option(help: "Input format: csv, xlsx or jsonl (default: from the extension, else from the content).")
    var format: String?

    @Option(help: "CSV text encoding: utf-8, gb18030 or gbk (default: UTF-8 if the first lines that are not plain ASCII are valid UTF-8, else GB18030).")
    var encoding: String?

    @Option(help: "The file is stored in one transaction, handed to the store this many events at a time.")
    var batch: Int = 1000

    @Argument(help: "The file to import.")
    var file: String

    func validate() throws {
        guard batch >= 1 && batch <= 100_000 else { throw ValidationError("--batch must be between 1 and 100000") }
        if let format, !["jsonl", "csv", "xlsx"].contains(format) { throw ValidationError("--format must be csv, xlsx or jsonl") }
        if let encoding, TextEncoding(name: encoding) == nil { throw ValidationError("--encoding must be utf-8, gb18030 or gbk, not '\(encoding)'") }
    }

    func run() throws {
        let (kind, head) = try inputKind()
        let reader = EventRecordReader(now: nowSeconds)
        switch kind {
        case "jsonl":
            return try importStreaming(RecordImport(reader: reader, lines: try JSONLines(path: file)))
        case "csv":
            return try importStreaming(RecordImport(try CSVRecords(path: file, reader: reader, encoding: encoding.flatMap(TextEncoding.init(name:)))))
        default:
            if file.lowercased().hasSuffix(".xls") || head.starts(with: [0xD0, 0xCF, 0x11, 0xE0]) {
                throw EventError("\(file): this is an old Excel .xls file: save it as .xlsx (Excel 工作簿) or CSV and import that (nothing was imported)")
            }
            let sheet: SheetRecords
            do { sheet = try SheetRecords(path: file, reader: reader) } catch {
                throw EventError("\(file): \(error.description) (nothing was imported)")
            }
            return try importStreaming(RecordImport(sheet))
        }
    }

    /// csv, xlsx or jsonl: by --format, else the file's extension, else its first bytes; and
    /// those first bytes.
    func inputKind() throws -> (String, [UInt8]) {
        guard let handle = FileHandle(forReadingAtPath: file) else {
            throw EventError("cannot read \(file): check the path and its permissions")
        }
        defer { try? handle.close() }
        let head = Array((try? handle.read(upToCount: 4096)).flatMap { $0 } ?? Data())
        return (format ?? OfficeInput.kind(of: head, name: file), head)
    }

    /// JSON Lines, CSV or .xlsx in the same memory whatever the file's length: every record checked
    /// first (a bad one anywhere: nothing written), then all stored in one transaction, handed
    /// to the store `batch` at a time. A kill leaves the log as it was; importing again stores it.
    func importStreaming(_ records: RecordImport) throws {
        var progress = Progress("importing (checking, bytes)")
        do {
            try records.check { progress.update($0, of: $1) }
        } catch {
            progress.finish()
            if !error.records.isEmpty { throw EventError("\(file): nothing was imported; \(error.description)") }
            throw EventError("\(file): \(error.description) (nothing was imported)")
        }
        progress.finish()
        // Open the node only after the file is known good: a bad file touches nothing.
        let dir = try NodeDirectory.open(at: node.dir)
        var writing = Progress("importing")
        let next = try records.drafts(chunk: batch)
        let outcome: EventStore.StreamOutcome
        var handed: Int64 = 0
        do {
            outcome = try dir.appendAll(recordedAt: nowSeconds) {
                let chunk = try next()
                handed += Int64(chunk?.count ?? 0)
                writing.update(handed, of: Int64(records.records))
                return chunk
            }
        } catch let error as EventError {
            writing.finish()
            throw EventError("\(file): \(error.description) (nothing was imported)")
        }
        writing.finish()
        print("imported \(outcome.appended) events (\(outcome.alreadyStored) already recorded) from \(file) in \(progress.elapsedText); head seq \(outcome.head.seq) hash \(outcome.head.hash.hex)")
    }
}
