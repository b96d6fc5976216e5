import CanonicalJSON
import CourtLog
import Foundation

/// A court's own key history (protocol §10, §16.10), kept in its manifest: every key it has
/// signed with, oldest first, each rotated-in key with the seq from which it signs. A backup and
/// a restore verify the log under it, as an auditor does under the registry.
extension NodeDirectory {
    /// The rotation request waiting for the hub (`node rotate-request`), beside `node.next.key`:
    /// it names the seq from which the new key signs.
    public static let nextRotationName = "node.next.rotation.json"

    /// The `from_seq` of the rotation waiting for the hub, or nil when none waits.
    public func pendingRotationFromSeq() -> Int64? {
        let fm = FileManager.default
        guard fm.fileExists(atPath: "\(path)/\(Self.nextKeyName)"), let data = fm.contents(atPath: "\(path)/\(Self.nextRotationName)"),
              let json = try? StrictJSONParser.parse(Array(data)) else { return nil }
        return json["body"]?["from_seq"]?.intValue
    }

    /// Refuses an own append while a rotation waits: the hub's key log will make the new key sign
    /// from the seq the request names, so an event the old key signs there could never be pushed.
    func refuseAppendWhileRotating() throws {
        guard let from = pendingRotationFromSeq() else { return }
        throw StoreError("a key rotation is waiting for the hub (its new key signs from seq \(from)): install the rotated bundle first (`courtsync node join --dir \(path) --rotated BUNDLE`), then append; to give the rotation up, delete \(Self.nextKeyName) and \(Self.nextRotationName)")
    }

    /// The key history a manifest records (`keys`: `public_key`, and `from_seq` for a rotated-in
    /// key), or nil when it records none (a node that never rotated, or rotated before `keys`).
    public static func keyHistory(manifest: JSONValue) -> [CourtKey]? {
        guard case .array(let list)? = manifest["keys"], !list.isEmpty else { return nil }
        var out: [CourtKey] = []
        for held in list {
            guard let hex = held["public_key"]?.stringValue, let key = try? NodePublicKey(hex: hex) else { return nil }
            out.append(CourtKey(key: key, fromSeq: held["from_seq"]?.intValue))
        }
        return out
    }

    /// The key history this node's node.json records, or nil when it records none.
    public var ownKeyHistory: [CourtKey]? {
        FileManager.default.contents(atPath: "\(path)/\(Self.manifestName)")
            .flatMap { try? StrictJSONParser.parse(Array($0)) }
            .flatMap(Self.keyHistory(manifest:))
    }

    /// The manifest's `keys` after adopting `next` from seq `fromSeq`: the held history (or the
    /// current key alone), then the new key.
    static func keys(in manifest: [String: JSONValue], current: NodePublicKey, adopting next: NodePublicKey, fromSeq: Int64) -> JSONValue {
        var list: [JSONValue]
        if case .array(let held)? = manifest["keys"], !held.isEmpty { list = held } else { list = [["public_key": .string(current.hex)]] }
        list.append(["public_key": .string(next.hex), "from_seq": .int(fromSeq)])
        return .array(list)
    }
}
