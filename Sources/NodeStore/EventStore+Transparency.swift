import CourtLog
import Foundation
import GRDB
import GRDBSQLite
import TransparencyLog

/// The hub's transparency log (protocol §16): one RFC 9162 tree over every event the hub's
/// database holds, in acceptance order (the order of the event rows), with signed checkpoints.
///
/// The tree is kept as the hashes of its full subtrees (`tlog_node`, level ≥ 1; leaf hashes are
/// recomputed from `tlog_entry`), appended in the same transaction as the events, so a crash
/// leaves either both or neither. Interior hashes are computed incrementally: a batch of n
/// events costs n leaf hashes and about n interior hashes, never a recomputation.
extension EventStore {
    static func registerTransparencyMigration(_ m: inout DatabaseMigrator) {
        m.registerMigration("v8-transparency-log") { db in
            try db.execute(sql: """
                CREATE TABLE tlog_entry (idx INTEGER PRIMARY KEY, node TEXT NOT NULL, seq INTEGER NOT NULL, entry BLOB NOT NULL);
                CREATE UNIQUE INDEX tlog_entry_node_seq ON tlog_entry(node, seq);
                CREATE TABLE tlog_node (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID;
                CREATE TABLE tlog_checkpoint (size INTEGER PRIMARY KEY, note TEXT NOT NULL, at INTEGER NOT NULL);
                CREATE TABLE tlog_state (id INTEGER PRIMARY KEY CHECK (id = 1), covered_rowid INTEGER NOT NULL, size INTEGER NOT NULL);
                INSERT INTO tlog_state (id, covered_rowid, size) VALUES (1, 0, 0);
                CREATE TABLE tlog_cosignature (size INTEGER NOT NULL, witness TEXT NOT NULL, line TEXT NOT NULL, at INTEGER NOT NULL,
                                               PRIMARY KEY (size, witness)) WITHOUT ROWID;
                """)
        }
    }

    /// The hash of a full subtree: leaf hashes from the entries, the rest as stored.
    static func treeNode(_ db: Database, level: Int, index: Int64) throws -> [UInt8] {
        if level == 0 {
            guard let entry = try Data.fetchOne(db.cachedStatement(sql: "SELECT entry FROM tlog_entry WHERE idx = ?"), arguments: [index]) else {
                throw StoreError("the transparency log has no entry \(index): its tables were damaged; restore the hub from a backup")
            }
            return MerkleTree.leafHash(Array(entry))
        }
        guard let hash = try Data.fetchOne(db.cachedStatement(sql: "SELECT hash FROM tlog_node WHERE level = ? AND idx = ?"), arguments: [level, index]) else {
            throw StoreError("the transparency log has no node \(level)/\(index): its tables were damaged; restore the hub from a backup")
        }
        return Array(hash)
    }

    static func treeState(_ db: Database) throws -> (covered: Int64, size: Int64) {
        let row = try Row.fetchOne(db, sql: "SELECT covered_rowid, size FROM tlog_state WHERE id = 1")
        return ((row?[0] as Int64?) ?? 0, (row?[1] as Int64?) ?? 0)
    }

    /// A leaf that is not an event row: a key-log record (protocol §16.10), stored under
    /// `node` (`keylog`) and `seq` (its number) so that it is found like an event's leaf.
    public struct ExtraLeaf: Sendable {
        public let node: String
        public let seq: Int64
        public let entry: [UInt8]
        public init(node: String, seq: Int64, entry: [UInt8]) {
            self.node = node
            self.seq = seq
            self.entry = entry
        }
    }

