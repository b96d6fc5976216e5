import ArgumentParser
import CanonicalJSON
import CourtLog
import CourtPlan
import Foundation
import Hub
import NodeStore
import SyncProtocol

struct AuditVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "核验 verify — Check every hash, link and signature of a node's log or of an export file.",
        discussion: """
            On the first fault it prints the seq (or line) and why, and exits 1.
            For an export file, give the court's enrolled public key with --public-key, or a
            registry directory (nodes/) holding <code>.json with the court's key history: a court
            that rotated its key verifies whole (protocol §10).
            """)

    @Option(help: "A node directory to check (its stored rows, columns and head too).")
    var dir: String?

    @Option(help: "The court whose log this is (default: the node of the first line).")
    var court: String?

    @Option(name: .customLong("public-key"), help: "The court's enrolled Ed25519 public key (64 hex).")
    var publicKey: String?

    @Option(help: "A registry directory with <court code>.json files holding each court's key history.")
    var registry: String = "nodes"

    @Option(help: "The export starts at this seq (made with `node export --from`); its first prev is taken on trust.")
    var from: Int64 = 1

    @Argument(help: "An export file (JSON Lines).")
    var file: String?

    func validate() throws {
        guard (dir == nil) != (file == nil) else { throw ValidationError("give either --dir D or an export FILE, not both or neither") }
        guard from >= 1 else { throw ValidationError("--from must be 1 or more") }
    }

    func run() throws {
        if let dir { try verifyDirectory(dir) } else if let file { try verifyFile(file) }
    }

    /// Verifies the directory's own log, or with --court another court's log that a hub holds
    /// (under --public-key, or the key the hub enrolled, named by fingerprint so the auditor can
    /// compare it with the court's). A --court the directory holds no log of is refused: never
    /// silently another log.
    func verifyDirectory(_ path: String) throws {
        let node = try NodeDirectory.open(at: path)
        let code = try court.map { try node.plan.court($0).code } ?? node.court.code
        let key: NodePublicKey
        var history: [CourtKey]? = nil
        var keySource = "the directory's own key"
        if let publicKey {
            key = try NodePublicKey(hex: publicKey)
            keySource = "--public-key"
        } else if code == node.court.code {
            key = node.key.publicKey
            // A hub whose own key was rotated (`hub rotate-key`): 410800's log under its key history.
            if FileManager.default.fileExists(atPath: "\(path)/hub.json") {
                let keys = try HubDirectory.open(at: path).keyLog().courtKeys(of: code)
                if keys.count > 1 {
                    history = keys
                    keySource = "the \(keys.count) keys of 410800's history in this hub's key log, the last"
                }
            } else if let own = node.ownKeyHistory, own.count > 1, own.last?.key == key {
                // A court that rotated its key: the history its node.json records (an auditor
                // compares it with the registry's, or verifies an export with --registry).
                history = own
                keySource = "the \(own.count) keys of the history in this node's node.json (compare with the registry), the last"
            }
        } else if node.store.holdsHubTables, let enrolled = try node.store.enrolledNodes().first(where: { $0.court == code }) {
            // A court's own database holds no registry: only a hub's names other courts' keys.
            key = try NodePublicKey(hex: enrolled.publicKey)
            keySource = "the key this hub enrolled for \(code)"
            // A hub keeps the key log: a court that rotated verifies whole under its key history.
            if FileManager.default.fileExists(atPath: "\(path)/hub.json") {
                let keys = try HubDirectory.open(at: path).keyLog().courtKeys(of: code)
                if !keys.isEmpty {
                    history = keys
                    keySource = keys.count == 1 ? "\(code)'s key in this hub's key log" : "the \(keys.count) keys of \(code)'s history in this hub's key log, the last"
                }
            }
        } else {
            throw EventError("\(path) is node \(node.court.code)'s directory and holds no enrolled log of court \(code): give the hub's directory, or this court's own directory, or --public-key HEX")
        }
        if code != node.court.code, try node.store.head(of: code).seq == 0 {
            throw EventError("\(path) holds no events of court \(code): nothing to verify; check --court, or sync that court first")
        }
        var progress = Progress("verifying")
        do {
            let result = try node.store.verify(node: code, history: history ?? [CourtKey(key: key)]) { progress.update($0, of: $1) }
            progress.finish()
            print("ok: \(result.events) events of node \(code) verified under \(keySource) \(key.fingerprint); head seq \(result.head.seq) hash \(result.head.hash.hex)")
        } catch let error as EventError {
            progress.finish()
            print("FAILED: \(error)")
            throw ExitCode(1)
        }
    }

    func verifyFile(_ path: String) throws {
        // Read a window at a time: an export of any length is checked in the same memory.
        let lines = try JSONLines(path: path)
        let firstLine = try lines.next().map(Array.init) ?? []
        try lines.rewind()
        let firstNode = (try? StrictJSONParser.parse(firstLine))?["node"]?.stringValue
        guard let code = try court.map({ try Plan.shipped.court($0).code }) ?? firstNode else {
            throw EventError("\(path): cannot tell whose log this is from its first line: pass --court CODE")
        }
        let history = try publicKey.map { [CourtKey(key: try NodePublicKey(hex: $0))] }
            ?? ExportFile.registryHistory(for: code, registry: registry, keyOption: true)
        var progress = Progress("verifying, bytes")
        do {
            let result = try ExportVerifier(node: code, history: history, fromSeq: from).verify(lines) { progress.update($0, of: $1) }
            progress.finish()
            print("ok: \(result.events) events of node \(code) verified; head seq \(result.head.seq) hash \(result.head.hash.hex)")
        } catch {
            progress.finish()
            print("FAILED: \(error)")
            throw ExitCode(1)
        }
    }
}
