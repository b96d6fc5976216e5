import ArgumentParser
import Bench
import CanonicalJSON
import CourtLog
import CourtPlan
import Foundation
import NodeStore
import OfficeFiles

/// `courtsync bench streams`: the commands that read or write a whole log (node import of JSON
/// Lines, CSV and .xlsx, node export, audit verify of a directory and of an export file, audit
/// replay of a directory and of an export file), each run as its own
/// process at two log lengths, timed against the limits measured in the same run, with each
/// process's peak memory: a figure that does not grow with the log shows constant memory.
struct BenchStreamsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "streams",
        abstract: "测整条日志的命令 bench streams — Time node import/export, audit verify and replay as separate processes at two log lengths, against the limits measured in the same run, with each process's peak memory.",
        discussion: "Build with -c release for meaningful figures. Works in a temporary directory it removes afterwards.")

    @Option(help: "Signed log lengths for import, export and verify, comma-separated.")
    var sizes: String = "50000,200000"

    @Option(name: .customLong("replay-sizes"), help: "Synthetic (unsigned) history lengths for replay, comma-separated.")
    var replaySizes: String = "1000000,3000000"

    @Option(help: "table or json.")
    var format: String = "table"

    func validate() throws {
        guard parsed(sizes).count >= 1, parsed(replaySizes).count >= 1 else { throw ValidationError("--sizes and --replay-sizes list numbers ≥ 1000, e.g. 50000,200000") }
        guard ["table", "json"].contains(format) else { throw ValidationError("--format must be table or json") }
    }

    func parsed(_ list: String) -> [Int] {
        list.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.filter { $0 >= 1000 }.sorted()
    }

    /// One measured process.
    struct Run {
        var what: String
        var events: Int
        var seconds: Double
        var peakKiB: Int
        /// The run's limit measured just before it, when it has one.
        var limitNow: Double? = nil
        var rate: Double { Double(events) / seconds }
    }

    func run() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-bench-streams-\(getpid())").path
        try? FileManager.default.removeItem(atPath: work)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        #if DEBUG
        printError("warning: this is a debug build; run `swift build -c release` and .build/release/courtsync bench streams for real figures")
        #endif
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let logSizes = parsed(sizes), replayLengths = parsed(replaySizes)

        // The limits, in this process, on as many events as the largest log.
        let n = logSizes.last!
        let key = NodeKey()
        let hashes = (0..<n).map { EventHash(ofCanonicalBody: Array("limit-\($0)".utf8)) }
        var sigs: [[UInt8]] = []
        let signSeconds = BenchCommand.time { sigs = Parallel.map(hashes) { key.sign(eventHash: $0) } }
        let publicKey = key.publicKey
        let pairs = Array(zip(hashes, sigs)).map { Pair(hash: $0.0, sig: $0.1) }
        let verifySeconds = BenchCommand.time { _ = Parallel.map(pairs) { publicKey.verifies(signature: $0.sig, of: $0.hash) } }
        let insertSeconds = try RawInsertLimit.measure(count: n, path: "\(work)/raw.sqlite")
        let signRate = Double(n) / signSeconds, verifyRate = Double(n) / verifySeconds, insertRate = Double(n) / insertSeconds
        let combined = 1 / (1 / signRate + 1 / insertRate)
        let load = Self.loadAverage()

        // Each run is also compared with its limit measured just before it: on a shared machine
        // the load moves within a minute, and a limit from the start of the bench can mislead.
        func verifyLimitNow() -> Double {
            let sample = Array(pairs.prefix(20_000))
            return Double(sample.count) / BenchCommand.time { _ = Parallel.map(sample) { publicKey.verifies(signature: $0.sig, of: $0.hash) } }
        }
        func combinedLimitNow() throws -> Double {
            let sample = Array(hashes.prefix(50_000))
            let sign = Double(sample.count) / BenchCommand.time { _ = Parallel.map(sample) { key.sign(eventHash: $0) } }
            try? FileManager.default.removeItem(atPath: "\(work)/raw-now.sqlite")
            let insert = Double(sample.count) / (try RawInsertLimit.measure(count: sample.count, path: "\(work)/raw-now.sqlite"))
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: "\(work)/raw-now.sqlite" + suffix) }
            return 1 / (1 / sign + 1 / insert)
        }
        var runs: [Run] = []
        var heads: [String] = []
        for size in logSizes {
            let input = "\(work)/records-\(size).jsonl"
            try Self.writeRecords(size, to: input)
            let dir = "\(work)/node-\(size)"
            let node = try NodeDirectory.create(at: dir, court: Plan.shipped.court("410802"))
            let export = "\(work)/export-\(size).jsonl"
            let combinedNow = try combinedLimitNow()
            runs.append(try measure("node import", size, ["node", "import", "--dir", dir, input], work: work, limitNow: combinedNow))
            // The same records as CSV, into a node of their own.
            let csv = "\(work)/records-\(size).csv", csvDir = "\(work)/node-csv-\(size)"
            try Self.writeCSVRecords(size, to: csv)
            _ = try NodeDirectory.create(at: csvDir, court: Plan.shipped.court("410802"))
            runs.append(try measure("node import CSV", size, ["node", "import", "--dir", csvDir, csv], work: work, limitNow: try combinedLimitNow()))
            try? FileManager.default.removeItem(atPath: csv)
            // And as an .xlsx workbook (inline strings, as courtsync writes them): the same
            // records must end at the same head as the CSV's.
            let xlsx = "\(work)/records-\(size).xlsx", xlsxDir = "\(work)/node-xlsx-\(size)"
            try Self.writeXLSXRecords(size, to: xlsx)
            _ = try NodeDirectory.create(at: xlsxDir, court: Plan.shipped.court("410802"))
            runs.append(try measure("node import .xlsx", size, ["node", "import", "--dir", xlsxDir, xlsx], work: work, limitNow: try combinedLimitNow()))
            let sheetHead = try NodeDirectory.open(at: xlsxDir).store.head(of: "410802")
            let csvHead = try NodeDirectory.open(at: csvDir).store.head(of: "410802")
            heads.append("node import .xlsx of \(size) rows: head seq \(sheetHead.seq) \(sheetHead.hash.hex.prefix(16))…, "
                         + (sheetHead == csvHead && sheetHead.seq == Int64(size) ? "the same as the CSV's" : "DIFFERENT from the CSV's (seq \(csvHead.seq) \(csvHead.hash.hex.prefix(16))…)"))
            for path in [xlsx, xlsxDir, csvDir] { try? FileManager.default.removeItem(atPath: path) }
            runs.append(try measure("node export", size, ["node", "export", "--dir", dir, "--out", export], work: work))
            runs.append(try measure("audit verify --dir", size, ["audit", "verify", "--dir", dir], work: work, limitNow: verifyLimitNow()))
            runs.append(try measure("audit verify FILE", size, ["audit", "verify", "--public-key", node.key.publicKey.hex, export], work: work, limitNow: verifyLimitNow()))
            // The export replayed as an auditor does, under a registry naming the court's key.
            let registry = "\(work)/registry-\(size)"
            try FileManager.default.createDirectory(atPath: registry, withIntermediateDirectories: true)
            try Data(CanonicalEncoder.encode(["public_key": .string(node.key.publicKey.hex)])).write(to: URL(fileURLWithPath: "\(registry)/410802.json"))
            runs.append(try measure("audit replay FILE", size, ["audit", "replay", "--registry", registry, export], work: work))
            try? FileManager.default.removeItem(atPath: registry)
            for path in [input, export] { try? FileManager.default.removeItem(atPath: path) }
        }
        for size in replayLengths {
            let dir = "\(work)/replay-\(size)"
            let node = try NodeDirectory.create(at: dir, court: Plan.shipped.court("410802"))
            try SyntheticHistory.fill(node.store, count: size)
            // --as-of: the whole history (recorded long before), without rebuilding the stored tables.
            runs.append(try measure("audit replay", size, ["audit", "replay", "--dir", dir, "--as-of", "2100-01-01"], work: work))
            try? FileManager.default.removeItem(atPath: dir)
        }

        func limit(of what: String) -> (String, Double)? {
            switch what {
            case "node import", "node import CSV", "node import .xlsx": return ("combined", combined)
            case "audit verify --dir", "audit verify FILE": return ("verification", verifyRate)
            default: return nil
            }
        }
        if format == "json" {
            let json: JSONValue = [
                "cores": .int(Int64(cores)), "load_average": .string(load),
                "sign_limit_per_s": .int(Int64(signRate)), "verify_limit_per_s": .int(Int64(verifyRate)),
                "insert_limit_per_s": .int(Int64(insertRate)), "combined_limit_per_s": .int(Int64(combined)),
                "xlsx_heads": .array(heads.map { .string($0) }),
                "runs": .array(runs.map { r in
                    var o: [String: JSONValue] = ["command": .string(r.what), "events": .int(Int64(r.events)),
                                                  "per_s": .int(Int64(r.rate)), "peak_kib": .int(Int64(r.peakKiB))]
                    if let (_, l) = limit(of: r.what) { o["ratio_per_mille"] = .int(Int64(r.rate / l * 1000)) }
                    if let now = r.limitNow { o["limit_just_before_per_s"] = .int(Int64(now)); o["ratio_just_before_per_mille"] = .int(Int64(r.rate / now * 1000)) }
                    return .object(o)
                }),
            ]
            print(String(decoding: CanonicalEncoder.encode(json), as: UTF8.self))
            return
        }
        func f(_ x: Double) -> String { String(format: "%10.0f", x) }
        print("courtsync bench streams: \(cores) cores, load average \(load)")
        print("  limit  Ed25519 signing, all cores       \(f(signRate)) /s")
        print("  limit  Ed25519 verification, all cores  \(f(verifyRate)) /s")
        print("  limit  SQLite prepared inserts          \(f(insertRate)) /s")
        print("  limit  combined (sign, then insert)     \(f(combined)) /s")
        print("  command               events     seconds      events/s   of the limit       peak memory   limit just before, ratio")
        for r in runs {
            let ratio = limit(of: r.what).map { String(format: "%.2f ", r.rate / $0.1) + $0.0 } ?? ""
            let now = r.limitNow.map { String(format: "   %8.0f /s  %.2f", $0, r.rate / $0) } ?? ""
            print("  " + pad(r.what, 18) + String(format: " %9d %11.2f %13.0f   ", r.events, r.seconds, r.rate) + pad(ratio, 16)
                  + String(format: " %8.1f MB", Double(r.peakKiB) / 1024) + now)
        }
        for line in heads { print("  " + line) }
        for what in Set(runs.map(\.what)).sorted() {
            let peaks = runs.filter { $0.what == what }
            guard let small = peaks.first, let large = peaks.last, large.events > small.events else { continue }
            print("  " + pad(what, 18) + String(format: " memory at %d events vs %d: %+.1f MB (", large.events, small.events,
                                                 Double(large.peakKiB - small.peakKiB) / 1024)
                  + (large.peakKiB < 100 * 1024 ? "under 100 MB)" : "OVER 100 MB)"))
        }
    }

    func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }

    struct Pair: Sendable { let hash: EventHash; let sig: [UInt8] }

    /// Runs `courtsync arguments` as a child process; its time and the peak memory it reports.
    func measure(_ what: String, _ events: Int, _ arguments: [String], work: String, limitNow: Double? = nil) throws -> Run {
        let report = "\(work)/peak-\(getpid())", errors = "\(work)/stderr"
        try? FileManager.default.removeItem(atPath: report)
        FileManager.default.createFile(atPath: errors, contents: nil)
        let process = Process()
        process.executableURL = SelfExecutable.url
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment[PeakMemory.variable] = report
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: errors)
        process.standardInput = FileHandle.nullDevice
        let start = DispatchTime.now()
        try process.run()
        process.waitUntilExit()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        guard process.terminationStatus == 0 else {
            let text = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
            throw EventError("bench: `courtsync \(arguments.joined(separator: " "))` failed (exit \(process.terminationStatus)): \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        let peak = (try? String(contentsOfFile: report, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
        return Run(what: what, events: events, seconds: seconds, peakKiB: peak, limitNow: limitNow)
    }

    /// `count` records to import, as JSON Lines, written in pieces.
    static func writeRecords(_ count: Int, to path: String) throws {
        FileManager.default.createFile(atPath: path, contents: nil)
        guard let out = FileHandle(forWritingAtPath: path) else { throw EventError("bench: cannot write \(path)") }
        defer { try? out.close() }
        var start = 0
        while start < count {
            let drafts = try BenchCommand.syntheticDrafts(min(10_000, count - start), idPrefix: "rec-\(start)")
            var bytes: [UInt8] = []
            for d in drafts {
                var record: [String: JSONValue] = ["id": .string(d.id), "type": .string(d.type), "at": .string(d.at.text), "data": .object(d.data)]
                if let dept = d.dept { record["dept"] = .string(dept) }
                bytes += CanonicalEncoder.encode(.object(record))
                bytes.append(0x0A)
            }
            out.write(Data(bytes))
            start += drafts.count
        }
    }

    /// The records of ``writeRecords(_:to:)`` as table rows, the header first, then one row per
    /// record in the columns every synthetic type uses (cells as they read, unquoted), handed to
    /// `row` 10,000 records at a time so that a writer can stream them.
    static func forEachRecordRow(_ count: Int, _ row: ([String]) throws -> Void) throws {
        let fields = ["case_no", "channel", "method", "mode", "streamed", "qualified"]
        try row(["id", "type", "at", "dept"] + fields)
        func cell(_ v: JSONValue?) -> String {
            switch v {
            case .string(let s)?: return s
            case .bool(let b)?: return b ? "true" : "false"
            case .int(let i)?: return String(i)
            default: return ""
            }
        }
        var start = 0
        while start < count {
            let drafts = try BenchCommand.syntheticDrafts(min(10_000, count - start), idPrefix: "rec-\(start)")
            for d in drafts { try row([d.id, d.type, d.at.text, d.dept ?? ""] + fields.map { cell(d.data[$0]) }) }
            start += drafts.count
        }
    }

    /// The records of ``writeRecords(_:to:)`` as CSV (CRLF, cells with a comma, quote or line
    /// break quoted).
    static func writeCSVRecords(_ count: Int, to path: String) throws {
        FileManager.default.createFile(atPath: path, contents: nil)
        guard let out = FileHandle(forWritingAtPath: path) else { throw EventError("bench: cannot write \(path)") }
        defer { try? out.close() }
        func quoted(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        var text = ""
        try forEachRecordRow(count) { row in
            text += row.map(quoted).joined(separator: ",") + "\r\n"
            if text.utf8.count >= 1 << 20 {
                out.write(Data(text.utf8))
                text = ""
            }
        }
        out.write(Data(text.utf8))
    }

    /// The records of ``writeRecords(_:to:)`` as an .xlsx workbook (built in this process;
    /// only the import that reads it is measured).
    static func writeXLSXRecords(_ count: Int, to path: String) throws {
        var rows: [[String]] = []
        rows.reserveCapacity(count + 1)
        try forEachRecordRow(count) { rows.append($0) }
        try Data(Spreadsheet.xlsx(sheetName: "records", rows: rows)).write(to: URL(fileURLWithPath: path))
    }

    /// The 1-, 5- and 15-minute load averages, as `uptime` prints them.
    static func loadAverage() -> String {
        var loads = [Double](repeating: 0, count: 3)
        guard getloadavg(&loads, 3) == 3 else { return "unknown" }
        return loads.map { String(format: "%.2f", $0) }.joined(separator: " ")
    }
}
