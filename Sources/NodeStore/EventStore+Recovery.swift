import CanonicalJSON
import CourtLog
import Foundation
import GRDB
import TransparencyLog

/// A hub restored from an old backup rebuilt to the tree its witnesses cosigned (protocol
/// §16.13). The entries the store lacks are appended exactly as a mirror holds them; an event
/// entry whose event the store does not hold yet is an **expected** event: its court owes it,
/// and the hub accepts that (court, seq) only with that hash, at the leaf it already has.
///
/// Expected events need no table of their own: they are the event entries of the tree beyond
/// the store's head of their court (each court's entries are in seq order, without gaps).
extension EventStore {
    /// The TLS serial recorded for an enrollment or rotation restored from a mirror: the key-log
    /// record names the court's event key and its TLS public key, not the serial of the
    /// certificate the hub issued, so any certificate of that court signed by the hub's CA is
    /// taken until the court is next enrolled or rotated (its pushes are still verified under the
    /// key log).
    public static let restoredEnrollmentSerial = "*"

    /// Seqs a court owes the hub after a recovery: the tree holds their entries, the store not their events.
    public struct OwedEvents: Sendable, Equatable {
        public let court: String
        public let fromSeq: Int64
        public let toSeq: Int64
        public init(court: String, fromSeq: Int64, toSeq: Int64) {
            self.court = court
            self.fromSeq = fromSeq
            self.toSeq = toSeq
        }
    }

    /// The greatest seq of `node` in the tree (0 when none, or in a court's database, which has no tree).
    static func treeHead(_ db: Database, _ node: String) throws -> Int64 {
        guard try hubTablesExist(db) else { return 0 }
        return try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(seq) FROM tlog_entry WHERE node = ?"), arguments: [node]) ?? 0
    }

    static func owedEvents(_ db: Database) throws -> [OwedEvents] {
        guard try hubTablesExist(db) else { return [] }
        let courts = Set(try String.fetchAll(db, sql: "SELECT node FROM log_head") + (try String.fetchAll(db, sql: "SELECT court FROM hub_node")))
        var out: [OwedEvents] = []
        for court in courts.sorted() {
            let tree = try treeHead(db, court), held = try head(db, court).seq
            if tree > held { out.append(OwedEvents(court: court, fromSeq: held + 1, toSeq: tree)) }
        }
        return out
    }

    /// Every court that still owes events to the hub after a recovery (none in any other store).
    public func owedEvents() throws -> [OwedEvents] { try read { db in try Self.owedEvents(db) } }

    /// Refuses, in one line that says who owes what, while the tree holds events the store does
    /// not: figures computed now would silently lack them.
    public func requireComplete() throws {
        let owed = try owedEvents()
        guard !owed.isEmpty else { return }
        throw IncompleteAfterRecovery(owed: owed)
    }

    /// The entries the tree expects for `court` at seqs `from…to` (only those it holds).
    public func expectedEntries(court: String, from: Int64, to: Int64) throws -> [Int64: [UInt8]] {
        try read { db in
            var out: [Int64: [UInt8]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT seq, entry FROM tlog_entry WHERE node = ? AND seq >= ? AND seq <= ?", arguments: [court, from, to]) {
                let entry: Data = row[1]
                out[row[0]] = Array(entry)
            }
            return out
        }
    }

    /// Every entry of the tree, in order (what a recovery compares with its mirror).
    public func treeEntries() throws -> [[UInt8]] {
        try read { db in try Data.fetchAll(db, sql: "SELECT entry FROM tlog_entry ORDER BY idx").map { Array($0) } }
    }

    /// A leaf to restore: its entry, the name and seq the tree files it under, and for a key-log
    /// record, the record and its registry change.
    public struct RestoredLeaf: Sendable {
        public let leaf: ExtraLeaf
        public let keyLog: KeyLogAppend?
        public init(leaf: ExtraLeaf, keyLog: KeyLogAppend?) {
            self.leaf = leaf
            self.keyLog = keyLog
        }
    }

    /// A checkpoint of the restored tree: the hub's signed note, the time it is known to have
    /// existed by (the earliest cosignature's, or the recovery's), and its cosignature lines.
    public struct RestoredCheckpoint: Sendable {
        public let size: Int64
        public let note: String
        public let at: Int64
        public let cosignatures: [(witness: String, line: String)]
        public init(size: Int64, note: String, at: Int64, cosignatures: [(witness: String, line: String)]) {
            self.size = size
            self.note = note
            self.at = at
            self.cosignatures = cosignatures
        }
    }

