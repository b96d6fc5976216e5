import CanonicalJSON
import CourtLog
import CourtPlan
import Projections
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A court node on disk: `node.json` (who it is), `node.key` (its Ed25519 seed, mode 0600),
/// and `log.sqlite` (its event log).
public struct NodeDirectory: Sendable {
    public let path: String
    public let court: Plan.Court
    public let key: NodeKey
    public let store: EventStore
    public let plan: Plan

    public static let manifestName = "node.json"
    public static let keyName = "node.key"
    public static let logName = "log.sqlite"
    /// A new key waiting for the hub to record the court's rotation (protocol §16.10).
    public static let nextKeyName = "node.next.key"

    /// Makes a new node for `court` in `path` (created if missing, refused if it holds a node).
    /// Its database is a court's (`role`), without the hub's tables, unless made for the hub.
    public static func create(at path: String, court: Plan.Court, genesisPlan: Plan = .shipped, now: Date = Date(),
                              role: EventStore.Role = .court) throws -> NodeDirectory {
        let fm = FileManager.default
        for name in [manifestName, keyName, logName] where fm.fileExists(atPath: "\(path)/\(name)") {
            throw StoreError("\(path) already holds a node (\(name) exists): CourtSync never overwrites a node; choose another directory")
        }
        do { try fm.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw StoreError("cannot create \(path): \(error.localizedDescription); choose a writable directory")
        }
        guard fm.isWritableFile(atPath: path) else {
            throw StoreError("\(path) is read-only: choose a writable directory or fix its permissions")
        }
        let key = NodeKey()
        // The key file is written first, exclusively, with 0600 from its first byte.
        do { try KeptFile.create("\(path)/\(keyName)", bytes: Array((Hex.encode(key.seed) + "\n").utf8), mode: 0o600) } catch {
            throw StoreError(error == .exists ? "\(path)/\(keyName) exists already: choose an empty directory"
                                              : "cannot write \(path)/\(keyName) (\(error)): check the directory's permissions and free space, then run init again")
        }
        let store = try EventStore(path: "\(path)/\(logName)", role: role)
        if court.code == PolicyAuthority.intermediateCourt {
            // The intermediate court's log begins with the plan itself, signed by its key.
            let genesis = try EventDraft(id: "plan-genesis", type: "plan.adopted", at: EventTime(parsing: "\(genesisPlan.document.effective)T00:00:00+08:00"),
                                         dept: nil, data: ["plan": genesisPlan.json])
            _ = try store.append([genesis], sealer: EventSealer(node: court.code, key: key), recordedAt: Int64(now.timeIntervalSince1970))
        }
        let manifest: JSONValue = [
            "format": "courtsync-node/1", "court": .string(court.code), "court_name": .string(court.name),
            "public_key": .string(key.publicKey.hex), "created_at": .string(ISO8601DateFormatter().string(from: now)),
        ]
        // node.json last, by rename: a directory with it is a complete node.
        let tmp = "\(path)/.\(manifestName).tmp"
        do {
            try Data(CanonicalEncoder.encode(manifest) + [0x0A]).write(to: URL(fileURLWithPath: tmp))
            try fm.moveItem(atPath: tmp, toPath: "\(path)/\(manifestName)")
        } catch {
            throw StoreError("cannot write \(path)/\(manifestName): \(error.localizedDescription)")
        }
        return try open(at: path, plan: genesisPlan, role: role)
    }

