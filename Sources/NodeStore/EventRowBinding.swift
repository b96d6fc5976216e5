import CourtLog
import GRDB
import GRDBSQLite

/// Binds an event's columns to the prepared insert straight from its bytes and runs it: no
/// argument values built per row (which cost the append more than SQLite's own work). The
/// columns are those of ``EventStore/insertStatement(_:)``, in its order.
enum EventRowBinding {
    /// SQLite copies each text and blob before the call returns.
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    static func insert(_ e: SignedEvent, digest: [UInt8], columns c: ProjectionColumns, recordedAt: Int64, with statement: Statement) throws {
        let s = statement.sqliteStatement
        sqlite3_reset(s)
        func text(_ i: Int32, _ value: String?) {
            guard var value else { sqlite3_bind_null(s, i); return }
            value.withUTF8 { utf8 in
                guard let base = utf8.baseAddress else { sqlite3_bind_text(s, i, "", 0, transient); return }
                sqlite3_bind_text(s, i, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), Int32(utf8.count), transient)
            }
        }
        func blob(_ i: Int32, _ bytes: [UInt8]) {
            bytes.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else { sqlite3_bind_zeroblob(s, i, 0); return }
                sqlite3_bind_blob(s, i, base, Int32(raw.count), transient)
            }
        }
        func int(_ i: Int32, _ value: Int64?) {
            guard let value else { sqlite3_bind_null(s, i); return }
            sqlite3_bind_int64(s, i, value)
        }
        text(1, e.node); int(2, e.seq); text(3, e.id); text(4, e.type); text(5, e.at.text)
        int(6, e.at.utcSeconds); int(7, Int64(e.at.beijingMonth)); text(8, e.dept)
        text(9, c.subject); text(10, c.channel); int(11, c.ok.map { $0 ? 1 : 0 }); int(12, c.delaySeconds); int(13, c.amount)
        blob(14, digest); blob(15, e.hash.bytes); blob(16, e.prev.bytes); blob(17, e.sig); blob(18, e.body)
        int(19, recordedAt); text(20, c.system); text(21, c.role)
        let code = sqlite3_step(s)
        guard code == SQLITE_DONE else {
            let message = sqlite3_errmsg(sqlite3_db_handle(s)).map { String(cString: $0) }
            sqlite3_reset(s)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
        }
    }
}
