import ArgumentParser
import CourtLog
import CourtPlan
import Foundation
import Hub
import NodeStore
import NodeSync
import SyncProtocol
import TransparencyLog

struct BenchSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "测汇总节点接收速度 bench sync — Measure hub ingest over HTTPS with every signature verified, against the verification limit on all cores, and the time to sync a backlog.")

    // Not --events: the parent `bench` has that option, and it would take the value.
    @Option(help: "Events in the node's backlog.")
    var backlog: Int = 200_000

    @Option(help: "Events per push.")
    var batch: Int = ApiPaths.pushBatch

    @Option(help: "Pushes the node keeps in flight.")
    var inFlight: Int = ApiPaths.pushesInFlight

    @Option(help: "Bench a hub on PostgreSQL instead of SQLite: an empty database, postgres://USER@HOST:PORT/DATABASE (its tables are made and filled). The hub runs as a `hub serve --database` process; the per-stage timings and proof rates, which time the SQLite store in this process, are not printed.")
    var database: String?

    func validate() throws {
        guard backlog >= 10_000 else { throw ValidationError("--backlog must be at least 10000") }
        guard (1...10_000).contains(batch) else { throw ValidationError("--batch must be 1 to 10000") }
        guard (1...8).contains(inFlight) else { throw ValidationError("--in-flight must be 1 to 8") }
    }

    func run() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-bench-sync-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let port = 20_000 + Int(getpid() % 20_000)
        let url = try database.map { try DatabaseURL($0) }
        let hub = try HubDirectory.create(at: "\(work)/hub", hosts: ["localhost"], ips: ["127.0.0.1"], port: port,
                                          operatorCertificate: nil, operatorKey: nil, operatorCA: nil, database: url)
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
        let limit = try VerificationLimit.measure(signed, key: key)
        let (verifyRate, verifyCPU) = (limit.rate, limit.cpu)
        if let postgres = hub.postgres {
            try await runOnPostgres(hub: hub, postgres: postgres, node: node, work: work, verifyRate: verifyRate, verifyCPU: verifyCPU)
            return
        }
        let stages = try measureStages(work: work, node: node, backlog: backlog)
        // The hub as its own process, as in production.
        let server = Process()
        server.executableURL = SelfExecutable.url
        server.arguments = ["hub", "serve", "--dir", hub.path, "--host", "127.0.0.1"]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        // Wait until the hub answers /healthz (a generous deadline: a loaded machine starts slowly).
        let probe = try HubClient(baseURL: "https://localhost:\(hub.port)", caPEM: try hub.caPEM, certificatePEM: nil, privateKeyPEM: nil)
        let deadline = Date().addingTimeInterval(60)
        var up = false
        while !up && Date() < deadline && server.isRunning {
            if let reply = try? await probe.get(ApiPaths.health), reply.status == 200 { up = true } else { try await Task.sleep(nanoseconds: 100_000_000) }
        }
        await probe.shutdown()
        guard up else { throw EventError("bench: the hub did not answer on port \(hub.port) within 60 s; is the port free?") }
        let syncer = try NodeSyncer(node: node)
        let t1 = Date()
        let nodeCPU0 = CPUTime.ofThisProcess(), hubCPU0 = CPUTime.of(process: server.processIdentifier)
        let report = try await syncer.syncOnce(batch: batch, pipeline: inFlight)
        let seconds = Date().timeIntervalSince(t1)
        let nodeCPU = (CPUTime.ofThisProcess() - nodeCPU0) / Double(backlog)
        let hubCPU = (CPUTime.of(process: server.processIdentifier) - hubCPU0) / Double(backlog)
        await syncer.client.shutdown()
        let rate = Double(report.pushed) / seconds
        print("courtsync bench sync: \(backlog)-event backlog, pushed in batches of \(batch), \(inFlight) in flight, over HTTPS (mutual TLS)")
        print(String(format: "  limit  Ed25519 verification, all cores  %10.0f signatures/s", verifyRate))
        print(String(format: "  hub    ingest with full verification  %10.0f events/s   %.2f of the limit (target ≥ 0.70, ≥ 20000/s)", rate, rate / verifyRate))
        print(String(format: "  node   backlog synced in               %10.1f s (lag %d)", seconds, report.lag))
        stages.print(verifyRate: verifyRate, endToEnd: seconds / Double(backlog))
        // CPU time does not depend on what else runs on the machine: the share of the sync's CPU
        // that is verification is the ratio the sync reaches on idle cores when every stage overlaps.
        print(String(format: "  cpu    per event: verification %.1f µs; sync: hub %.1f µs + node %.1f µs → on idle cores at best %.2f of the limit",
                     verifyCPU * 1e6, hubCPU * 1e6, nodeCPU * 1e6, verifyCPU / (hubCPU + nodeCPU)))
        // Here the node shares the hub's cores; in a court system it runs at the court.
        print(String(format: "  cpu    the hub alone (its nodes on machines of their own): at best %.2f of the limit", verifyCPU / hubCPU))
        try benchProofs(hub)
    }

    /// What one event costs in each stage of a push, each stage timed alone in this process on
    /// the same batches (the sync overlaps them; these say where the time goes).
    struct Stages {
        /// Node: read a batch from SQLite as events (every row parsed and checked) and encode
        /// their export lines: how a node built a push before issue 13.
        var readParsed: Double = 0
        /// Node: read a batch's stored bytes and splice them into export lines.
        var read: Double = 0
        /// Hub: parse and check every line (JSON, envelope, catalog, hash), on one core.
        var parseOneCore: Double = 0
        /// The same with the general reader (a JSON tree per line), which reads lines that are
        /// not canonical and words every refusal: the hub's parse before the one-pass reader.
        var parseTreeOneCore: Double = 0
        /// The same on all cores.
        var parse: Double = 0
        /// Hub: store, fold, append to the tree and sign a checkpoint, one transaction per batch.
        var store: Double = 0
        /// CPU time per event (all threads) of the hub's parse and of its store.
        var parseCPU: Double = 0
        var storeCPU: Double = 0

        func print(verifyRate: Double, endToEnd: Double) {
            let verify = 1 / verifyRate
            func line(_ name: String, _ seconds: Double) {
                let padded = name.padding(toLength: 44, withPad: " ", startingAt: 0)
                Swift.print("  stage  " + padded + String(format: "%7.1f µs/event  (%5.2f× verification)", seconds * 1e6, seconds / verify))
            }
            line("node read, parse + encode (before)", readParsed)
            line("node read + splice stored bytes", read)
            line("hub parse + check, one core", parseOneCore)
            line("hub parse as a JSON tree (before), one core", parseTreeOneCore)
            line("hub parse + check, all cores", parse)
            line("hub verify, all cores (the limit)", verify)
            line("hub store + fold + tree + checkpoint", store)
            line("sync end to end, per event", endToEnd)
            Swift.print(String(format: "  stage  CPU per event: hub parse %.1f µs, hub store + fold + tree + checkpoint %.1f µs", parseCPU * 1e6, storeCPU * 1e6))
        }
    }

    func measureStages(work: String, node: NodeDirectory, backlog: Int) throws -> Stages {
        printError("timing each stage alone…")
        var stages = Stages()
        let court = node.court.code
        var parsedBodies: [[UInt8]] = []
        let tp = Date()
        var from: Int64 = 1
        while from <= Int64(backlog) {
            let events = try node.store.events(of: court, from: from, limit: batch)
            var body: [UInt8] = []
            for e in events { body += e.exportLine; body.append(0x0A) }
            parsedBodies.append(body)
            from = (events.last?.seq ?? from) + 1
        }
        stages.readParsed = Date().timeIntervalSince(tp) / Double(backlog)
        var bodies: [[UInt8]] = []
        let t0 = Date()
        var next: Int64 = 1
        while let pushed = try node.store.pushBatch(of: court, from: next, limit: batch) {
            bodies.append(pushed.body)
            next = pushed.last.seq + 1
        }
        stages.read = Date().timeIntervalSince(t0) / Double(backlog)
        guard bodies == parsedBodies else { throw EventError("bench: the spliced export lines differ from the encoded ones") }
        let ts = Date()
        for body in bodies.prefix(max(1, bodies.count / 4)) {
            for line in body.split(separator: 0x0A) { _ = try? SignedEvent(parsing: Array(line)) }
        }
        stages.parseOneCore = Date().timeIntervalSince(ts) / Double(bodies.prefix(max(1, bodies.count / 4)).map { $0.split(separator: 0x0A).count }.reduce(0, +))
        let tt = Date()
        for body in bodies.prefix(max(1, bodies.count / 4)) {
            for line in body.split(separator: 0x0A) { _ = try? SignedEvent.parsedAsTree(Array(line)) }
        }
        stages.parseTreeOneCore = Date().timeIntervalSince(tt) / Double(bodies.prefix(max(1, bodies.count / 4)).map { $0.split(separator: 0x0A).count }.reduce(0, +))
        let t1 = Date()
        let parseCPU0 = CPUTime.ofThisProcess()
        // As the hub parses: each line's prepared draft kept for the store.
        var batches: [(events: [SignedEvent], prepared: [PreparedDraft])] = []
        for body in bodies {
            let lines = body.split(separator: 0x0A).map(Array.init)
            let parsed = Parallel.map(lines) { line in try? SignedEvent.parsed(line) }.compactMap { $0 }
            batches.append((parsed.map(\.event), parsed.map(\.prepared)))
        }
        stages.parse = Date().timeIntervalSince(t1) / Double(backlog)
        stages.parseCPU = (CPUTime.ofThisProcess() - parseCPU0) / Double(backlog)
        guard batches.map(\.events.count).reduce(0, +) == backlog else { throw EventError("bench: a pushed line failed to parse") }
        let scratch = try HubDirectory.create(at: "\(work)/hub-stages", hosts: ["localhost"], ips: ["127.0.0.1"], port: 1,
                                              operatorCertificate: nil, operatorKey: nil, operatorCA: nil)
        let signer = try scratch.checkpointSigner()
        let t2 = Date()
        let storeCPU0 = CPUTime.ofThisProcess()
        for batch in batches {
            _ = try scratch.store.ingest(batch.events, prepared: batch.prepared, nodeHead: Int64(backlog), recordedAt: 0, checkpointSigner: signer)
        }
        stages.store = Date().timeIntervalSince(t2) / Double(backlog)
        stages.storeCPU = (CPUTime.ofThisProcess() - storeCPU0) / Double(backlog)
        return stages
    }

    /// Proof generation from the hub's stored tree, and verification, per second (one core).
    func benchProofs(_ hub: HubDirectory) throws {
        guard let (size, note) = try hub.store.latestCheckpoint() else { return }
        let checkpoint = try hub.checkpointSigner().verifier.verifyCheckpoint(note)
        var generator = SeededGenerator(seed: 77)
        let indexes = (0..<2_000).map { _ in Int64.random(in: 0..<size, using: &generator) }
        let t0 = Date()
        let proofs = try indexes.map { try hub.store.inclusionProof(index: $0, size: size) }
        let made = Double(indexes.count) / Date().timeIntervalSince(t0)
        let leaves = try hub.store.leafHashes(indexes)
        let t1 = Date()
        var ok = 0
        for _ in 0..<5 {
            for (i, proof) in proofs.enumerated() where MerkleTree.verifyInclusion(index: indexes[i], size: size, leafHash: leaves[i], proof: proof, root: checkpoint.root) { ok += 1 }
        }
        let verified = Double(indexes.count * 5) / Date().timeIntervalSince(t1)
        guard ok == indexes.count * 5 else { throw EventError("bench: an inclusion proof failed to verify") }
        let t2 = Date()
        let consistency = try (0..<500).map { i in try hub.store.consistencyProof(old: max(1, size * Int64(i) / 500), new: size) }
        let consistencyRate = Double(consistency.count) / Date().timeIntervalSince(t2)
        print(String(format: "  tree   %lld entries; inclusion proofs made %8.0f/s, verified %8.0f/s; consistency proofs made %6.0f/s", size, made, verified, consistencyRate))
    }
}

/// SplitMix64: the same indexes on every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}

/// CPU time (user + system, seconds) of this process or another one (from /proc on Linux).
enum CPUTime {
    static func ofThisProcess() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// Fields 14 and 15 of /proc/<pid>/stat, in clock ticks; 0 where there is no /proc.
    static func of(process pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command's closing parenthesis, field 3 (state) is the first: utime is field 14.
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
