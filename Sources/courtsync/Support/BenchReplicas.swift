import CourtLog
import Foundation
import Hub
import NodeSync
import SyncProtocol
#if canImport(Glibc)
import Glibc
#endif

/// The `hub serve` replicas a PostgreSQL bench runs: one real process per port, each with its own
/// projection file in `work`.
enum BenchReplicas {
    /// Starts a replica on each port and waits until each answers /healthz; if one does not
    /// within 60 s, stops those started and says so. `environment` is added to this process's.
    static func start(hub: HubDirectory, ports: [Int], work: String, environment extra: [String: String] = [:]) async throws -> [Process] {
        var servers: [Process] = []
        for port in ports {
            let server = Process()
            server.executableURL = SelfExecutable.url
            server.arguments = ["hub", "serve", "--dir", hub.path, "--host", "127.0.0.1", "--port", "\(port)", "--projection", "\(work)/projection-\(port).sqlite"]
            if !extra.isEmpty { server.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 } }
            server.standardOutput = FileHandle.nullDevice
            server.standardError = FileHandle.nullDevice
            try server.run()
            servers.append(server)
            let probe = try HubClient(baseURL: "https://localhost:\(port)", caPEM: try hub.caPEM, certificatePEM: nil, privateKeyPEM: nil)
            let deadline = Date().addingTimeInterval(60)
            var up = false
            while !up && Date() < deadline && server.isRunning {
                if let reply = try? await probe.get(ApiPaths.health), reply.status == 200 { up = true } else { try await Task.sleep(nanoseconds: 100_000_000) }
            }
            await probe.shutdown()
            guard up else {
                stop(servers)
                throw EventError("bench: the replica did not answer on port \(port) within 60 s; is the port free?")
            }
        }
        return servers
    }

    /// Kills the replicas and waits for them.
    static func stop(_ servers: [Process]) {
        for s in servers { kill(s.processIdentifier, SIGKILL); s.waitUntilExit() }
    }
}