    /// Opens an existing node, checking that its key matches its manifest. The hub opens its own
    /// directory with `role: .hub`, which brings the hub's tables up to date too.
    public static func open(at path: String, plan: Plan = .shipped, role: EventStore.Role = .court) throws -> NodeDirectory {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
            throw StoreError("\(path) does not exist: run `courtsync node init --dir \(path) --court CODE` first")
        }
        guard let manifestData = fm.contents(atPath: "\(path)/\(manifestName)") else {
            if fm.fileExists(atPath: "\(path)/\(keyName)") {
                throw StoreError("\(path) has a key but no \(manifestName): a `node init` was interrupted; remove the directory and run init again")
            }
            throw StoreError("\(path) is not a CourtSync node (no \(manifestName)): run `courtsync node init --dir \(path) --court CODE`, or give the right --dir")
        }
        guard let manifest = try? StrictJSONParser.parse(Array(manifestData)), let code = manifest["court"]?.stringValue,
              let pubHex = manifest["public_key"]?.stringValue else {
            throw StoreError("\(path)/\(manifestName) is damaged: restore it from the node's backup")
        }
        let court: Plan.Court
        do { court = try plan.court(code) } catch { throw StoreError("\(path)/\(manifestName): \(error.message)") }
        guard let keyData = fm.contents(atPath: "\(path)/\(keyName)"),
              let seed = Hex.decode(String(decoding: keyData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines), count: 32) else {
            throw StoreError("\(path)/\(keyName) is missing or damaged: restore it from the node's backup (the node cannot sign without it)")
        }
        var key = try NodeKey(seed: seed)
        if key.publicKey.hex != pubHex, let next = try? readKey("\(path)/\(nextKeyName)"), next.publicKey.hex == pubHex {
            // A rotation was adopted (node.json names the new key) but the key files were not
            // yet swapped when the process stopped: finish it.
            try finishAdoption(path, retiring: key)
            key = next
        }
        guard key.publicKey.hex == pubHex else {
            throw StoreError("\(path)/\(keyName) does not match the public key in \(manifestName): restore the matching key file")
        }
        guard fm.fileExists(atPath: "\(path)/\(logName)") else {
            throw StoreError("\(path)/\(logName) is missing: restore it from a backup (a new empty log would fork the chain)")
        }
        var store = try EventStore(path: "\(path)/\(logName)", role: role)
        // A grassroots court's database made before the schema split sheds the hub's empty
        // tables (the intermediate court's directory is the hub's, whatever role it is opened with).
        if role == .court, court.code != PolicyAuthority.intermediateCourt, store.holdsHubTables, try store.dropEmptyHubTables() {
            store = try EventStore(path: "\(path)/\(logName)", role: .court)
        }
        return NodeDirectory(path: path, court: court, key: key, store: store, plan: plan)
    }

    static func readKey(_ file: String) throws -> NodeKey {
        guard let data = FileManager.default.contents(atPath: file),
              let seed = Hex.decode(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines), count: 32) else {
            throw StoreError("\(file) is missing or damaged")
        }
        return try NodeKey(seed: seed)
    }

    static func finishAdoption(_ path: String, retiring old: NodeKey) throws {
        let fm = FileManager.default
        let retired = "\(path)/node.retired-\(old.publicKey.fingerprint).key"
        do {
            if !fm.fileExists(atPath: retired) { try fm.moveItem(atPath: "\(path)/\(keyName)", toPath: retired) } else { try fm.removeItem(atPath: "\(path)/\(keyName)") }
            try fm.moveItem(atPath: "\(path)/\(nextKeyName)", toPath: "\(path)/\(keyName)")
        } catch {
            throw StoreError("cannot swap \(path)/\(keyName) for \(nextKeyName) (\(error.localizedDescription)): check the directory's permissions, then run the command again")
        }
    }

    /// Signs with `node.next.key` from now on, after the hub recorded the court's rotation:
    /// node.json names the new key first (the commit point), then the key files are swapped
    /// (the old one kept as `node.retired-<fingerprint>.key`); `open` finishes an interrupted swap.
    /// With `fromSeq` (a court's rotation), node.json also records the key history (`keys`).
    public func adoptNextKey(fromSeq: Int64? = nil) throws -> NodeDirectory {
        let next = try Self.readKey("\(path)/\(Self.nextKeyName)")
        let fm = FileManager.default
        guard let data = fm.contents(atPath: "\(path)/\(Self.manifestName)"), case .object(var manifest)? = try? StrictJSONParser.parse(Array(data)) else {
            throw StoreError("\(path)/\(Self.manifestName) is damaged: restore it from the node's backup")
        }
        manifest["public_key"] = .string(next.publicKey.hex)
        if let fromSeq { manifest["keys"] = Self.keys(in: manifest, current: key.publicKey, adopting: next.publicKey, fromSeq: fromSeq) }
        let tmp = "\(path)/.\(Self.manifestName).tmp"
        do {
            try Data(CanonicalEncoder.encode(.object(manifest)) + [0x0A]).write(to: URL(fileURLWithPath: tmp))
            // rename(2) replaces node.json atomically: a crash leaves the old manifest or the new one.
            guard Glibc.rename(tmp, "\(path)/\(Self.manifestName)") == 0 else { throw StoreError("rename failed (errno \(errno))") }
        } catch {
            throw StoreError("cannot write \(path)/\(Self.manifestName): \(error.localizedDescription)")
        }
        try Self.finishAdoption(path, retiring: key)
        return try Self.open(at: path, plan: plan, role: store.holdsHubTables ? .hub : .court)
    }

    /// Records drafts in this node's own log after the plan's checks of policy and explanations.
    public func append(_ drafts: [EventDraft], recordedAt: Int64) throws -> EventStore.AppendOutcome {
        // Checked against the plan in force: the genesis and every indicator defined since
        // (and those this batch defines, in order).
        try refuseAppendWhileRotating()
        var current = (try? store.measuresPlan()) ?? plan
        for d in drafts {
            try PolicyCheck.check(d, node: court.code, plan: current)
            if d.type == "indicator.defined" { current = try IndicatorDefinition.extend(current, with: d.data) }
        }
        return try store.append(drafts, sealer: sealer, recordedAt: recordedAt)
    }

    /// Records drafts handed over a chunk at a time by `next`, all in one transaction, after the
    /// same checks as ``append(_:recordedAt:)``: any fault leaves the log as it was.
    public func appendAll(recordedAt: Int64, _ next: () throws -> [EventDraft]?) throws -> EventStore.StreamOutcome {
        try refuseAppendWhileRotating()
        var current = (try? store.measuresPlan()) ?? plan
        let court = court.code
        return try store.appendAll(sealer: sealer, recordedAt: recordedAt) {
            guard let drafts = try next() else { return nil }
            for d in drafts {
                try PolicyCheck.check(d, node: court, plan: current)
                if d.type == "indicator.defined" { current = try IndicatorDefinition.extend(current, with: d.data) }
            }
            return drafts
        }
    }

    /// The sealer for this node's own log.
    public var sealer: EventSealer { EventSealer(node: court.code, key: key) }
}
