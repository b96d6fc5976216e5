import CourtLog
import GRDB
import GRDBSQLite

/// Binds an event's columns to the prepared insert straight from its bytes and runs it: no
/// argument values built per row (which cost the append more than SQLite's own work). The
/// columns are those of ``EventStore/insertStatement(_:)``, in its order.
enum EventRowBinding {
    static func insert(_ e: SignedEvent, digest: [UInt8], columns c: ProjectionColumns, recordedAt: Int64, with statement: Statement) throws {
        let s = statement.sqliteStatement
        sqlite3_reset(s)
        typealias B = SQLiteBinding
        B.text(s, 1, e.node); B.int(s, 2, e.seq); B.text(s, 3, e.id); B.text(s, 4, e.type); B.text(s, 5, e.at.text)
        B.int(s, 6, e.at.utcSeconds); B.int(s, 7, Int64(e.at.beijingMonth)); B.text(s, 8, e.dept)
        B.text(s, 9, c.subject); B.text(s, 10, c.channel); B.int(s, 11, c.ok.map { $0 ? 1 : 0 }); B.int(s, 12, c.delaySeconds); B.int(s, 13, c.amount)
        B.blob(s, 14, digest); B.blob(s, 15, e.hash.bytes); B.blob(s, 16, e.prev.bytes); B.blob(s, 17, e.sig); B.blob(s, 18, e.body)
        B.int(s, 19, recordedAt); B.text(s, 20, c.system); B.text(s, 21, c.role)
        try B.step(statement)
    }
}
