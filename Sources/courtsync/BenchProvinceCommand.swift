import ArgumentParser
import Bench
import CanonicalJSON
import CourtLog
import CourtPlan
import Foundation
import Hub
import NodeStore
import NodeSync
import SyncProtocol
import TransparencyLog

/// `courtsync bench province`: a simulated province on loopback. A PostgreSQL hub whose genesis
/// is the plan with simulated grassroots courts added (``Plan/simulatingProvince(courts:)``),
/// `--replicas` real `hub serve` processes on it, and one node per court, each with its own
/// SQLite log, all syncing at once (node i through replica i mod N). Afterwards it checks that
/// nothing was lost, stored twice or forked, that the checkpoints every node saw are prefixes of
/// the final tree, and that the replicas' projections equal a SQLite replay of the same events.
struct BenchProvinceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "province",
        abstract: "模拟省级汇总 bench province — A simulated province on loopback: every court's node syncing at once through hub replicas on PostgreSQL, then checked for lost, doubled or forked events.")

    @Option(help: "An empty PostgreSQL database for the bench hub: postgres://USER@HOST:PORT/DATABASE (its tables are made and filled).")
    var database: String

    @Option(help: "Courts in the province, 410800 and the plan's ten grassroots courts among them; the rest are simulated (990001 …).")
    var courts: Int = 180

    // Not --events: the parent `bench` has that option, and it would take the value.
    @Option(help: "Events each grassroots court's node records before the sync.")
    var backlog: Int = 1_000

    @Option(help: "`hub serve` replicas on the database; node i syncs through replica i mod N.")
    var replicas: Int = 2

    @Option(help: "CPUs each replica may use (0.5: half a core), as if each ran on a machine of its own: each is put in its own cgroup with that CPU quota (needs root). Shows whether ingest grows with replicas where the cores are too few to give each its own.")
    var replicaCpu: Double?

    func validate() throws {
        let least = Plan.shipped.courts.count
        guard (least...2_000).contains(courts) else { throw ValidationError("--courts must be \(least) to 2000 (the plan's \(least) courts and up to \(2_000 - least) simulated ones)") }
        guard (10...1_000_000).contains(backlog) else { throw ValidationError("--backlog must be 10 to 1000000") }
        guard (1...4).contains(replicas) else { throw ValidationError("--replicas must be 1 to 4 (each replica opens up to 20 PostgreSQL connections)") }
        if let replicaCpu {
            do throws(ReplicaCPUCap.Refusal) { _ = try ReplicaCPUCap(cores: replicaCpu) } catch { throw ValidationError(error.description) }
        }
    }

    func run() async throws {
        let url = try DatabaseURL(database)
        let load = BenchStreamsCommand.loadAverage()
        let plan = try Plan.shipped.simulatingProvince(courts: courts)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-bench-province-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let ports = (0..<replicas).map { 20_000 + Int(getpid() % 20_000) + $0 }
        let hub = try HubDirectory.create(at: "\(work)/hub", hosts: ["localhost"], ips: ["127.0.0.1"], port: ports[0],
                                          operatorCertificate: nil, operatorKey: nil, operatorCA: nil, database: url, plan: plan)
        guard let postgres = hub.postgres else { throw EventError("bench: the hub was not made on PostgreSQL") }

        let grassroots = plan.courts.filter { $0.code != PolicyAuthority.intermediateCourt }
        printError("enrolling \(grassroots.count) nodes (\(grassroots.filter { Plan.isSimulated(court: $0.code) }.count) of them simulated courts)…")
        let t0 = Date()
        var nodes: [NodeDirectory] = []
        for court in grassroots {
            let node = try NodeDirectory.create(at: "\(work)/nodes/\(court.code)", court: court, genesisPlan: plan)
            _ = try NodeEnrollment.join(node, bundleJSON: try hub.enroll(requestJSON: try NodeEnrollment.request(node).json).bundle.json)
            nodes.append(node)
        }
        let enrollSeconds = Date().timeIntervalSince(t0)
        printError("recording \(backlog) events at each node…")
        let drafts = try BenchCommand.syntheticDrafts(backlog)
        let t1 = Date()
        for node in nodes {
            var start = 0
            while start < drafts.count {
                _ = try node.store.append(Array(drafts[start..<min(start + 5_000, drafts.count)]), sealer: node.sealer, recordedAt: 0)
                start += 5_000
            }
        }
        let recordSeconds = Date().timeIntervalSince(t1)
        // The limit: Ed25519 verification of one court's events on all cores.
        let signed = try nodes[0].store.events(of: nodes[0].court.code, from: 1, limit: backlog)
        let key = nodes[0].key.publicKey
        let verifyRate = try VerificationLimit.measure(signed, key: key).rate

        // Every simulated court connects from 127.0.0.1, where a real province's courts come from an
        // address each: the per-address cap is lifted for the run.
        // Declared first so that it runs last: a cgroup can be removed only once its replica has exited.
        var groups: [ReplicaCPUCap.Group] = []
        defer { for g in groups { g.remove() } }
        let servers = try await BenchReplicas.start(hub: hub, ports: ports, work: work,
                                                    environment: ["COURTSYNC_MAX_CONNECTIONS_PER_ADDRESS": "\(4 * courts)"])
        defer { BenchReplicas.stop(servers) }
        if let replicaCpu {
            let cap = try ReplicaCPUCap(cores: replicaCpu)
            for (i, server) in servers.enumerated() {
                groups.append(try cap.place(server.processIdentifier, name: "courtsync-bench-\(getpid())-replica-\(i + 1)"))
            }
        }
        for (i, node) in nodes.enumerated() {
            let pointed = try NodeEnrollment.bundle(node).json.with("hub_url", .string("https://localhost:\(ports[i % ports.count])"))
            guard FileManager.default.createFile(atPath: "\(node.path)/\(NodeEnrollment.bundleName)", contents: Data(CanonicalEncoder.encode(pointed) + [0x0A])) else {
                throw EventError("bench: cannot write \(node.path)/\(NodeEnrollment.bundleName)")
            }
        }
        printError("syncing \(nodes.count) nodes at once through \(replicas) replica\(replicas == 1 ? "" : "s")…")
        let retries = Locked(0)
        let replicaCPU0 = servers.map { CPUTime.of(process: $0.processIdentifier) }, periods0 = groups.map { $0.periods() }
        let nodesCPU0 = CPUTime.ofThisProcess()
        let t3 = Date()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for node in nodes {
                group.addTask { try await Self.sync(node, retries: retries) }
            }
            try await group.waitForAll()
        }
        let syncSeconds = Date().timeIntervalSince(t3)
        let nodesCPU = CPUTime.ofThisProcess() - nodesCPU0
        let replicaCPU = servers.enumerated().map { CPUTime.of(process: $0.element.processIdentifier) - replicaCPU0[$0.offset] }
        let periods = groups.enumerated().map { (ran: $0.element.periods().ran - periods0[$0.offset].ran, throttled: $0.element.periods().throttled - periods0[$0.offset].throttled) }
        let events = Double(backlog * nodes.count)

        printError("checking the hub's log, tree and checkpoints…")
        let census = try ProvinceCensus.take(hub: hub, postgres: postgres, nodes: nodes)
        printError("waiting for every replica's projections, then replaying the same events into a new SQLite store…")
        let digests = try await projectionDigests(hub: hub, postgres: postgres, servers: servers, ports: ports, work: work)

        print("courtsync bench province: \(plan.courts.count) courts (\(grassroots.count) nodes, \(grassroots.filter { Plan.isSimulated(court: $0.code) }.count) simulated) × \(backlog) events, syncing at once through \(replicas) `hub serve` replica\(replicas == 1 ? "" : "s") on PostgreSQL at \(url.redacted); load average at start \(load)")
        print(String(format: "  setup  %d nodes made and enrolled in %.1f s (%.0f ms each); %d events signed and stored in %.1f s", nodes.count, enrollSeconds,
                     enrollSeconds * 1000 / Double(nodes.count), Int(events), recordSeconds))
        print(String(format: "  limit  Ed25519 verification, all cores   %10.0f signatures/s", verifyRate))
        print(String(format: "  sync   %d nodes × %d events in %.1f s    %10.0f events/s   %.2f of the limit; %d sync%@ retried after a transient refusal",
                     nodes.count, backlog, syncSeconds, events / syncSeconds, events / syncSeconds / verifyRate, retries.value, retries.value == 1 ? "" : "s"))
        for (i, cpu) in replicaCPU.enumerated() {
            let capped = replicaCpu.map { String(format: " (capped at %.2f in its own cgroup: held back in %d of the %d periods of 100 ms it ran in)", $0, periods[i].throttled, periods[i].ran) } ?? ""
            print(String(format: "  cpu    replica %d: %.1f s of CPU during the sync, %.2f cores, %.1f µs per event it took%@", i + 1, cpu, cpu / syncSeconds,
                         cpu * 1e6 / (events / Double(replicas)), capped))
        }
        print(String(format: "  cpu    the %d nodes (this process): %.1f s, %.2f cores; the rest of the machine's time went to PostgreSQL and the kernel", nodes.count, nodesCPU, nodesCPU / syncSeconds))
        census.print()
        print("  proj   replay digest \(digests.replay.prefix(16))…: " + digests.replicas.enumerated().map { "replica \($0.offset + 1) \($0.element == digests.replay ? "equal" : "DIFFERENT")" }.joined(separator: ", "))
        let whole = census.problems.isEmpty && digests.replicas.allSatisfy { $0 == digests.replay }
        print(whole ? "  nothing lost, duplicated or forked; the replicas' projections equal a replay of the same events"
                    : "  FAILED: " + (census.problems + (digests.replicas.allSatisfy { $0 == digests.replay } ? [] : ["a replica's projections differ from the replay"])).joined(separator: "; "))
        guard whole else { throw ExitCode.failure }
    }

    /// One node's sync; a transient refusal (the hub busy, a connection cut) is retried, as a
    /// node's sync loop would, at most five times.
    static func sync(_ node: NodeDirectory, retries: Locked<Int>) async throws {
        var attempt = 0
        while true {
            let syncer = try NodeSyncer(node: node)
            do {
                let report = try await syncer.syncOnce()
                await syncer.client.shutdown()
                guard report.lag == 0 else { throw EventError("bench: \(node.court.code) ended its sync with lag \(report.lag)") }
                return
            } catch let error as SyncError where error.transient && attempt < 5 {
                await syncer.client.shutdown()
                attempt += 1
                retries.update { $0 += 1 }
                try await Task.sleep(nanoseconds: 500_000_000)
            } catch {
                await syncer.client.shutdown()
                throw EventError("bench: \(node.court.code)'s sync failed: \(error)")
            }
        }
    }

    /// Waits (up to 120 s) until every replica's projection file holds every court's log as far
    /// as PostgreSQL does, stops the replicas, and returns the digest of each one's stored
    /// projections and of a from-scratch replay of the same events folded into a new SQLite store.
    func projectionDigests(hub: HubDirectory, postgres: PostgresHubStore, servers: [Process], ports: [Int], work: String) async throws -> (replicas: [String], replay: String) {
        let heads = try postgres.courtHeads()
        let files = ports.map { "\(work)/projection-\($0).sqlite" }
        let deadline = Date().addingTimeInterval(120)
        for file in files {
            while true {
                let store = try EventStore(path: file)
                if try heads.allSatisfy({ try store.head(of: $0.court).seq == $0.seq }) { break }
                guard Date() < deadline else { throw EventError("bench: the replica folding into \(file) did not catch up within 120 s") }
                try await Task.sleep(nanoseconds: 250_000_000)
            }
        }
        for s in servers { kill(s.processIdentifier, SIGTERM); s.waitUntilExit() }
        let replicaDigests = try files.map { try EventStore(path: $0).storedDigest() }
        let fresh = ProjectionFollower(source: postgres, projection: try EventStore(path: "\(work)/replay.sqlite", role: .hub))
        try fresh.catchUp()
        return (replicaDigests, try fresh.projection.replay().digest)
    }
}

/// A value shared by concurrent tasks of a bench.
final class Locked<Value>: @unchecked Sendable {
    private var stored: Value
    private let lock = NSLock()
    init(_ value: Value) { stored = value }
    var value: Value { lock.withLock { stored } }
    func update(_ body: (inout Value) -> Void) { lock.withLock { body(&stored) } }
}