    /// Appends `leaves` at the tree's end, with the interior nodes they complete.
    static func appendLeaves(_ db: Database, _ leaves: [ExtraLeaf], at start: Int64) throws -> Int64 {
        guard !leaves.isEmpty else { return start }
        let hashes = Parallel.map(leaves.map(\.entry)) { MerkleTree.leafHash($0) }
        let nodes = try MerkleTree.appendedNodes(start: start, leafHashes: hashes) { level, index in try treeNode(db, level: level, index: index) }
        // Bound straight from the bytes, as the events are (``SQLiteBinding``).
        let insertEntry = try db.cachedStatement(sql: "INSERT INTO tlog_entry (idx, node, seq, entry) VALUES (?, ?, ?, ?)")
        let entry = insertEntry.sqliteStatement
        sqlite3_reset(entry)
        for (i, leaf) in leaves.enumerated() {
            SQLiteBinding.int(entry, 1, start + Int64(i)); SQLiteBinding.text(entry, 2, leaf.node)
            SQLiteBinding.int(entry, 3, leaf.seq); SQLiteBinding.blob(entry, 4, leaf.entry)
            try SQLiteBinding.step(insertEntry)
        }
        let insertNode = try db.cachedStatement(sql: "INSERT INTO tlog_node (level, idx, hash) VALUES (?, ?, ?)")
        let node = insertNode.sqliteStatement
        sqlite3_reset(node)
        for n in nodes {
            SQLiteBinding.int(node, 1, Int64(n.level)); SQLiteBinding.int(node, 2, n.index); SQLiteBinding.blob(node, 3, n.hash)
            try SQLiteBinding.step(insertNode)
        }
        return start + Int64(leaves.count)
    }

    /// Appends every event row not yet in the tree, in row order, then `extra` leaves (before
    /// the events instead when `extraFirst`), and signs a checkpoint of the new size with
    /// `signer` (whose name is the log's origin). Returns the tree size and the latest checkpoint.
    @discardableResult
    static func extendTree(_ db: Database, signer: NoteSigner, at: Int64, extra: [ExtraLeaf] = [], extraFirst: Bool = false) throws -> (size: Int64, checkpoint: String) {
        let state = try treeState(db)
        var size = state.size
        if extraFirst { size = try appendLeaves(db, extra, at: size) }
        // The rows not yet in the tree, read with SQLite's C API (no GRDB `Row` per event):
        // rowid, node, seq and hash, each entry built straight from the columns.
        let select = try db.cachedStatement(sql: "SELECT rowid, node, seq, hash FROM event WHERE rowid > ? ORDER BY rowid")
        var rows: [ExtraLeaf] = []
        var lastRow: Int64?
        try SQLiteBinding.rows(select, binding: { sqlite3_bind_int64($0, 1, state.covered) }) { s in
            lastRow = sqlite3_column_int64(s, 0)
            let node = SQLiteBinding.columnText(s, 1), seq = sqlite3_column_int64(s, 2)
            rows.append(ExtraLeaf(node: node, seq: seq, entry: LogEntry.bytes(court: node, seq: seq, eventHash: SQLiteBinding.columnBlob(s, 3))))
        }
        if let last = lastRow {
            // After a recovery the tree may already hold a court's next events (expected ones):
            // one look per court and batch at how far the tree holds it.
            var treeHeads: [String: Int64] = [:]
            var court = "", courtTreeHead: Int64 = 0
            var events: [ExtraLeaf] = []
            events.reserveCapacity(rows.count)
            for leaf in rows {
                if leaf.node != court {
                    if let known = treeHeads[leaf.node] { courtTreeHead = known } else {
                        courtTreeHead = try Self.treeHead(db, leaf.node)
                        treeHeads[leaf.node] = courtTreeHead
                    }
                    court = leaf.node
                }
                if try leaf.seq <= courtTreeHead && isExpected(db, leaf) { continue }
                events.append(leaf)
            }
            size = try appendLeaves(db, events, at: size)
            try db.execute(sql: "UPDATE tlog_state SET covered_rowid = ? WHERE id = 1", arguments: [last])
        }
        if !extraFirst { size = try appendLeaves(db, extra, at: size) }
        try db.execute(sql: "UPDATE tlog_state SET size = ? WHERE id = 1", arguments: [size])
        if let note = try String.fetchOne(db, sql: "SELECT note FROM tlog_checkpoint WHERE size = ?", arguments: [size]),
           (try? signer.verifier.verifyCheckpoint(note)) != nil {
            return (size: size, checkpoint: note)
        }
        let root = try MerkleTree.root(size: size) { level, index in try treeNode(db, level: level, index: index) }
        let note = signer.sign(Checkpoint(origin: signer.name, size: size, root: root).body)
        try db.execute(sql: "INSERT OR REPLACE INTO tlog_checkpoint (size, note, at) VALUES (?, ?, ?)", arguments: [size, note, at])
        return (size: size, checkpoint: note)
    }

