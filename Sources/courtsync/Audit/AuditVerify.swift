import ArgumentParser
import CanonicalJSON
import CourtLog
import CourtPlan
import Foundation
import NodeStore

struct AuditVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every hash, link and signature of a node's log or of an export file.",
        discussion: """
            On the first fault it prints the seq (or line) and why, and exits 1.
            For an export file, give the court's enrolled public key with --public-key, or a
            registry directory (nodes/) holding <code>.json with its public_key.
            """)

    @Option(help: "A node directory to check (its stored rows, columns and head too).")
    var dir: String?

    @Option(help: "The court whose log this is (default: the node of the first line).")
    var court: String?

    @Option(name: .customLong("public-key"), help: "The court's enrolled Ed25519 public key (64 hex).")
    var publicKey: String?

    @Option(help: "A registry directory with <court code>.json files holding public_key.")
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

    func verifyDirectory(_ path: String) throws {
        let node = try NodeDirectory.open(at: path)
        let key = try publicKey.map { try NodePublicKey(hex: $0) } ?? node.key.publicKey
        var progress = Progress("verifying")
        do {
            let result = try node.store.verify(node: node.court.code, publicKey: key) { progress.update($0, of: $1) }
            progress.finish()
            print("ok: \(result.events) events of node \(node.court.code) verified; head seq \(result.head.seq) hash \(result.head.hash.hex)")
        } catch let error as EventError {
            progress.finish()
            print("FAILED: \(error)")
            throw ExitCode(1)
        }
    }

    func verifyFile(_ path: String) throws {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw EventError("cannot read \(path): check the path and its permissions")
        }
        let firstLine = Array(bytes).split(separator: 0x0A).first.map(Array.init) ?? []
        let firstNode = (try? StrictJSONParser.parse(firstLine))?["node"]?.stringValue
        guard let code = try court.map({ try Plan.shipped.court($0).code }) ?? firstNode else {
            throw EventError("\(path): cannot tell whose log this is from its first line: pass --court CODE")
        }
        let key = try publicKey.map { try NodePublicKey(hex: $0) } ?? registryKey(for: code)
        var progress = Progress("verifying")
        do {
            let result = try ExportVerifier(node: code, publicKey: key, fromSeq: from).verify(Array(bytes)) { progress.update($0, of: $1) }
            progress.finish()
            print("ok: \(result.events) events of node \(code) verified; head seq \(result.head.seq) hash \(result.head.hash.hex)")
        } catch {
            progress.finish()
            print("FAILED: \(error)")
            throw ExitCode(1)
        }
    }

    func registryKey(for code: String) throws -> NodePublicKey {
        try ExportFile.registryKey(for: code, registry: registry)
    }
}
