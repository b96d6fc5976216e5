import CanonicalJSON
import CourtLog
import Foundation
import GRDB

/// A node's (or the hub's) directory in one file, taken while it runs: the log through SQLite's
/// online backup API (a consistent snapshot, even during an append), the key, manifest, bundle,
/// receipts and any other files beside it in a table of the same SQLite file. Every backup is
/// verified (every hash, link and signature of the court's own log) before it is given its name;
/// a restore verifies again and writes a directory only when all of it is good.
public enum NodeBackup {
    public struct Summary: Sendable {
        public let court: String
        public let events: Int64
        public let seq: Int64
        public let files: [String]
    }

    static let filesTable = "courtsync_backup_file"

    /// Writes the backup of `dir` to `out`, which must not exist yet.
    public static func backup(_ dir: NodeDirectory, to out: String) throws -> Summary {
        let fm = FileManager.default
        guard !fm.fileExists(atPath: out) else { throw StoreError("\(out) already exists: a backup never overwrites; choose a new file name") }
        let tmp = "\(out).partial-\(ProcessInfo.processInfo.processIdentifier)"
        func cleanUp() { for s in ["", "-wal", "-shm", "-journal"] { try? fm.removeItem(atPath: tmp + s) } }
        do {
            let files = try otherFiles(of: dir.path)
            do {
                let destination = try DatabaseQueue(path: tmp)
                // One step: the whole snapshot is read inside a single read transaction, so an
                // append committing meanwhile is either wholly in the copy or not at all.
                try dir.store.pool.backup(to: destination)
                try destination.write { db in
                    try db.execute(sql: "CREATE TABLE \(filesTable) (name TEXT PRIMARY KEY, mode INTEGER NOT NULL, content BLOB NOT NULL)")
                    for f in files {
                        try db.execute(sql: "INSERT INTO \(filesTable) (name, mode, content) VALUES (?, ?, ?)", arguments: [f.name, f.mode, f.content])
                    }
                }
                try destination.close()
            } catch let e as StoreError { throw e } catch {
                throw StoreError("cannot write \(out): \(error.localizedDescription); choose a writable place with enough space")
            }
            let verified = try verify(path: tmp, court: dir.court.code, publicKey: dir.key.publicKey, ownHistory: dir.ownKeyHistory)
            chmod(tmp, 0o600)
            guard rename(tmp, out) == 0 else { throw StoreError("cannot name the backup \(out) (errno \(errno)): choose a writable path") }
            return Summary(court: dir.court.code, events: verified.events, seq: verified.head.seq, files: files.map(\.name))
        } catch {
            cleanUp()
            throw error
        }
    }