    /// Whether the tree already holds this event's leaf (the caller saw the tree hold its court up
    /// to its seq): an expected event restored after a recovery (protocol §16.13), which takes no
    /// new leaf. A stored event that differs from the tree's entry at its seq is refused.
    static func isExpected(_ db: Database, _ leaf: ExtraLeaf) throws -> Bool {
        let held = try Data.fetchOne(db.cachedStatement(sql: "SELECT entry FROM tlog_entry WHERE node = ? AND seq = ?"), arguments: [leaf.node, leaf.seq])
        guard let held, Array(held) == leaf.entry else {
            throw StoreError("\(leaf.node) seq \(leaf.seq) differs from the entry the hub's recovered tree holds there: nothing was stored; that court's log is not the one the witnesses cosigned; report it to the auditors")
        }
        return true
    }

    /// Brings the tree up to date with every stored event (for instance 410800's own appends)
    /// and returns the latest checkpoint. Writes only when something is new.
    public func updateTransparencyLog(signer: NoteSigner, at: Int64) throws -> (size: Int64, checkpoint: String) {
        let current = try read { db -> (size: Int64, checkpoint: String)? in
            let state = try Self.treeState(db)
            let maxRow = try Int64.fetchOne(db, sql: "SELECT MAX(rowid) FROM event") ?? 0
            guard maxRow == state.covered, let note = try String.fetchOne(db, sql: "SELECT note FROM tlog_checkpoint WHERE size = ?", arguments: [state.size]),
                  (try? signer.verifier.verifyCheckpoint(note)) != nil else { return nil }
            return (size: state.size, checkpoint: note)
        }
        if let current { return current }
        return try write { db in try Self.extendTree(db, signer: signer, at: at) }
    }

