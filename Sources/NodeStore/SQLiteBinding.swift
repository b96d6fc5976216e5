import GRDB
import GRDBSQLite

/// Binds values to a prepared statement with SQLite's C API and runs it: no GRDB argument
/// values built per row, for the statements the hub and the append run once per event or per
/// counter. A parameter keeps its value across `sqlite3_reset`, so a caller binds what does not
/// change once.
enum SQLiteBinding {
    /// SQLite copies each text and blob before the call returns.
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    @inline(__always)
    static func text(_ s: OpaquePointer, _ i: Int32, _ value: String?) {
        guard var value else { sqlite3_bind_null(s, i); return }
        value.withUTF8 { utf8 in
            guard let base = utf8.baseAddress else { sqlite3_bind_text(s, i, "", 0, transient); return }
            sqlite3_bind_text(s, i, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), Int32(utf8.count), transient)
        }
    }

    @inline(__always)
    static func blob(_ s: OpaquePointer, _ i: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { sqlite3_bind_zeroblob(s, i, 0); return }
            sqlite3_bind_blob(s, i, base, Int32(raw.count), transient)
        }
    }

    @inline(__always)
    static func int(_ s: OpaquePointer, _ i: Int32, _ value: Int64?) {
        guard let value else { sqlite3_bind_null(s, i); return }
        sqlite3_bind_int64(s, i, value)
    }

    /// Binds with `binding`, then calls `row` for each row the statement returns (read its
    /// columns with `sqlite3_column_*`, ``columnText(_:_:)`` or ``columnBlob(_:_:)``), and
    /// resets it; SQLite's error as GRDB's `DatabaseError`.
    static func rows(_ statement: Statement, binding: (OpaquePointer) -> Void, _ row: (OpaquePointer) throws -> Void) throws {
        let s = statement.sqliteStatement
        sqlite3_reset(s)
        binding(s)
        defer { sqlite3_reset(s) }
        while true {
            let code = sqlite3_step(s)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else {
                let message = sqlite3_errmsg(sqlite3_db_handle(s)).map { String(cString: $0) }
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
            }
            try row(s)
        }
    }

    /// A text column of the current row ("" for NULL).
    static func columnText(_ s: OpaquePointer, _ i: Int32) -> String {
        guard let text = sqlite3_column_text(s, i) else { return "" }
        return String(decoding: UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(s, i))), as: UTF8.self)
    }

    /// A blob column of the current row (empty for NULL).
    static func columnBlob(_ s: OpaquePointer, _ i: Int32) -> [UInt8] {
        guard let blob = sqlite3_column_blob(s, i) else { return [] }
        return Array(UnsafeRawBufferPointer(start: blob, count: Int(sqlite3_column_bytes(s, i))))
    }

    /// Runs the statement as bound (it must return no row) and resets it; SQLite's error as
    /// GRDB's `DatabaseError` otherwise.
    static func step(_ statement: Statement) throws {
        let s = statement.sqliteStatement
        let code = sqlite3_step(s)
        guard code == SQLITE_DONE else {
            let message = sqlite3_errmsg(sqlite3_db_handle(s)).map { String(cString: $0) }
            sqlite3_reset(s)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
        }
        sqlite3_reset(s)
    }
}
