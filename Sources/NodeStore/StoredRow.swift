import CanonicalJSON
import CourtLog
import Foundation
import GRDB

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

    static let columns = "node, seq, id, type, at, at_utc, month, dept, subject, channel, ok, delay_s, amount, system, role, prev, content, hash, sig, body"

    init(_ row: Row) {
        node = row[0]; seq = row[1]; id = row[2]; type = row[3]; at = row[4]; atUTC = row[5]; month = row[6]
        dept = row[7]; subject = row[8]; channel = row[9]; ok = row[10]; delaySeconds = row[11]; amount = row[12]
        system = row[13]; role = row[14]
        prev = Self.bytes(row, 15); content = Self.bytes(row, 16); hash = Self.bytes(row, 17); sig = Self.bytes(row, 18)
        body = Self.bytes(row, 19)
    }

    /// A blob column's bytes, copied once (no intermediate `Data`).
    static func bytes(_ row: Row, _ index: Int) -> [UInt8] {
        // A blob (or text) column yields its bytes; anything else reads as empty and then
        // fails the check against the signed body, as a damaged row should.
        ((try? row.withUnsafeData(atIndex: index) { data in data.map { Array($0) } }) ?? nil) ?? []
    }

    /// Up to `limit` rows of `node` from `seq` on, in seq order.
    static func fetch(_ db: Database, node: String, from seq: Int64, limit: Int) throws -> [StoredRow] {
        let cursor = try Row.fetchCursor(db.cachedStatement(sql: "SELECT \(columns) FROM event WHERE node = ? AND seq >= ? ORDER BY seq LIMIT ?"),
                                         arguments: [node, seq, limit])
        var rows: [StoredRow] = []
        rows.reserveCapacity(min(limit, 4096))
        while let row = try cursor.next() { rows.append(StoredRow(row)) }
        return rows
    }

    /// The event re-read from its signed body, checked against the columns projections read.
    func event() throws(EventError) -> SignedEvent {
        guard case .object(var members) = try? StrictJSONParser.parse(body) else {
            throw EventError("the stored body is not valid JSON: the row was damaged or edited by hand", seq: seq)
        }
        members["hash"] = .string(Hex.encode(hash))
        members["sig"] = .string(Hex.encode(sig))
        let (event, prepared) = try SignedEvent.checked(envelope: .object(members))
        let columns = prepared.columns
        let mismatches: [(String, Bool)] = [
            ("node", node == event.node), ("seq", seq == event.seq), ("id", id == event.id),
            ("type", type == event.type), ("at", at == event.at.text),
            ("at_utc", atUTC == event.at.utcSeconds), ("month", month == event.at.beijingMonth),
            ("dept", dept == event.dept), ("subject", subject == columns.subject),
            ("channel", channel == columns.channel), ("ok", ok == columns.ok),
            ("delay_s", delaySeconds == columns.delaySeconds), ("amount", amount == columns.amount),
            ("system", system == columns.system), ("role", role == columns.role),
            ("prev", prev == event.prev.bytes), ("content", content == prepared.contentDigest),
        ]
        if let bad = mismatches.first(where: { !$0.1 }) {
            throw EventError("stored column '\(bad.0)' differs from the signed body: the row was edited by hand; restore the log from a backup or the hub", seq: seq)
        }
        return event
    }
}