    /// Makes the directory `path` from a backup: refused when `path` already holds a node, and
    /// nothing is left behind when the backup does not verify.
    public static func restore(from file: String, to path: String) throws -> Summary {
        let fm = FileManager.default
        for name in [NodeDirectory.manifestName, NodeDirectory.keyName, NodeDirectory.logName] where fm.fileExists(atPath: "\(path)/\(name)") {
            throw StoreError("\(path) already holds a node (\(name) exists): restore into a new directory, stop the old node, then swap the directories")
        }
        guard fm.fileExists(atPath: file) else { throw StoreError("\(file) does not exist: give the file `courtsync node backup` wrote") }
        let files: [(name: String, mode: Int, content: Data)]
        do {
            var config = Configuration()
            config.readonly = true
            let source = try DatabaseQueue(path: file, configuration: config)
            files = try source.read { db in
                guard try db.tableExists(filesTable) else { throw StoreError("\(file) is not a CourtSync backup (no file table): give the file `courtsync node backup` wrote") }
                return try Row.fetchAll(db, sql: "SELECT name, mode, content FROM \(filesTable) ORDER BY name").map { ($0[0], $0[1], $0[2]) }
            }
            try source.close()
        } catch let e as StoreError { throw e } catch {
            throw StoreError("\(file) is not a CourtSync backup (\(error.localizedDescription)): give the file `courtsync node backup` wrote")
        }
        guard let manifest = files.first(where: { $0.name == NodeDirectory.manifestName }),
              let json = try? StrictJSONParser.parse(Array(manifest.content)), let court = json["court"]?.stringValue,
              let keyHex = json["public_key"]?.stringValue, let publicKey = try? NodePublicKey(hex: keyHex) else {
            throw StoreError("\(file) holds no readable \(NodeDirectory.manifestName): it is not a complete node backup")
        }
        for f in files where f.name.contains("..") || f.name.hasPrefix("/") {
            throw StoreError("\(file) names a file outside the node directory (\(f.name)): refused")
        }
        var created: [String] = []
        do {
            try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
            let log = "\(path)/\(NodeDirectory.logName)", tmp = "\(path)/.\(NodeDirectory.logName).restoring"
            var config = Configuration()
            config.readonly = true
            let source = try DatabaseQueue(path: file, configuration: config)
            let destination = try DatabaseQueue(path: tmp)
            created.append(tmp)
            try source.backup(to: destination)
            try source.close()
            try destination.writeWithoutTransaction { db in
                try db.execute(sql: "DROP TABLE \(filesTable)")
                try db.execute(sql: "VACUUM")
            }
            try destination.close()
            let verified = try verify(path: tmp, court: court, publicKey: publicKey, ownHistory: NodeDirectory.keyHistory(manifest: json))
            // Everything but the manifest, then the log, then the manifest: a directory with
            // node.json is a complete node (as `node init` makes it).
            for f in files where f.name != NodeDirectory.manifestName {
                let target = "\(path)/\(f.name)"
                try fm.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                do { try KeptFile.replace(target, bytes: Array(f.content), mode: mode_t(f.mode)) } catch {
                    throw StoreError("cannot write \(target) (\(error)): check the directory's permissions")
                }
                created.append(target)
            }
            guard rename(tmp, log) == 0 else { throw StoreError("cannot write \(log) (errno \(errno))") }
            created.append(log)
            do { try KeptFile.replace("\(path)/\(NodeDirectory.manifestName)", bytes: Array(manifest.content), mode: mode_t(manifest.mode)) } catch {
                throw StoreError("cannot write \(path)/\(NodeDirectory.manifestName) (\(error))")
            }
            let node = try NodeDirectory.open(at: path)
            guard node.key.publicKey == publicKey else {
                throw StoreError("\(file): its key file does not match its manifest's public key: the backup is damaged")
            }
            return Summary(court: court, events: verified.events, seq: verified.head.seq, files: files.map(\.name))
        } catch {
            for p in created.reversed() { for s in ["", "-wal", "-shm"] { try? fm.removeItem(atPath: p + s) } }
            try? fm.removeItem(atPath: "\(path)/\(NodeDirectory.manifestName)")
            if let e = error as? StoreError { throw e }
            if let e = error as? EventError { throw StoreError("\(file) does not verify: \(e.description); nothing was restored") }
            throw StoreError("cannot restore \(file) into \(path): \(error.localizedDescription)")
        }
    }

    /// Opens a copied log and checks the court's own chain and signatures, then makes it one
    /// self-contained file again (GRDB keeps a pool's WAL file; a backup must not need one).
    /// `ownHistory` is the key history the node's manifest records (a court that rotated its key).
    static func verify(path: String, court: String, publicKey: NodePublicKey, ownHistory: [CourtKey]? = nil) throws -> EventStore.Verification {
        let result: EventStore.Verification
        do {
            let store = try EventStore(path: path)
            // A hub that rotated 410800's own key (`hub rotate-key`) verifies under its key log; a
            // court that rotated its key, under the history its manifest records (protocol §10).
            let admitted = try store.keysAdmitted(court: court)
            let history: [CourtKey]
            if admitted.last?.key == publicKey {
                history = admitted
            } else if let own = ownHistory, own.last?.key == publicKey {
                history = own
            } else {
                history = [CourtKey(key: publicKey)]
            }
            result = try store.verify(node: court, history: history)
            try store.pool.close()
        } catch let e as EventError {
            throw StoreError("the copy of the log does not verify (\(e.description)): nothing was written")
        }
        let single = try DatabaseQueue(path: path)
        try single.writeWithoutTransaction { db in _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE") }
        try single.close()
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        return result
    }

    /// The directory's other files (key, manifest, bundle, receipts, the hub's TLS files and
    /// registry), relative names, without the log itself or temporary files.
    static func otherFiles(of root: String) throws -> [(name: String, mode: Int, content: Data)] {
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: root) else { throw StoreError("cannot read \(root)") }
        var out: [(String, Int, Data)] = []
        while let name = walker.nextObject() as? String {
            let last = (name as NSString).lastPathComponent
            if last.hasPrefix(".") || last.hasPrefix(NodeDirectory.logName) { continue }
            let full = "\(root)/\(name)"
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue else { continue }
            // Another node's log or a big export beside the node is not the node: keep to small files.
            let attributes = try fm.attributesOfItem(atPath: full)
            guard (attributes[.type] as? FileAttributeType) == .typeRegular else { continue }
            if (attributes[.size] as? Int ?? 0) > 256 << 20 { continue }
            guard let data = fm.contents(atPath: full) else { throw StoreError("cannot read \(full): check its permissions") }
            out.append((name, (attributes[.posixPermissions] as? Int) ?? 0o600, data))
        }
        return out.sorted { $0.0 < $1.0 }
    }
}