    /// The latest checkpoint stored, if any.
    public func latestCheckpoint() throws -> (size: Int64, checkpoint: String)? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT size, note FROM tlog_checkpoint ORDER BY size DESC LIMIT 1").map { row -> (size: Int64, checkpoint: String) in
                (size: row[0] as Int64, checkpoint: row[1] as String)
            }
        }
    }

    /// The stored checkpoint of exactly `size` leaves, if the hub signed one.
    public func checkpoint(size: Int64) throws -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT note FROM tlog_checkpoint WHERE size = ?", arguments: [size]) }
    }

    /// Number of leaves in the tree.
    public func treeSize() throws -> Int64 { try read { db in try Self.treeState(db).size } }

    /// Where (court, seq) sits in the tree, and its entry.
    public func leafIndex(court: String, seq: Int64) throws -> (index: Int64, entry: [UInt8])? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT idx, entry FROM tlog_entry WHERE node = ? AND seq = ?", arguments: [court, seq]).map { row -> (index: Int64, entry: [UInt8]) in
                let entry: Data = row[1]
                return (index: row[0] as Int64, entry: Array(entry))
            }
        }
    }

    /// Keeps a witness's verified cosignature line of the checkpoint of `size` (its latest per size).
    public func addCosignature(size: Int64, witness: String, line: String, at: Int64) throws -> Int {
        try write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO tlog_cosignature (size, witness, line, at) VALUES (?, ?, ?, ?)", arguments: [size, witness, line, at])
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tlog_cosignature WHERE size = ?", arguments: [size]) ?? 0
        }
    }

    /// The largest checkpoint cosigned by at least `quorum` witnesses, with their cosignature lines.
    public func witnessedCheckpoint(quorum: Int) throws -> (size: Int64, checkpoint: String, cosignatures: [String])? {
        try read { db in
            guard let size = try Int64.fetchOne(db, sql: """
                SELECT size FROM tlog_cosignature GROUP BY size HAVING COUNT(*) >= ? ORDER BY size DESC LIMIT 1
                """, arguments: [quorum]),
                  let note = try String.fetchOne(db, sql: "SELECT note FROM tlog_checkpoint WHERE size = ?", arguments: [size]) else { return nil }
            let lines = try String.fetchAll(db, sql: "SELECT line FROM tlog_cosignature WHERE size = ? ORDER BY witness", arguments: [size])
            return (size: size, checkpoint: note, cosignatures: lines)
        }
    }

    /// The leaf hashes at these indexes.
    public func leafHashes(_ indexes: [Int64]) throws -> [[UInt8]] {
        try read { db in try indexes.map { try Self.treeNode(db, level: 0, index: $0) } }
    }

    /// RFC 9162 inclusion proof of leaf `index` in the tree of `size` leaves.
    public func inclusionProof(index: Int64, size: Int64) throws -> [[UInt8]] {
        try read { db in
            try Self.checkSize(db, size)
            guard index >= 0, index < size else { throw StoreError("leaf \(index) is not in a tree of \(size) leaves") }
            return try MerkleTree.inclusionProof(index: index, size: size) { try Self.treeNode(db, level: $0, index: $1) }
        }
    }

    /// The entries the tree names `name` (a court, or `keylog` for key-log records) at seqs
    /// `from`, `from + 1`, … without a gap (at most `limit`) that the tree of `size` leaves holds,
    /// each with its inclusion proof in that tree, in one read.
    public func entryProofs(name: String, from: Int64, size: Int64, limit: Int) throws -> [EntryProof] {
        try read { db in
            try Self.checkSize(db, size)
            let rows = try Row.fetchAll(db, sql: """
                SELECT seq, idx, entry FROM tlog_entry WHERE node = ? AND seq >= ? AND idx < ? ORDER BY seq LIMIT ?
                """, arguments: [name, from, size, limit])
            // Records are numbered without a gap: stop at the first one missing.
            var found: [(seq: Int64, index: Int64, entry: [UInt8])] = []
            for row in rows {
                let seq: Int64 = row[0]
                guard seq == from + Int64(found.count) else { break }
                let entry: Data = row[2]
                found.append((seq, row[1], Array(entry)))
            }
            let proofs = try MerkleTree.inclusionProofs(indexes: found.map(\.index), size: size) { wanted in
                var out: [MerkleTree.NodeID: MerkleTree.Hash] = [:]
                for id in wanted { out[id] = try Self.treeNode(db, level: id.level, index: id.index) }
                return out
            }
            return found.indices.map { EntryProof(seq: found[$0].seq, leafIndex: found[$0].index, entry: found[$0].entry, inclusion: proofs[$0]) }
        }
    }

    /// RFC 9162 consistency proof from the tree of `old` leaves to the tree of `new` leaves.
    public func consistencyProof(old: Int64, new: Int64) throws -> [[UInt8]] {
        try read { db in
            try Self.checkSize(db, new)
            guard old >= 0, old <= new else { throw StoreError("a consistency proof needs 0 ≤ old (\(old)) ≤ new (\(new))") }
            return try MerkleTree.consistencyProof(old: old, new: new) { try Self.treeNode(db, level: $0, index: $1) }
        }
    }

    static func checkSize(_ db: Database, _ size: Int64) throws {
        let held = try treeState(db).size
        guard size >= 0, size <= held else { throw StoreError("the tree has \(held) leaves, not \(size): ask for a size at most \(held)") }
    }

    /// The data of tlog-tiles hash tile `index` at tile level `level` with `width` hashes, or nil
    /// when the tree does not hold that many.
    public func tile(level: Int, index: Int64, width: Int64) throws -> [UInt8]? {
        try read { db in
            let size = try Self.treeState(db).size
            guard width >= 1, width <= TilePath.width(level: level, index: index, size: size) else { return nil }
            var out: [UInt8] = []
            out.reserveCapacity(Int(width) * 32)
            let first = index * TilePath.width
            if level == 0 {
                let rows = try Data.fetchAll(db, sql: "SELECT entry FROM tlog_entry WHERE idx >= ? AND idx < ? ORDER BY idx", arguments: [first, first + width])
                for e in rows { out += MerkleTree.leafHash(Array(e)) }
            } else {
                let rows = try Data.fetchAll(db, sql: "SELECT hash FROM tlog_node WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx",
                                             arguments: [level * TilePath.height, first, first + width])
                for h in rows { out += Array(h) }
            }
            return out.count == Int(width) * 32 ? out : nil
        }
    }

    /// The tlog-tiles entry bundle `index` with `width` entries (each prefixed by its uint16
    /// big-endian length), or nil when the tree does not hold that many.
    public func entryBundle(index: Int64, width: Int64) throws -> [UInt8]? {
        try read { db in
            let size = try Self.treeState(db).size
            guard width >= 1, width <= TilePath.width(level: 0, index: index, size: size) else { return nil }
            let first = index * TilePath.width
            var out: [UInt8] = []
            for e in try Data.fetchAll(db, sql: "SELECT entry FROM tlog_entry WHERE idx >= ? AND idx < ? ORDER BY idx", arguments: [first, first + width]) {
                out += [UInt8(e.count >> 8), UInt8(e.count & 0xff)] + Array(e)
            }
            return out
        }
    }
}
