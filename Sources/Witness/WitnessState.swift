import Foundation
import GRDB
import TransparencyLog

/// What a standalone witness remembers per log (C2SP tlog-witness): the latest checkpoint it
/// cosigned. Checking a request against it and recording the new one happen in one SQLite
/// transaction, so two requests racing can never roll the witness back (protocol §16.11).
public final class WitnessState: Sendable {
    let queue: DatabaseQueue
    public let path: String

    public init(path: String) throws {
        self.path = path
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
            var m = DatabaseMigrator()
            m.registerMigration("v1-witness-log") { db in
                try db.execute(sql: """
                    CREATE TABLE witness_log (origin TEXT PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL, note TEXT NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;
                    """)
            }
            try m.migrate(queue)
        } catch {
            throw TransparencyError("cannot open the witness's state \(path) (\(error)): check the directory, or restore witness.db from its backup — never start a witness afresh under the same key")
        }
    }

    /// The latest checkpoint cosigned for `origin`: (size, root), or nil when none.
    public func held(origin: String) throws -> (size: Int64, root: [UInt8])? {
        try queue.read { db in
            try Row.fetchOne(db, sql: "SELECT size, root FROM witness_log WHERE origin = ?", arguments: [origin]).map { row -> (size: Int64, root: [UInt8]) in
                let root: Data = row[1]
                return (size: row[0] as Int64, root: Array(root))
            }
        }
    }

    /// Runs `decide` on what is held for `origin`, inside one write transaction; when it returns
    /// a checkpoint to record, records it before the transaction ends.
    public func update<T: Sendable>(origin: String, _ decide: ((size: Int64, root: [UInt8])?) throws -> (record: (checkpoint: Checkpoint, note: String)?, answer: T)) throws -> T {
        try queue.write { db in
            let held = try Row.fetchOne(db, sql: "SELECT size, root FROM witness_log WHERE origin = ?", arguments: [origin]).map { row -> (size: Int64, root: [UInt8]) in
                let root: Data = row[1]
                return (size: row[0] as Int64, root: Array(root))
            }
            let (record, answer) = try decide(held)
            if let record {
                try db.execute(sql: "INSERT OR REPLACE INTO witness_log (origin, size, root, note, at) VALUES (?, ?, ?, ?, ?)",
                               arguments: [origin, record.checkpoint.size, Data(record.checkpoint.root), record.note, Int64(Date().timeIntervalSince1970)])
            }
            return answer
        }
    }
}
