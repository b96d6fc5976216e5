import CourtLog
import Foundation
import Hub
import NodeStore
import NodeSync

/// `bench sync --database`: the same sync against a hub on PostgreSQL, a `hub serve` process of
/// a hub made with `--database`, with the same lines printed. CPU per event counts the hub
/// process and the PostgreSQL server's processes (its postmaster and every backend, those that
/// ended included), since on PostgreSQL the store's work is theirs.
extension BenchSyncCommand {
    func runOnPostgres(hub: HubDirectory, postgres: PostgresHubStore, node: NodeDirectory, work: String, verifyRate: Double, verifyCPU: Double) async throws {
        let servers = try await BenchReplicas.start(hub: hub, ports: [hub.port], work: work)
        defer { BenchReplicas.stop(servers) }
        let server = servers[0]
        let postmaster = try postgres.serverProcess()
        let syncer = try NodeSyncer(node: node)
        let t1 = Date()
        let nodeCPU0 = CPUTime.ofThisProcess(), hubCPU0 = CPUTime.of(process: server.processIdentifier), pgCPU0 = CPUTime.ofTree(postmaster)
        let report = try await syncer.syncOnce(batch: batch, pipeline: inFlight)
        let seconds = Date().timeIntervalSince(t1)
        let nodeCPU = (CPUTime.ofThisProcess() - nodeCPU0) / Double(backlog)
        let hubCPU = (CPUTime.of(process: server.processIdentifier) - hubCPU0) / Double(backlog)
        let pgCPU = (CPUTime.ofTree(postmaster) - pgCPU0) / Double(backlog)
        await syncer.client.shutdown()
        let rate = Double(report.pushed) / seconds
        let whole = try postgres.head(of: node.court.code).seq == Int64(backlog)
        print("courtsync bench sync: \(backlog)-event backlog, pushed in batches of \(batch), \(inFlight) in flight, over HTTPS (mutual TLS); hub on PostgreSQL at \(postgres.url.redacted)")
        print(String(format: "  limit  Ed25519 verification, all cores  %10.0f signatures/s", verifyRate))
        print(String(format: "  hub    ingest with full verification  %10.0f events/s   %.2f of the limit (target ≥ 0.70, ≥ 20000/s)", rate, rate / verifyRate))
        print(String(format: "  node   backlog synced in               %10.1f s (lag %d); the court's log whole in PostgreSQL: %@", seconds, report.lag, whole ? "yes" : "NO"))
        print(String(format: "  cpu    per event: verification %.1f µs; sync: hub %.1f µs + PostgreSQL %.1f µs + node %.1f µs → on idle cores at best %.2f of the limit",
                     verifyCPU * 1e6, hubCPU * 1e6, pgCPU * 1e6, nodeCPU * 1e6, verifyCPU / (hubCPU + pgCPU + nodeCPU)))
        guard whole, report.lag == 0 else { throw EventError("bench: the sync ended with lag \(report.lag): the hub did not take the whole backlog") }
    }
}

extension CPUTime {
    /// CPU time of a process and of all its children, live ones and those it has reaped (fields
    /// 14–17 of its /proc stat, plus the live children's 14–15): a PostgreSQL server's work.
    static func ofTree(_ pid: Int32) -> Double {
        func fields(_ pid: Int32) -> [Substring]? {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = text.lastIndex(of: ")") else { return nil }
            return text[text.index(after: close)...].split(separator: " ")
        }
        let tick = Double(sysconf(Int32(_SC_CLK_TCK)))
        guard let own = fields(pid), own.count > 15 else { return 0 }
        var ticks = [11, 12, 13, 14].compactMap { Double(own[$0]) }.reduce(0, +)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let child = Int32(name), let f = fields(child), f.count > 12, f[1] == Substring(String(pid)) else { continue }
            ticks += (Double(f[11]) ?? 0) + (Double(f[12]) ?? 0)
        }
        return ticks / tick
    }
}
