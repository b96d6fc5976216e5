import CourtLog
import Foundation
import GRDB

/// What a node pushes, read as stored: the signed bytes of each event spliced into its export
/// line, never parsed or re-encoded (the hub checks every line; `audit verify` checks the rows).
extension EventStore {
    /// A contiguous batch of one court's log as export lines, one per line.
    public struct PushBatch: Sendable {
        /// The first event's seq.
        public let first: Int64
        /// The last event's seq and hash: what the hub's receipt must name.
        public let last: LogHead
        /// Events in the batch.
        public let count: Int
        /// The request body: export lines, each ending in a newline.
        public let body: [UInt8]
    }

    /// `node`'s events from `seq` on, at most `limit`, as a push body; nil when there are none.
    public func pushBatch(of node: String, from seq: Int64, limit: Int) throws -> PushBatch? {
        try read { db in
            let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT seq, body, hash, sig FROM event WHERE node = ? AND seq >= ? ORDER BY seq LIMIT ?"),
                                           arguments: [node, seq, limit])
            var body: [UInt8] = []
            var first: Int64?
            var last = LogHead.empty
            var count = 0
            while let row = try rows.next() {
                let n: Int64 = row[0]
                let stored: Data = row[1], hash: Data = row[2], sig: Data = row[3]
                guard n == (first == nil ? seq : last.seq + 1), let line = SignedEvent.exportLine(body: Array(stored), hash: Array(hash), sig: Array(sig)),
                      let eventHash = EventHash(raw: Array(hash)) else {
                    throw EventError("the stored row of seq \(n) of node \(node) is damaged or out of place: check the log with `courtsync audit verify`", seq: n)
                }
                if first == nil {
                    first = n
                    body.reserveCapacity(limit * (line.count + 1))
                }
                body.append(contentsOf: line)
                body.append(0x0A)
                last = LogHead(seq: n, hash: eventHash)
                count += 1
            }
            return first.map { PushBatch(first: $0, last: last, count: count, body: body) }
        }
    }
}
