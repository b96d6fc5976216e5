import ArgumentParser
import CanonicalJSON
import CitySimulation
import CourtLog
import CourtPlan
import Foundation
import Hub
import NodeStore
import NodeSync
import Projections
import QueryViews
#if canImport(Glibc)
import Glibc
#endif

/// `courtsync demo`: a whole city on one machine. A hub and the ten grassroots courts' nodes on
/// loopback over HTTPS with fresh certificates, a seeded year of usage from 2022-08, synced
/// month by month, measured against the plan, and the bulletins written.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "演示：本机模拟全市十一个法院 demo — Run Jiaozuo's eleven courts on this machine: a hub and ten nodes over HTTPS, simulated months of usage from 2022-08, the compliance matrix, who must explain, and the bulletins.")

    @Option(help: "Where the demo's hub, nodes and bulletins go (created; refused if it holds anything, unless --force).")
    var dir: String = "courtsync-demo"

    @Option(help: "Months to simulate from 2022-08 (1-36).")
    var months: Int = 12

    @Option(help: "Volume of usage: 1 is a full city year (about 840,000 events, ≈ 5 min here); the default keeps the run short.")
    var scale: Double = 0.1

    @Option(help: "The simulation's seed: the same seed gives the same events and the same projections.")
    var seed: UInt64 = 2022

    @Option(help: "The hub's HTTPS port on 127.0.0.1.")
    var port: Int = 8443

    @Flag(help: "Keep the hub running after the demo (Ctrl-C stops it), to query it over HTTPS.")
    var serve = false

    @Flag(help: "Replace a previous demo in --dir (its hub/, nodes/, bulletins/, demo.json and auditor.json; nothing else is touched).")
    var force = false

    func validate() throws {
        guard (1...36).contains(months) else { throw ValidationError("--months must be 1 to 36") }
        guard scale > 0, scale <= 2 else { throw ValidationError("--scale must be above 0 and at most 2 (1 is a full city year)") }
        guard (1...65_535).contains(port) else { throw ValidationError("--port must be 1 to 65535") }
    }

    /// What a demo makes inside --dir.
    static let ownNames = ["hub", "nodes", "bulletins", "demo.json", "auditor.json"]

    func run() async throws {
        let started = Date()
        try DemoHub.checkPortFree(port)
        let dirExisted = FileManager.default.fileExists(atPath: dir)
        try prepareDirectory()
        let plan = Plan.shipped
        let simulation = CitySimulation(plan: plan, seed: seed, scale: scale, months: months)
        let status = DemoStatus()

        let hub: HubDirectory, server: DemoHub
        var nodes: [String: NodeDirectory] = [:]
        do {
            // The hub (410800 with the signed plan, its CA) and the ten grassroots nodes, enrolled.
            status.show("making the hub and enrolling ten courts…")
            hub = try HubDirectory.create(at: "\(dir)/hub", hosts: ["localhost"], ips: ["127.0.0.1"], port: port,
                                              operatorCertificate: nil, operatorKey: nil, operatorCA: nil)
            for court in plan.courts where court.code != PolicyAuthority.intermediateCourt {
                let node = try NodeDirectory.create(at: "\(dir)/nodes/\(court.slug)", court: court)
                _ = try NodeEnrollment.join(node, bundleJSON: try hub.enroll(requestJSON: try NodeEnrollment.request(node).json).bundle.json)
                nodes[court.code] = node
            }
            let credential = try hub.addAuditor(name: "demo-auditor")
            try writeFile("\(dir)/auditor.json", CanonicalEncoder.encode(credential) + [0x0A], mode: 0o600)
            try writeFile("\(dir)/demo.json", CanonicalEncoder.encode([
                "format": "courtsync-demo/1", "seed": .int(Int64(seed)), "months": .int(Int64(months)), "scale": .string(String(scale)),
                "hub_url": .string(hub.url), "first_month": .string(CitySimulation.firstMonth.description),
                "created_at": .string(ISO8601DateFormatter().string(from: started)),
            ]) + [0x0A], mode: 0o644)

            status.show("starting the hub on https://localhost:\(port)…")
            server = try await DemoHub(hub: hub, port: port)
        } catch {
            // A demo that could not start leaves nothing half-made behind.
            removeOwnFiles(directoryWasNew: !dirExisted)
            throw error
        }
        var syncers: [String: NodeSyncer] = [:]
        do {
            for (code, node) in nodes { syncers[code] = try NodeSyncer(node: node) }
            print("CourtSync demo: 焦作 city, \(months) month\(months == 1 ? "" : "s") from \(CitySimulation.firstMonth), scale \(scale), seed \(seed)")
            print("  hub \(hub.url) (own CA, mutual TLS), 10 grassroots nodes enrolled, data in \(dir)/")
            print("")
            var run = DemoRun(simulation: simulation, hub: hub, nodes: nodes, syncers: syncers, status: status)
            for k in 0..<months { try await run.month(k) }
            try await run.finalSync()
            let elapsed = Date().timeIntervalSince(started)
            let summary = DemoSummary(hub: hub, dir: dir, simulation: simulation)
            server.endIfInterrupted()
            try summary.print(totalEvents: run.recorded, elapsed: elapsed)
            for s in syncers.values { await s.client.shutdown() }
        } catch {
            // A sync that failed because Ctrl-C stopped the hub is an interruption, not an error.
            server.endIfInterrupted()
            for s in syncers.values { await s.client.shutdown() }
            server.stop()
            throw error
        }
        if serve {
            print("")
            print("the hub keeps serving https://localhost:\(port) (Ctrl-C stops it)")
            print("  dashboard: https://localhost:\(port)/dashboard (trust \(dir)/hub/tls/ca.pem; log in with the token in \(dir)/auditor.json)")
            print("  as an auditor:")
            print("  courtsync query compliance --hub https://localhost:\(port) --auditor \(dir)/auditor.json --period \(simulation.period(months - 1))")
            fflush(nil)
            await server.wait()
        } else {
            server.endIfInterrupted()
            server.stop()
        }
    }

    /// An empty (or new) directory, or a previous demo's replaced with --force.
    func prepareDirectory() throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: dir, isDirectory: &isDir) {
            guard isDir.boolValue else { throw EventError("\(dir) is a file, not a directory: choose another --dir") }
            let entries = (try? fm.contentsOfDirectory(atPath: dir)) ?? []
            if !entries.isEmpty {
                guard force else {
                    throw EventError("\(dir) is not empty (\(entries.sorted().prefix(3).joined(separator: ", "))\(entries.count > 3 ? ", …" : "")): choose an empty or new --dir, or add --force to replace a previous demo there")
                }
                for name in Self.ownNames where entries.contains(name) {
                    do { try fm.removeItem(atPath: "\(dir)/\(name)") } catch {
                        throw EventError("cannot remove \(dir)/\(name): \(error.localizedDescription)")
                    }
                }
            }
        }
        do { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw EventError("cannot create \(dir): \(error.localizedDescription); choose a writable --dir")
        }
    }

    /// Removes what this demo made in --dir (and --dir itself if the demo created it).
    func removeOwnFiles(directoryWasNew: Bool) {
        let fm = FileManager.default
        if directoryWasNew {
            try? fm.removeItem(atPath: dir)
        } else {
            for name in Self.ownNames { try? fm.removeItem(atPath: "\(dir)/\(name)") }
        }
    }

    func writeFile(_ path: String, _ bytes: [UInt8], mode: Int) throws {
        do { try KeptFile.replace(path, bytes: bytes, mode: mode_t(mode)) } catch {
            throw EventError("cannot write \(path) (\(error)): check that \(dir) is writable")
        }
    }
}