    /// Appends `leaves` after the `heldSize` entries the tree holds, with their key-log records
    /// and registry changes, and keeps the checkpoints given (signed notes of the restored tree,
    /// with the time they are known to have existed by, and their cosignatures), all in one
    /// transaction. The root of the tree so made must be
    /// `root`; otherwise nothing is written.
    public func restoreTree(heldSize: Int64, leaves: [RestoredLeaf], root: [UInt8],
                            checkpoints: [RestoredCheckpoint], at: Int64) throws {
        try write { db in
            let state = try Self.treeState(db)
            guard state.size == heldSize else {
                throw StoreError("the hub's tree changed while it was being recovered (\(state.size) entries, not \(heldSize)): stop `hub serve` and run `hub recover` again")
            }
            var nextRecord = (try Int64.fetchOne(db, sql: "SELECT MAX(n) FROM keylog") ?? 0) + 1
            for restored in leaves {
                guard let record = restored.keyLog else { continue }
                guard record.n == nextRecord else {
                    throw StoreError("the mirror's key-log record \(record.n) does not follow the hub's \(nextRecord - 1): the mirror is not of this hub's log")
                }
                nextRecord += 1
                try db.execute(sql: "INSERT INTO keylog (n, court, action, public_key, record, at) VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [record.n, record.court, record.action, record.publicKey, Data(record.record), at])
                try Self.applyRegistryChange(db, record.change, at: at)
            }
            let size = try Self.appendLeaves(db, leaves.map(\.leaf), at: heldSize)
            try db.execute(sql: "UPDATE tlog_state SET size = ? WHERE id = 1", arguments: [size])
            let made = try MerkleTree.root(size: size) { level, index in try Self.treeNode(db, level: level, index: index) }
            guard made == root else {
                throw StoreError("the restored tree's root is not the mirror checkpoint's: nothing was changed; check the mirror with `courtsync audit mirror`")
            }
            for checkpoint in checkpoints {
                try db.execute(sql: "INSERT OR REPLACE INTO tlog_checkpoint (size, note, at) VALUES (?, ?, ?)", arguments: [checkpoint.size, checkpoint.note, checkpoint.at])
                for c in checkpoint.cosignatures {
                    try db.execute(sql: "INSERT OR REPLACE INTO tlog_cosignature (size, witness, line, at) VALUES (?, ?, ?, ?)",
                                   arguments: [checkpoint.size, c.witness, c.line, at])
                }
            }
        }
    }

    /// Stores events the tree expects (410800's own, brought back from a node or an auditor's
    /// copy after a recovery), verified by the caller under their court's key: each must be the
    /// very event the tree's entry names, and they must continue the stored head. Folded into the
    /// projections in the same transaction; they take no new leaf.
    public func restoreExpected(_ events: [SignedEvent], recordedAt: Int64) throws -> Int {
        guard !events.isEmpty else { return 0 }
        return try write { db in
            let lookup = try db.cachedStatement(sql: "SELECT entry FROM tlog_entry WHERE node = ? AND seq = ?")
            for e in events {
                guard let entry = try Data.fetchOne(lookup, arguments: [e.node, e.seq]) else {
                    throw StoreError("\(e.node) seq \(e.seq) is not an entry of the recovered tree: only events the tree expects are restored this way")
                }
                guard Array(entry) == LogEntry(court: e.node, seq: e.seq, eventHash: e.hash.bytes).bytes else {
                    throw StoreError("\(e.node) seq \(e.seq) given is not the event the tree holds (hash \(e.hash.hex.prefix(16))…): the copy is of another history; nothing was stored")
                }
            }
            let receipt = try Self.receive(db, events, recordedAt: recordedAt)
            _ = try Self.foldNewEvents(db)
            return receipt.stored
        }
    }

    /// The keys the key log in this store admitted for `court` (enrollments and rotations), in
    /// order: at a hub, 410800's own key history. Empty in a court's store, which holds no key log.
    /// A rotation's key carries the seq from which it signs, when its record names one (protocol §10).
    public func keysAdmitted(court: String) throws -> [CourtKey] {
        try read { db in
            guard try Self.hubTablesExist(db) else { return [] }
            return try Row.fetchAll(db, sql: "SELECT public_key, record FROM keylog WHERE court = ? AND action IN ('enroll', 'rotate') ORDER BY n", arguments: [court])
                .compactMap { row -> CourtKey? in
                    guard let key = try? NodePublicKey(hex: row["public_key"] as String) else { return nil }
                    let record = (row["record"] as Data?).flatMap { try? StrictJSONParser.parse(Array($0)) }
                    return CourtKey(key: key, fromSeq: record?["body"]?["from_seq"]?.intValue)
                }
        }
    }

    /// The refusal of an own append while the tree expects events of `node` the store lacks: a
    /// new event there would be a second history at a seq the witnesses already cosigned.
    static func refuseAppendWhileOwed(_ db: Database, node: String, head: LogHead) throws {
        let tree = try treeHead(db, node)
        guard tree > head.seq else { return }
        throw StoreError("the hub's recovered tree holds \(node)'s events up to seq \(tree), but this store only up to \(head.seq): restore them first (`courtsync hub recover --dir HUB --mirror DIR --policy-from NODE_DIR`), then append")
    }
}

/// Figures asked of a recovered hub that still lacks events its tree holds (protocol §16.13):
/// refused rather than shown incomplete, since they would be wrong. Typed so that the hub answers
/// "ask again later" (503) rather than a fault.
public struct IncompleteAfterRecovery: Error, Sendable, CustomStringConvertible {
    public let owed: [EventStore.OwedEvents]

    public init(owed: [EventStore.OwedEvents]) { self.owed = owed }

    public var description: String {
        let list = owed.prefix(5).map { "\($0.court) seq \($0.fromSeq)…\($0.toSeq)" }.joined(separator: ", ") + (owed.count > 5 ? ", …" : "")
        return "the hub was recovered from a mirror and still lacks events its tree holds (\(list)): figures now would be incomplete; wait until those courts' nodes sync (`courtsync hub status` shows who owes what; 410800's own with `hub recover --policy-from`)"
    }
}
