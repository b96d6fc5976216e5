import ArgumentParser
import CourtLog
import CourtPlan
import Bench
import Foundation
import NodeStore
import Projections

struct BenchReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "测重放速度 bench replay — Measure replay throughput and query time as history grows (synthetic unsigned rows; replay checks no signatures).")

    @Option(help: "History sizes, comma-separated.")
    var sizes: String = "100000,1000000"

    @Option(help: "Also build the stored projection tables incrementally and time it (slow at 10M).")
    var incremental: Bool = true

    func run() throws {
        let steps = sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.sorted()
        guard !steps.isEmpty else { throw ValidationError("--sizes must list numbers, e.g. 100000,1000000,10000000") }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-bench-replay-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let store = try EventStore(path: "\(work)/bench.sqlite")
        print("courtsync bench replay: synthetic history, 11 courts, 12 months")
        print("  events      fill s   replay s   replay ev/s   in memory s   update s   compliance ms  trend ms  accountability ms")
        var filled = 0
        for size in steps {
            let t0 = Date()
            try SyntheticHistory.fill(store, count: size - filled, startingAt: filled)
            filled = size
            let fill = Date().timeIntervalSince(t0)
            let t1 = Date()
            let replay = try store.replay()
            let replaySeconds = Date().timeIntervalSince(t1)
            // The same replay holding every distinct set in memory (no spill files): what the
            // spill costs in time. Its memory grows with the log (bench streams measures that).
            let tm = Date()
            let inMemory = try store.replay(distinctBudget: Int.max)
            let inMemorySeconds = Date().timeIntervalSince(tm)
            guard inMemory.digest == replay.digest else { throw ValidationError("bench: the spilled and in-memory replays differ (\(replay.digest) vs \(inMemory.digest))") }
            var update = 0.0
            if incremental {
                let t2 = Date()
                try store.updateProjections()
                update = Date().timeIntervalSince(t2)
            }
            // Queries as the CLI runs them: load the period's counters, policy, rosters; evaluate.
            func timeMS(_ body: () throws -> Void) rethrows -> Double {
                var samples: [Double] = []
                for _ in 0..<7 { let t = Date(); try body(); samples.append(Date().timeIntervalSince(t) * 1000) }
                return samples.sorted()[3]
            }
            let period = Period.month(year: 2023, month: 3)
            let compliance = try timeMS {
                let p = Projection(policy: try store.storedPolicy(), rosters: try store.storedRosters())
                _ = p.compliance(period: period, counts: try store.storedCounts(period: period.description))
            }
            let trend = try timeMS {
                let p = Projection(policy: try store.storedPolicy(), rosters: try store.storedRosters())
                let ind = p.policy.plan.indicators[0]
                let periods = try Projection.periods(from: .month(year: 2022, month: 8), to: .month(year: 2023, month: 7), by: "month")
                _ = p.trend(ind, unit: "410802", periods: try periods.map { ($0, try store.storedCounts(period: $0.description)) })
            }
            let accountability = try timeMS {
                let p = Projection(policy: try store.storedPolicy(), rosters: try store.storedRosters())
                _ = p.accountability(period: period, counts: try store.storedCounts(period: period.description))
            }
            print(String(format: "  %9d  %7.1f  %9.2f  %12.0f  %12.2f  %9.1f  %13.1f  %8.1f  %17.1f",
                         size, fill, replaySeconds, Double(replay.events) / replaySeconds, inMemorySeconds, update, compliance, trend, accountability))
        }
    }
}
