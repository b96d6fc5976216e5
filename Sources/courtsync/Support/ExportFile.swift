import CanonicalJSON
import CourtLog
import CourtPlan
import Foundation

/// Reading export files (JSON Lines) and verifying them under a court's enrolled key.
enum ExportFile {
    /// The verified events of an export of one court's full log, with the court's code.
    static func readVerified(_ path: String, registry: String, publicKey: String? = nil, acceptsPublicKey: Bool = false) throws -> ([SignedEvent], String) {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw EventError("cannot read \(path): check the path and its permissions")
        }
        let firstLine = Array(bytes).split(separator: 0x0A).first.map(Array.init) ?? []
        guard let code = (try? StrictJSONParser.parse(firstLine))?["node"]?.stringValue else {
            throw EventError("\(path): the first line is not an event envelope: is this a `courtsync node export` file?")
        }
        let key = try publicKey.map { try NodePublicKey(hex: $0) } ?? registryKey(for: code, registry: registry, keyOption: acceptsPublicKey)
        do {
            return (try ExportVerifier(node: code, publicKey: key).verify(Array(bytes), keep: true).kept, code)
        } catch {
            throw EventError("\(path) does not verify: \(error.description)")
        }
    }

    /// The enrolled key of `code` from a registry directory. `keyOption` says whether the command
    /// also takes `--public-key`, so that the advice names only options that exist.
    static func registryKey(for code: String, registry: String, keyOption: Bool = false) throws -> NodePublicKey {
        let entry = "\(registry)/\(code).json"
        guard let data = FileManager.default.contents(atPath: entry),
              let hex = (try? StrictJSONParser.parse(Array(data)))?["public_key"]?.stringValue else {
            let alternative = keyOption ? ", or pass --public-key HEX (from `courtsync node status` at that court)" : ""
            throw EventError("no enrolled public key for court \(code) in \(entry): give --registry the hub's nodes/ directory (it holds 410800 and every enrolled court)\(alternative)")
        }
        return try NodePublicKey(hex: hex)
    }
}
