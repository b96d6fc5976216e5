import ArgumentParser
import CanonicalJSON
import CourtLog
import CourtPlan
import Bench
import Foundation
import NodeStore

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "性能测试 bench — Measure node append throughput against this machine's raw limits, measured in the same run.",
        discussion: "Build with -c release for meaningful figures. Works in a temporary directory it removes afterwards.",
        subcommands: [BenchReplayCommand.self, BenchSyncCommand.self, BenchStreamsCommand.self, BenchPostgresCommand.self, BenchHostileCommand.self, BenchProvinceCommand.self])

    @Option(help: "Events for the batched append and the raw limits.")
    var events: Int = 200_000

    @Option(help: "Single durable appends, each its own transaction.")
    var single: Int = 2_000

    @Option(help: "Events per batch for the batched append.")
    var batch: Int = 1_000

    @Option(help: "table or json.")
    var format: String = "table"

    @Option(help: "A command that stores EVENTS unsigned events in batches of BATCH and prints events/s (given EVENTS BATCH as arguments), e.g. \"python3 scripts/bench_peer.py\": the peer the batched append is compared with.")
    var peer: String?

    func validate() throws {
        guard events >= 1_000, single >= 10, batch >= 1 else { throw ValidationError("--events ≥ 1000, --single ≥ 10, --batch ≥ 1") }
        guard ["table", "json"].contains(format) else { throw ValidationError("--format must be table or json") }
    }

    func run() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-bench-\(getpid())").path
        try? FileManager.default.removeItem(atPath: work)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        #if DEBUG
        printError("warning: this is a debug build; run `swift build -c release` and .build/release/courtsync bench for real figures")
        #endif
        let drafts = try Self.syntheticDrafts(events)

        // Limit 1: Ed25519 signing on all cores.
        let key = NodeKey()
        let hashes = drafts.map { EventHash(ofCanonicalBody: Array($0.id.utf8)) }
        let signSeconds = Self.time { _ = Parallel.map(hashes) { key.sign(eventHash: $0) } }
        let signRate = Double(events) / signSeconds

        // Limit 2: SQLite prepared inserts alone, one transaction.
        let insertSeconds = try RawInsertLimit.measure(count: events, path: "\(work)/raw.sqlite")
        let insertRate = Double(events) / insertSeconds
        let combinedLimit = 1 / (1 / signRate + 1 / insertRate)

        // Batched append: validate ids, chain, sign on all cores, insert, durable commit per batch.
        let node = try NodeDirectory.create(at: "\(work)/node", court: Plan.shipped.court("410802"))
        let sealer = node.sealer
        let batchSeconds = try Self.time {
            var start = 0
            while start < drafts.count {
                let chunk = Array(drafts[start..<min(start + batch, drafts.count)])
                _ = try node.store.append(chunk, sealer: sealer, recordedAt: 0)
                start += chunk.count
            }
        }
        let batchRate = Double(events) / batchSeconds

        // Single durable appends.
        let singles = try Self.syntheticDrafts(single, idPrefix: "single")
        var latencies: [Double] = []
        latencies.reserveCapacity(single)
        let singleSeconds = try Self.time {
            for d in singles {
                let t = try Self.time { _ = try node.store.append([d], sealer: sealer, recordedAt: 0) }
                latencies.append(t)
            }
        }
        latencies.sort()
        func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] * 1000 }
        let singleRate = Double(single) / singleSeconds
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let peerRate = try peer.map { try Self.peerRate($0, events: events, batch: batch) }
        let load = BenchStreamsCommand.loadAverage()

        if format == "json" {
            let json: JSONValue = [
                "cores": .int(Int64(cores)), "events": .int(Int64(events)), "batch": .int(Int64(batch)),
                "sign_limit_per_s": .int(Int64(signRate)), "insert_limit_per_s": .int(Int64(insertRate)),
                "combined_limit_per_s": .int(Int64(combinedLimit)), "batched_append_per_s": .int(Int64(batchRate)),
                "batched_ratio_per_mille": .int(Int64(batchRate / combinedLimit * 1000)),
                "single_append_per_s": .int(Int64(singleRate)),
                "single_p50_us": .int(Int64(percentile(0.5) * 1000)), "single_p99_us": .int(Int64(percentile(0.99) * 1000)),
                "peer_per_s": peerRate.map { .int(Int64($0)) } ?? .null, "load_average": .string(load),
            ]
            print(String(decoding: CanonicalEncoder.encode(json), as: UTF8.self))
            return
        }
        func f(_ x: Double) -> String { String(format: "%10.0f", x) }
        print("courtsync bench: \(events) events, batches of \(batch), \(cores) cores, load average \(load)")
        print("  limit  Ed25519 signing, all cores     \(f(signRate)) signatures/s")
        print("  limit  SQLite prepared inserts        \(f(insertRate)) rows/s")
        print("  limit  combined (sign, then insert)   \(f(combinedLimit)) events/s")
        print("  node   batched append (durable)       \(f(batchRate)) events/s   \(String(format: "%.2f", batchRate / combinedLimit)) of the combined limit (target ≥ 0.80, ≥ 50000/s)")
        if let peerRate {
            print("  peer   unsigned, batches of \(batch)      \(f(peerRate)) events/s   append is \(String(format: "%.2f", batchRate / peerRate))× the peer (target ≥ 1.2)")
        } else {
            print("  peer   not measured: pass --peer \"python3 scripts/bench_peer.py\" (pip install eventsourcing)")
        }
        print("  node   single durable append          \(f(singleRate)) events/s   p50 \(String(format: "%.2f", percentile(0.5))) ms  p99 \(String(format: "%.2f", percentile(0.99))) ms")
    }

    /// Runs the peer command with the number of events and the batch size; the events/s it prints.
    static func peerRate(_ command: String, events: Int, batch: Int) throws -> Double {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "\(command) \(events) \(batch)"]
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, let rate = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)), rate > 0 else {
            throw EventError("bench: the peer `\(command)` failed or printed no events/s: run it by hand with \(events) \(batch) to see why")
        }
        return rate
    }

    static func time(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now()
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }

    /// Usage events of the shapes a grassroots court records, deterministic.
    static func syntheticDrafts(_ count: Int, idPrefix: String = "bench") throws -> [EventDraft] {
        let depts = ["case-filing", "civil-1", "trial-management", nil]
        return try (0..<count).map { i in
            let minute = i % 60, hour = 8 + (i / 60) % 10, day = 1 + (i / 600) % 28
            let at = try EventTime(parsing: "2022-08-\(day < 10 ? "0" : "")\(day)T\(hour < 10 ? "0" : "")\(hour):\(minute < 10 ? "0" : "")\(minute):00+08:00")
            let caseNo = JSONValue.string("(2022)豫0802民初\(i)号")
            let data: (String, [String: JSONValue])
            switch i % 4 {
            case 0: data = ("case.filed", ["case_no": caseNo, "channel": i % 100 == 0 ? "offline" : "online"])
            case 1: data = ("service.delivered", ["case_no": caseNo, "method": i % 10 == 1 ? "postal" : "electronic"])
            case 2: data = ("hearing.held", ["case_no": caseNo, "mode": i % 3 == 0 ? "online" : "offline", "streamed": .bool(i % 5 == 0)])
            default: data = ("dossier.checked", ["case_no": caseNo, "qualified": .bool(i % 7 != 0)])
            }
            return try EventDraft(id: "\(idPrefix)-\(i)", type: data.0, at: at, dept: depts[i % 4], data: data.1)
        }
    }
}
