import CanonicalJSON
import CourtLog
import Foundation
import GRDB
import GRDBSQLite

/// One stored row of the event table, copied out of SQLite so that rows can be checked on all
/// cores (a GRDB `Row` belongs to the connection that read it).
struct StoredRow: Sendable {
    let node: String
    let seq: Int64
    let id: String
    let type: String
    let at: String
    let atUTC: Int64
    let month: Int
    let dept: String?
    let subject: String?
    let channel: String?
    let ok: Bool?
    let delaySeconds: Int64?
    let amount: Int64?
    let system: String?
    let role: String?
    let prev: [UInt8]
    let content: [UInt8]
    let hash: [UInt8]
    let sig: [UInt8]
    let body: [UInt8]

    /// The first column whose stored kind is not the one its value is compared as (text where
    /// an integer belongs, a blob where a text does, …): reported as that column differing from
    /// the signed body, the fault it is.
    let misfiled: String?

    static let columns = "node, seq, id, type, at, at_utc, month, dept, subject, channel, ok, delay_s, amount, system, role, prev, content, hash, sig, body"
    static let names = columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }

    /// The current row of `s`, a statement selecting ``columns`` in their order, read with
    /// SQLite's C API: each value copied once out of SQLite's own buffer, no GRDB row or
    /// database value built per column (which cost `audit verify --dir` more than reading).
    init(_ s: OpaquePointer) {
        var misfiled: String?
        func kind(_ i: Int32) -> Int32 { sqlite3_column_type(s, i) }
        func text(_ i: Int32) -> String? {
            let k = kind(i)
            guard k == SQLITE_TEXT || k == SQLITE_BLOB else {
                if k != SQLITE_NULL, misfiled == nil { misfiled = Self.names[Int(i)] }
                return nil
            }
            // Text is read as UTF-8 bytes whatever its kind (GRDB decodes a blob as UTF-8 too).
            guard let p = sqlite3_column_blob(s, i) else { return "" }
            return String(decoding: UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(s, i))), as: UTF8.self)
        }
        func int(_ i: Int32) -> Int64? {
            switch kind(i) {
            case SQLITE_INTEGER: return sqlite3_column_int64(s, i)
            case SQLITE_NULL: return nil
            default:
                if misfiled == nil { misfiled = Self.names[Int(i)] }
                return nil
            }
        }
        func required<T>(_ value: T?, _ i: Int32, _ empty: T) -> T {
            if value == nil, misfiled == nil { misfiled = Self.names[Int(i)] }
            return value ?? empty
        }
        func bytes(_ i: Int32) -> [UInt8] {
            // A blob (or text) column yields its bytes; anything else reads as empty and then
            // fails the check against the signed body, as a damaged row should.
            let k = kind(i)
            guard k == SQLITE_BLOB || k == SQLITE_TEXT, let p = sqlite3_column_blob(s, i) else { return [] }
            return Array(UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(s, i))))
        }
        node = required(text(0), 0, ""); seq = sqlite3_column_int64(s, 1); id = required(text(2), 2, "")
        type = required(text(3), 3, ""); at = required(text(4), 4, ""); atUTC = required(int(5), 5, 0)
        month = Int(required(int(6), 6, 0))
        dept = text(7); subject = text(8); channel = text(9); ok = int(10).map { $0 != 0 }; delaySeconds = int(11); amount = int(12)
        system = text(13); role = text(14)
        prev = bytes(15); content = bytes(16); hash = bytes(17); sig = bytes(18); body = bytes(19)
        if kind(1) != SQLITE_INTEGER, misfiled == nil { misfiled = "seq" }
        self.misfiled = misfiled
    }

    /// Up to `limit` rows of `node` from `seq` on, in seq order.
    static func fetch(_ db: Database, node: String, from seq: Int64, limit: Int) throws -> [StoredRow] {
        let statement = try db.cachedStatement(sql: "SELECT \(columns) FROM event WHERE node = ? AND seq >= ? ORDER BY seq LIMIT ?")
        let s = statement.sqliteStatement
        sqlite3_reset(s)
        defer { sqlite3_reset(s) }
        SQLiteBinding.text(s, 1, node); SQLiteBinding.int(s, 2, seq); SQLiteBinding.int(s, 3, Int64(limit))
        var rows: [StoredRow] = []
        rows.reserveCapacity(min(limit, 4096))
        while true {
            let code = sqlite3_step(s)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else {
                let message = sqlite3_errmsg(sqlite3_db_handle(s)).map { String(cString: $0) }
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
            }
            rows.append(StoredRow(s))
        }
        return rows
    }

    /// The event re-read from its signed body, checked against the columns projections read.
    func event() throws(EventError) -> SignedEvent {
        if let misfiled {
            throw EventError("stored column '\(misfiled)' differs from the signed body: the row was edited by hand; restore the log from a backup or the hub", seq: seq)
        }
        // A body a node stored is canonical: read in one pass, hashed as it stands. Any other
        // is parsed and encoded again, which accepts or refuses it as it always did.
        let (event, prepared) = if let read = SignedEvent.storedIfCanonical(body: body, hash: hash, sig: sig) { read } else { try reread() }
        if let bad = firstDiffering(from: event, columns: prepared.columns, contentDigest: prepared.contentDigest) {
            throw EventError("stored column '\(bad)' differs from the signed body: the row was edited by hand; restore the log from a backup or the hub", seq: seq)
        }
        return event
    }

    /// The first column, in the order of the table, whose stored value is not the one the
    /// signed body gives (checked on every row: no list built per row).
    func firstDiffering(from event: SignedEvent, columns: ProjectionColumns, contentDigest: [UInt8]) -> String? {
        if node != event.node { return "node" }
        if seq != event.seq { return "seq" }
        if id != event.id { return "id" }
        if type != event.type { return "type" }
        if at != event.at.text { return "at" }
        if atUTC != event.at.utcSeconds { return "at_utc" }
        if month != event.at.beijingMonth { return "month" }
        if dept != event.dept { return "dept" }
        if subject != columns.subject { return "subject" }
        if channel != columns.channel { return "channel" }
        if ok != columns.ok { return "ok" }
        if delaySeconds != columns.delaySeconds { return "delay_s" }
        if amount != columns.amount { return "amount" }
        if system != columns.system { return "system" }
        if role != columns.role { return "role" }
        if prev != event.prev.bytes { return "prev" }
        if content != contentDigest { return "content" }
        return nil
    }

    /// The general reading: the body parsed as JSON, the envelope checked and encoded again.
    func reread() throws(EventError) -> (event: SignedEvent, prepared: PreparedDraft) {
        guard case .object(var members) = try? StrictJSONParser.parse(body) else {
            throw EventError("the stored body is not valid JSON: the row was damaged or edited by hand", seq: seq)
        }
        members["hash"] = .string(Hex.encode(hash))
        members["sig"] = .string(Hex.encode(sig))
        return try SignedEvent.checked(envelope: .object(members))
    }
}
