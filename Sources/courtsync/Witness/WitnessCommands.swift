import ArgumentParser
import CourtLog
import Foundation
import Logging
import NIOCore
import TransparencyLog
import Witness

struct WitnessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "witness",
        abstract: "独立见证 witness — A standalone witness of the hub's log (C2SP tlog-witness), run by someone no court controls.",
        subcommands: [WitnessInit.self, WitnessServe.self])
}

struct WitnessInit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Make a witness: its Ed25519 key, HTTPS certificate and state; prints its verifier key for the hub's operator and auditors.")
    @Option(help: "The witness directory to create.") var dir: String
    @Option(help: "The witness's name, e.g. hncourt.gov.cn/witness (no spaces or '+').") var name: String
    @Option(help: "A DNS name the witness is reached by (repeatable).") var host: [String] = []
    @Option(help: "An IP address the witness is reached by (repeatable).") var ip: [String] = []
    @Option(help: "The port `witness serve` listens on.") var port: Int = 8444

    func run() throws {
        let hosts = host.isEmpty && ip.isEmpty ? ["localhost"] : host
        let ips = host.isEmpty && ip.isEmpty ? ["127.0.0.1"] : ip
        let w: WitnessDirectory
        do { w = try WitnessDirectory.create(at: dir, name: name, hosts: hosts, ips: ips, port: port) } catch let e as TransparencyError { throw EventError(e.description) }
        print("""
            witness created in \(dir)
              verifier key  \(w.verifierKey)
              ca            \(dir)/tls/ca.pem (give it to the hub's operator with the verifier key)
            next: courtsync witness serve --dir \(dir) --log <origin>=<the hub's checkpoint key>
            """)
    }
}

struct WitnessServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve POST /add-checkpoint over HTTPS: cosign each checkpoint of a configured log that extends the last one cosigned.")
    @Option(help: "The witness directory (made by `courtsync witness init`).") var dir: String
    @Option(help: "A log to witness: ORIGIN=VERIFIERKEY, the hub's checkpoint key as `hub init` printed it (repeatable).") var log: [String]
    @Option(help: "The port (default: the one given at witness init).") var port: Int?
    @Option(help: "The address to listen on.") var host: String = "0.0.0.0"

    func validate() throws {
        guard !log.isEmpty else { throw ValidationError("give at least one --log ORIGIN=VERIFIERKEY") }
    }

    func run() async throws {
        var verifiers: [NoteVerifier] = []
        for spec in log {
            guard let eq = spec.firstIndex(of: "=") else { throw ValidationError("--log must be ORIGIN=VERIFIERKEY, not '\(spec)'") }
            let origin = String(spec[..<eq])
            let key: NoteVerifier
            do { key = try NoteVerifier(encoded: String(spec[spec.index(after: eq)...])) } catch { throw ValidationError("--log \(origin): \(error)") }
            guard key.name == origin else { throw ValidationError("--log \(origin): the key is named \(key.name); a checkpoint key is named after its log's origin") }
            verifiers.append(key)
        }
        let directory: WitnessDirectory
        let witness: Witness
        do {
            directory = try WitnessDirectory.open(at: dir)
            witness = try directory.witness(logs: verifiers)
        } catch let e as TransparencyError { throw EventError(e.description) }
        var logger = Logger(label: "courtsync.witness")
        logger.logLevel = .info
        let port = self.port ?? directory.port
        do {
            try await WitnessServer(directory: directory, witness: witness, logger: logger).run(host: host, port: port)
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw EventError("port \(port) is already in use on \(host): stop what listens there, or choose another with --port")
        }
    }
}
