import ArgumentParser
import CourtLog
import CourtPlan
import Foundation
import Hub
import NodeStore
import NodeSync
import SyncProtocol

struct BenchSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "测汇总节点接收速度 bench sync — Measure hub ingest over HTTPS with every signature verified, against the verification limit on all cores, and the time to sync a backlog.")

    // Not --events: the parent `bench` has that option, and it would take the value.
    @Option(help: "Events in the node's backlog.")
    var backlog: Int = 200_000

    func validate() throws {
        guard backlog >= 10_000 else { throw ValidationError("--backlog must be at least 10000") }
    }

    func run() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-bench-sync-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let port = 20_000 + Int(getpid() % 20_000)
        let hub = try HubDirectory.create(at: "\(work)/hub", hosts: ["localhost"], ips: ["127.0.0.1"], port: port,
                                          operatorCertificate: nil, operatorKey: nil, operatorCA: nil)
        let node = try NodeDirectory.create(at: "\(work)/node", court: Plan.shipped.court("410802"))
        let request = try NodeEnrollment.request(node)
        _ = try NodeEnrollment.join(node, bundleJSON: try hub.enroll(requestJSON: request.json).bundle.json)
        printError("recording \(backlog) events at the node…")
        let drafts = try BenchCommand.syntheticDrafts(backlog)
        var start = 0
        while start < drafts.count {
            let chunk = Array(drafts[start..<min(start + 5_000, drafts.count)])
            _ = try node.store.append(chunk, sealer: node.sealer, recordedAt: 0)
            start += chunk.count
        }
        // The limit: Ed25519 verification of the same events on all cores.
        let signed = try node.store.events(of: "410802", from: 1, limit: backlog)
        let key = node.key.publicKey
        let t0 = Date()
        let ok = Parallel.map(signed) { key.verifies(signature: $0.sig, of: $0.hash) }
        let verifyRate = Double(backlog) / Date().timeIntervalSince(t0)
        guard ok.allSatisfy({ $0 }) else { throw EventError("bench: a signature failed to verify") }
        // The hub as its own process, as in production.
        let server = Process()
        server.executableURL = SelfExecutable.url
        server.arguments = ["hub", "serve", "--dir", hub.path, "--host", "127.0.0.1"]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        try await Task.sleep(nanoseconds: 1_500_000_000)
        let syncer = try NodeSyncer(node: node)
        let t1 = Date()
        let report = try await syncer.syncOnce()
        let seconds = Date().timeIntervalSince(t1)
        await syncer.client.shutdown()
        let rate = Double(report.pushed) / seconds
        print("courtsync bench sync: \(backlog)-event backlog, pushed in batches of \(ApiPaths.pushBatch) over HTTPS (mutual TLS)")
        print(String(format: "  limit  Ed25519 verification, all cores  %10.0f signatures/s", verifyRate))
        print(String(format: "  hub    ingest with full verification  %10.0f events/s   %.2f of the limit (target ≥ 0.70, ≥ 20000/s)", rate, rate / verifyRate))
        print(String(format: "  node   backlog synced in               %10.1f s (lag %d)", seconds, report.lag))
    }
}
