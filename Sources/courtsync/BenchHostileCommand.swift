import ArgumentParser
import Bench
import CourtLog
import CourtPlan
import Foundation
import Hub
import NodeStore
import NodeSync
import SyncProtocol

struct BenchHostileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hostile",
        abstract: "测恶意负载 bench hostile — A node's sync latency to a real hub over HTTPS, quiet and then under idle connections and a slowloris, and the hub's memory.",
        discussion: """
            The attack is sustained (a connection the hub closes is opened again) and comes from \
            loopback addresses 127.0.0.2–127.0.2.10; the node connects from 127.0.0.1. Needs an \
            open-file hard limit above the connections (`ulimit -Hn`).
            """)

    @Option(help: "Idle TCP connections (no TLS hello): 95% from 250 addresses, 5% from one.")
    var idle: Int = 10_000

    @Option(help: "Slowloris connections (TLS, a request head one byte a second), from 10 addresses.")
    var slowloris: Int = 1_000

    @Option(help: "Syncs timed, quiet and again under attack.")
    var rounds: Int = 30

    @Option(help: "Events the node records before each sync.")
    var batch: Int = 50

    @Option(help: "Write each sync's start (Unix ms), phase and time (ms) to this CSV file, to line them up with `ss -ltn` or `nstat` samples.")
    var times: String?

    func validate() throws {
        guard idle >= 0, slowloris >= 0 else { throw ValidationError("--idle and --slowloris must not be negative") }
        guard (5...1_000).contains(rounds) else { throw ValidationError("--rounds must be 5 to 1000") }
        guard (1...2_000).contains(batch) else { throw ValidationError("--batch must be 1 to 2000") }
    }

    func run() async throws {
        #if DEBUG
        printError("warning: this is a debug build; run `swift build -c release` and .build/release/courtsync bench hostile for real figures")
        #endif
        let shape = HostileLoad.Shape.issueScale(idle: idle, slowloris: slowloris)
        guard HostileLoad.raiseOpenFileLimit(toHold: shape.total) else {
            throw EventError("bench hostile: this shell's open-file hard limit (`ulimit -Hn`) is below the \(shape.total) connections asked for: raise it (as root: `ulimit -Hn 65536`) or ask for fewer with --idle and --slowloris")
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-bench-hostile-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let port = 20_000 + Int(getpid() % 20_000)
        let hub = try HubDirectory.create(at: "\(work)/hub", hosts: ["localhost"], ips: ["127.0.0.1"], port: port,
                                          operatorCertificate: nil, operatorKey: nil, operatorCA: nil)
        let node = try NodeDirectory.create(at: "\(work)/node", court: Plan.shipped.court("410802"))
        _ = try NodeEnrollment.join(node, bundleJSON: try hub.enroll(requestJSON: try NodeEnrollment.request(node).json).bundle.json)
        // The hub as its own process with the defaults an administrator has.
        let server = Process()
        server.executableURL = SelfExecutable.url
        server.arguments = ["hub", "serve", "--dir", hub.path, "--host", "127.0.0.1"]
        server.standardOutput = FileHandle.nullDevice
        let logPath = "\(work)/hub.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        server.standardError = FileHandle(forWritingAtPath: logPath)
        try server.run()
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        try await waitForHealth(hub, server)
        let pid = server.processIdentifier

        printError("timing \(rounds) syncs of \(batch) events, quiet…")
        var recorded = 0
        var trace = "start_unix_ms,phase,sync_ms\n"
        let quiet = try await timedSyncs(node, from: &recorded, pid: pid, phase: "quiet", trace: &trace)
        let quietPeak = ProcessMemory.of(pid).peak

        printError("opening \(shape.idle + shape.idleFromOne) idle connections and a \(shape.slowloris)-connection slowloris…")
        let load = try HostileLoad(shape: shape, port: port, caFile: "\(hub.path)/tls/ca.pem")
        try load.start()
        defer { load.stop() }
        // Timed once the hub holds the attack (nine tenths of what gets past the per-address cap), or after 60 s.
        let expected = shape.idle + min(shape.idleFromOne, 128) + shape.slowloris
        let deadline = Date().addingTimeInterval(60)
        while (ProcessMemory.openFiles(pid) ?? 0) < expected * 9 / 10 && Date() < deadline { try await Task.sleep(nanoseconds: 200_000_000) }
        let held = ProcessMemory.openFiles(pid) ?? 0
        printError("the hub holds \(held) descriptors; timing \(rounds) syncs under attack…")
        let (hubCPU0, benchCPU0, wall0) = (CPUTime.of(process: pid), CPUTime.ofThisProcess(), Date())
        let attacked = try await timedSyncs(node, from: &recorded, pid: pid, phase: "attack", trace: &trace)
        let (hubCPU, benchCPU, wall) = (CPUTime.of(process: pid) - hubCPU0, CPUTime.ofThisProcess() - benchCPU0, Date().timeIntervalSince(wall0))
        let attackPeak = ProcessMemory.of(pid).peak
        if let times { try trace.write(toFile: times, atomically: true, encoding: .utf8) }
        let idleOpen = load.idleOpen, slowOpen = load.slowOpen, slowEver = load.slowEverOpened, cut408 = load.slowAnswered408
        load.stop()
        // Whatever a failed sync left behind goes now, with the attack over.
        let last = try NodeSyncer(node: node)
        _ = try await last.syncOnce()
        await last.client.shutdown()
        guard try hub.log.head(of: "410802").seq == Int64(recorded) else {
            throw EventError("bench hostile: the hub holds \(try hub.log.head(of: "410802").seq) of the \(recorded) events the node recorded")
        }

        func ms(_ x: Double) -> String { String(format: "%7.1f ms", x * 1000) }
        func mb(_ x: Int) -> String { String(format: "%6.1f MB", Double(x) / 1_048_576) }
        let ratio = attacked.median / quiet.median
        print("courtsync bench hostile: \(rounds) syncs of \(batch) events each, a new HTTPS connection per sync, over loopback")
        print("  quiet          sync p50 \(ms(quiet.median))  p95 \(ms(quiet.p95))   hub peak RSS \(mb(quietPeak))")
        print("  under attack   sync p50 \(ms(attacked.median))  p95 \(ms(attacked.p95))   hub peak RSS \(mb(attackPeak)) (at most \(mb(attacked.maxResident)) sampled)")
        print(String(format: "  ratio          p50 %.2f×  p95 %.2f× of quiet (target ≤ 2×)", ratio, attacked.p95 / quiet.p95))
        if attacked.failed + quiet.failed > 0 {
            print("  failed syncs   quiet \(quiet.failed), under attack \(attacked.failed) of \(rounds) (timed: the ones that succeeded); first: \(attacked.firstFailure ?? quiet.firstFailure ?? "")")
        }
        print(String(format: "  CPU under attack  hub %.1f s, this process (attacker and node) %.1f s, in %.1f s on %d cores (%.0f %% of them)",
                     hubCPU, benchCPU, wall, ProcessInfo.processInfo.activeProcessorCount,
                     100 * (hubCPU + benchCPU) / (wall * Double(ProcessInfo.processInfo.activeProcessorCount))))
        print("  attack         \(shape.idle) idle from \(shape.idleSources.count) addresses + \(shape.idleFromOne) from one, \(shape.slowloris) slowloris; "
              + "the hub held \(held) descriptors; at the end \(idleOpen) idle and \(slowOpen) slow still open, \(slowEver) slow opened in all, \(cut408) cut with 408")
    }

    struct Latencies {
        var median: Double
        var p95: Double
        var maxResident: Int
        var failed: Int
        var firstFailure: String?
    }

    /// `rounds` times: record `batch` events, then sync them over a new connection; the times.
    func timedSyncs(_ node: NodeDirectory, from recorded: inout Int, pid: Int32, phase: String, trace: inout String) async throws -> Latencies {
        var times: [Double] = []
        var failures: [String] = []
        var maxResident = 0
        for _ in 0..<rounds {
            let drafts = try BenchCommand.syntheticDrafts(batch, idPrefix: "hostile-\(recorded)")
            _ = try node.store.append(drafts, sealer: node.sealer, recordedAt: 0)
            recorded += batch
            let syncer = try NodeSyncer(node: node)
            let t0 = Date()
            do {
                let report = try await syncer.syncOnce()
                times.append(Date().timeIntervalSince(t0))
                trace += "\(Int64(t0.timeIntervalSince1970 * 1000)),\(phase),\(String(format: "%.1f", times.last! * 1000))\n"
                if report.lag != 0 { failures.append("a sync left \(report.lag) events behind") }
            } catch {
                // The next round's sync pushes these events too, as a node's next sync would.
                failures.append("\(error)")
            }
            await syncer.client.shutdown()
            maxResident = max(maxResident, ProcessMemory.of(pid).resident)
        }
        times.sort()
        guard !times.isEmpty else { throw EventError("bench hostile: no sync of \(rounds) succeeded: \(failures.first ?? "")") }
        return Latencies(median: times[times.count / 2], p95: times[min(times.count - 1, Int(Double(times.count) * 0.95))], maxResident: maxResident,
                         failed: failures.count, firstFailure: failures.first)
    }

    func waitForHealth(_ hub: HubDirectory, _ server: Process) async throws {
        let probe = try HubClient(baseURL: "https://localhost:\(hub.port)", caPEM: try hub.caPEM, certificatePEM: nil, privateKeyPEM: nil)
        let deadline = Date().addingTimeInterval(60)
        var up = false
        while !up && Date() < deadline && server.isRunning {
            if let reply = try? await probe.get(ApiPaths.health), reply.status == 200 { up = true } else { try? await Task.sleep(nanoseconds: 100_000_000) }
        }
        await probe.shutdown()
        if up { return }
        throw EventError("bench hostile: the hub did not answer on port \(hub.port) within 60 s; is the port free?")
    }
}
