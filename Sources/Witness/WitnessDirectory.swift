import CanonicalJSON
import CourtLog
import Foundation
import Glibc
import SyncProtocol
import TransparencyLog

/// A standalone witness on disk: `witness.json` (its name and port), `witness.key` (its Ed25519
/// seed, mode 0600), `witness.db` (the checkpoint it last cosigned per log), `tls/` (its own CA
/// and server certificate, for HTTPS) and `evidence/`.
public struct WitnessDirectory: Sendable {
    public let path: String
    public let name: String
    public let port: Int
    public let cosigner: Cosigner

    public static let keyName = "witness.key"

    /// Makes the witness: its key, name, and a CA and server certificate for `hosts`/`ips`.
    public static func create(at path: String, name: String, hosts: [String], ips: [String], port: Int) throws -> WitnessDirectory {
        let fm = FileManager.default
        guard !fm.fileExists(atPath: "\(path)/witness.json") else {
            throw TransparencyError("\(path) already holds a witness: a witness key is made once; choose another directory")
        }
        guard NoteVerifierName.isValid(name) else { throw TransparencyError("'\(name)' is not a witness name: no spaces or '+' (e.g. hncourt.gov.cn/witness)") }
        try fm.createDirectory(atPath: "\(path)/tls", withIntermediateDirectories: true)
        let key = NodeKey()
        try write(Array((Hex.encode(key.seed) + "\n").utf8), to: "\(path)/\(keyName)", mode: 0o600)
        let authority = try HubCertificates.makeAuthority()
        let server = try HubCertificates.issueServer(authority: authority, hosts: hosts, ips: ips)
        try write(Array(authority.certificatePEM.utf8), to: "\(path)/tls/ca.pem", mode: 0o644)
        try write(Array(server.certificatePEM.utf8), to: "\(path)/tls/server.pem", mode: 0o644)
        try write(Array((server.privateKeyPEM ?? "").utf8), to: "\(path)/tls/server.key", mode: 0o600)
        let config: JSONValue = ["format": "courtsync-witness/1", "name": .string(name), "port": .int(Int64(port))]
        try write(CanonicalEncoder.encode(config) + [0x0A], to: "\(path)/witness.json", mode: 0o644)
        return try open(at: path)
    }

    static func write(_ bytes: [UInt8], to file: String, mode: mode_t) throws {
        do { try KeptFile.create(file, bytes: bytes, mode: mode) } catch {
            throw TransparencyError("cannot write \(file) (\(error)): check the directory's permissions and free space")
        }
    }

    public static func open(at path: String) throws -> WitnessDirectory {
        guard let data = FileManager.default.contents(atPath: "\(path)/witness.json"), let config = try? StrictJSONParser.parse(Array(data)),
              let name = config["name"]?.stringValue, let port = config["port"]?.intValue else {
            throw TransparencyError("\(path) is not a witness directory (no witness.json): run `courtsync witness init --dir \(path) --name NAME` first")
        }
        guard let keyData = FileManager.default.contents(atPath: "\(path)/\(keyName)"),
              let seed = Hex.decode(String(decoding: keyData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines), count: 32) else {
            throw TransparencyError("\(path)/\(keyName) is missing or damaged: restore it from the witness's backup")
        }
        return WitnessDirectory(path: path, name: name, port: Int(port), cosigner: try Cosigner(name: name, seed: seed))
    }

    /// `<name>+<key id>+<base64(0x04 ‖ key)>`: what the hub and auditors verify cosignatures with.
    public var verifierKey: String { cosigner.verifier.encoded }

    public func file(_ name: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: "\(path)/tls/\(name)") else {
            throw TransparencyError("\(path)/tls/\(name) is missing: restore the witness's TLS files from its backup")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The witness over its state, trusting `logs` (checkpoint verifier keys).
    public func witness(logs: [NoteVerifier]) throws -> Witness {
        Witness(cosigner: cosigner, logs: logs, state: try WitnessState(path: "\(path)/witness.db"), evidenceDirectory: "\(path)/evidence")
    }
}

/// Signed-note key names: non-empty, no spaces or '+'.
enum NoteVerifierName {
    static func isValid(_ name: String) -> Bool {
        !name.isEmpty && !name.unicodeScalars.contains { $0 == "+" || $0.properties.isWhitespace }
    }
}
