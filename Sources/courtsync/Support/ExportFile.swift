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
        let history = try publicKey.map { [CourtKey(key: try NodePublicKey(hex: $0))] } ?? registryHistory(for: code, registry: registry, keyOption: acceptsPublicKey)
        do {
            return (try ExportVerifier(node: code, history: history).verify(Array(bytes), keep: true).kept, code)
        } catch {
            throw EventError("\(path) does not verify: \(error.description)")
        }
    }

    /// Verifies an export of one court's full log a window at a time, handing each verified
    /// window to `each` (an export of any length in the same memory); returns the number of
    /// events and the court's code. When it throws, what `each` was handed must be discarded.
    static func streamVerified(_ path: String, registry: String, each: ([SignedEvent]) throws(EventError) -> Void) throws -> (events: Int64, court: String) {
        let lines = try JSONLines(path: path)
        let firstLine = try lines.next().map(Array.init) ?? []
        try lines.rewind()
        guard let code = (try? StrictJSONParser.parse(firstLine))?["node"]?.stringValue else {
            throw EventError("\(path): the first line is not an event envelope: is this a `courtsync node export` file?")
        }
        let history = try registryHistory(for: code, registry: registry)
        do {
            return (try ExportVerifier(node: code, history: history).verify(lines, each: each).events, code)
        } catch {
            throw EventError("\(path) does not verify: \(error.description)")
        }
    }

    /// The key history of `code` from a registry directory (`keys`, oldest first, protocol
    /// §16.10), or its one `public_key` when the file predates key histories.
    static func registryHistory(for code: String, registry: String, keyOption: Bool = false) throws -> [CourtKey] {
        let current = try registryKey(for: code, registry: registry, keyOption: keyOption)
        let entry = "\(registry)/\(code).json"
        guard let data = FileManager.default.contents(atPath: entry), let keys = (try? StrictJSONParser.parse(Array(data)))?["keys"] else {
            return [CourtKey(key: current)]
        }
        guard case .array(let list) = keys, !list.isEmpty else {
            throw EventError("\(entry): keys must be a non-empty list: regenerate the registry with `courtsync audit keys --out \(registry)`")
        }
        let history = try list.map { held throws -> CourtKey in
            guard let hex = held["public_key"]?.stringValue, let key = try? NodePublicKey(hex: hex),
                  let status = held["status"]?.stringValue, ["active", "rotated", "revoked"].contains(status) else {
                throw EventError("\(entry): a key in keys lacks a 64-hex public_key or a status of active, rotated or revoked: regenerate the registry with `courtsync audit keys --out \(registry)`")
            }
            let fromSeq = held["from_seq"]
            guard fromSeq == nil || (fromSeq?.intValue ?? 0) >= 1 else {
                throw EventError("\(entry): a key's from_seq must be an integer of at least 1: regenerate the registry with `courtsync audit keys --out \(registry)`")
            }
            return CourtKey(key: key, revokedFor: status == "revoked" ? (held["reason"]?.stringValue ?? "no reason given") : nil, fromSeq: fromSeq?.intValue)
        }
        guard history.last?.key == current else {
            throw EventError("\(entry): public_key is not the last key in keys: the file was edited by hand; regenerate it with `courtsync audit keys --out \(registry)`")
        }
        return history
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
