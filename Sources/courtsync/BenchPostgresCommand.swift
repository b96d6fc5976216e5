import ArgumentParser
import CanonicalJSON
import CourtLog
import CourtPlan
import Foundation
import Hub
import NodeStore
import NodeSync
import SyncProtocol

/// `courtsync bench postgres`: hub ingest on PostgreSQL, every signature verified, with every
/// grassroots court of the plan syncing at once through one `hub serve` replica and then through
/// two, printed against the verification limit measured in the same run.
struct BenchPostgresCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres",
        abstract: "测 PostgreSQL 汇总节点 bench postgres — Hub ingest on PostgreSQL through one replica, then two, against the verification limit measured in the same run.")

    @Option(help: "An empty PostgreSQL database for the bench hub: postgres://USER@HOST:PORT/DATABASE (its tables are made and filled).")
    var database: String

    @Option(help: "Events in each court's backlog (the plan's ten grassroots courts: half sync through one replica, half through two).")
    var backlog: Int = 20_000

    func validate() throws {
        guard backlog >= 1_000 else { throw ValidationError("--backlog must be at least 1000") }
    }

    func run() async throws {
        let url = try DatabaseURL(database)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-bench-pg-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let ports = [20_000 + Int(getpid() % 20_000), 20_001 + Int(getpid() % 20_000)]
        let hub = try HubDirectory.create(at: "\(work)/hub", hosts: ["localhost"], ips: ["127.0.0.1"], port: ports[0],
                                          operatorCertificate: nil, operatorKey: nil, operatorCA: nil, database: url)
        let courts = Plan.shipped.courts.map(\.code).filter { $0 != PolicyAuthority.intermediateCourt }.prefix(10)
        printError("recording \(backlog) events at each of \(courts.count) courts…")
        var nodes: [NodeDirectory] = []
        for code in courts {
            let node = try NodeDirectory.create(at: "\(work)/\(code)", court: Plan.shipped.court(code))
            _ = try NodeEnrollment.join(node, bundleJSON: try hub.enroll(requestJSON: try NodeEnrollment.request(node).json).bundle.json)
            let drafts = try BenchCommand.syntheticDrafts(backlog)
            var start = 0
            while start < drafts.count {
                _ = try node.store.append(Array(drafts[start..<min(start + 5_000, drafts.count)]), sealer: node.sealer, recordedAt: 0)
                start += 5_000
            }
            nodes.append(node)
        }
        // The limit: Ed25519 verification of one court's events on all cores.
        let signed = try nodes[0].store.events(of: nodes[0].court.code, from: 1, limit: backlog)
        let key = nodes[0].key.publicKey
        let verifyRate = try VerificationLimit.measure(signed, key: key).rate

        let half = nodes.count / 2
        let one = try await phase(hub: hub, nodes: Array(nodes[..<half]), ports: [ports[0]], work: work)
        let two = try await phase(hub: hub, nodes: Array(nodes[half...]), ports: ports, work: work)
        let events = Double(backlog * half)
        print("courtsync bench postgres: \(half) courts × \(backlog) events syncing at once, every signature verified; PostgreSQL at \(url.redacted)")
        print(String(format: "  limit  Ed25519 verification, all cores   %10.0f signatures/s", verifyRate))
        print(String(format: "  hub    one replica                      %10.0f events/s   %.2f of the limit (%.1f s)", events / one, events / one / verifyRate, one))
        print(String(format: "  hub    two replicas                     %10.0f events/s   %.2f of the limit (%.1f s)", events / two, events / two / verifyRate, two))
        let size = try hub.log.treeSize()
        print("  tree   \(size) leaves, every court's log whole: \(try nodes.allSatisfy { try hub.log.head(of: $0.court.code).seq == Int64(backlog) } ? "yes" : "NO")")
    }

    /// Starts a replica on each of `ports`, syncs every node at once (node i through replica
    /// i mod count) and returns the seconds until the last one is done.
    func phase(hub: HubDirectory, nodes: [NodeDirectory], ports: [Int], work: String) async throws -> Double {
        let servers = try await BenchReplicas.start(hub: hub, ports: ports, work: work)
        defer { BenchReplicas.stop(servers) }
        for (i, node) in nodes.enumerated() {
            let bundle = try NodeEnrollment.bundle(node)
            let pointed = bundle.json.with("hub_url", .string("https://localhost:\(ports[i % ports.count])"))
            guard FileManager.default.createFile(atPath: "\(node.path)/\(NodeEnrollment.bundleName)", contents: Data(CanonicalEncoder.encode(pointed) + [0x0A])) else {
                throw EventError("bench: cannot write \(node.path)/\(NodeEnrollment.bundleName)")
            }
        }
        let start = Date()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for node in nodes {
                group.addTask {
                    let syncer = try NodeSyncer(node: node)
                    defer { Task { await syncer.client.shutdown() } }
                    let report = try await syncer.syncOnce()
                    guard report.lag == 0 else { throw EventError("bench: \(node.court.code) ended with lag \(report.lag)") }
                }
            }
            try await group.waitForAll()
        }
        return Date().timeIntervalSince(start)
    }
}
