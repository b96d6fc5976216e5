import CourtLog
import Foundation
import NodeStore
import PostgresNIO
import TransparencyLog

/// Each court's accepted log: `court_log` is the head row a push locks, `event` the signed lines.
extension PostgresHubStore: HubCourtLogs {
    public func head(of court: String) throws -> LogHead {
        try pool.read { s in try Self.head(s, court, lock: false) }
    }

    static func head(_ s: PostgresSession, _ court: String, lock: Bool) throws -> LogHead {
        let rows = try s.query("SELECT seq, hash FROM court_log WHERE court = $1" + (lock ? " FOR UPDATE" : ""), [.text(court)])
        guard let row = rows.first else { return .empty }
        return LogHead(seq: try row.int(0), hash: EventHash(raw: try row.bytes(1)) ?? .genesis)
    }

    public func events(of court: String, from seq: Int64, limit: Int) throws -> [SignedEvent] {
        try pool.read { s in
            // Only what the tree holds: a pending event is not answered with until it is in the tree.
            try s.query("""
                SELECT seq, hash, line FROM event WHERE court = $1 AND seq >= $2
                AND seq <= (SELECT COALESCE(MAX(seq), 0) FROM tlog_entry WHERE court = $1) ORDER BY seq LIMIT $3
                """,
                        [.text(court), .int(seq), .int(Int64(limit))]).map { row in
                try Self.event(seq: try row.int(0), hash: try row.bytes(1), line: try row.bytes(2), court: court)
            }
        }
    }

    /// An event re-read from its signed line, checked against the columns it is found by.
    static func event(seq: Int64, hash: [UInt8], line: [UInt8], court: String) throws -> SignedEvent {
        let event: SignedEvent
        do { event = try SignedEvent(parsing: line) } catch {
            throw EventError("the hub's database holds a damaged line for \(court) seq \(seq) (\(error.description)): restore it from a backup", seq: seq)
        }
        guard event.node == court, event.seq == seq, event.hash.bytes == hash else {
            throw EventError("the hub's database row of \(court) seq \(seq) differs from its signed line: it was edited by hand; restore it from a backup", seq: seq)
        }
        return event
    }

    public func ingest(_ events: [SignedEvent], nodeHead: Int64?, recordedAt: Int64, checkpointSigner: NoteSigner?) throws -> EventStore.Receipt {
        guard let first = events.first else { throw EventError("nothing to receive: the batch is empty") }
        let court = first.node
        let committed = try pool.transaction { s -> (receipt: EventStore.Receipt, stored: [SignedEvent]) in
            // The court's row, created the first time, then locked until commit: another replica's
            // push of the same court waits here and then sees what this one stored.
            try s.execute("INSERT INTO court_log (court, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (court) DO NOTHING",
                          [.text(court), .bytes(EventHash.genesis.bytes)])
            let head = try Self.head(s, court, lock: true)
            let held = events.filter { $0.seq <= head.seq }
            if !held.isEmpty {
                var stored: [Int64: [UInt8]] = [:]
                for row in try s.query("SELECT seq, hash FROM event WHERE court = $1 AND seq = ANY($2)", [.text(court), .ints(held.map(\.seq))]) {
                    stored[try row.int(0)] = try row.bytes(1)
                }
                for e in held {
                    guard let hash = stored[e.seq] else {
                        throw EventError("seq \(e.seq) of node \(court) is missing from the hub's database: its log there is damaged; restore it from a backup", seq: e.seq)
                    }
                    guard hash == e.hash.bytes else {
                        throw ForkError(node: court, seq: e.seq, held: EventHash(raw: hash) ?? .genesis, offered: e.hash)
                    }
                }
            }
            let fresh = events.filter { $0.seq > head.seq }
            if let next = fresh.first {
                guard next.seq == head.seq + 1, next.prev == head.hash else {
                    throw EventError("expected seq \(head.seq + 1) of node \(court) next, but the events start at \(next.seq): send the log from seq \(head.seq + 1)", seq: next.seq)
                }
                try s.execute("""
                    INSERT INTO event (court, seq, id, type, at_utc, hash, prev, line, recorded_at)
                    SELECT $1, u.seq, u.id, u.type, u.at_utc, u.hash, u.prev, u.line, $2
                    FROM unnest($3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::bytea[], $8::bytea[], $9::bytea[])
                         AS u(seq, id, type, at_utc, hash, prev, line)
                    """, [.text(court), .int(recordedAt), .ints(fresh.map(\.seq)), .texts(fresh.map(\.id)), .texts(fresh.map(\.type)),
                          .ints(fresh.map(\.at.utcSeconds)), .bytesArray(fresh.map(\.hash.bytes)), .bytesArray(fresh.map(\.prev.bytes)),
                          .bytesArray(fresh.map(Self.storedLine))])
                let last = fresh.last!
                try s.execute("UPDATE court_log SET seq = $2, hash = $3 WHERE court = $1", [.text(court), .int(last.seq), .bytes(last.hash.bytes)])
            }
            let newHead = fresh.last.map { LogHead(seq: $0.seq, hash: $0.hash) } ?? head
            // The new leaves wait in `tlog_pending` for the tree's sequencer, in the order of
            // commit (the court's row keeps one court's pushes in seq order). None for events a
            // recovered tree already holds (protocol §16.13): they keep their leaf.
            let leaves = try Self.newLeaves(s, court: court, fresh)
            if !leaves.isEmpty {
                try s.execute("INSERT INTO tlog_pending (court, seq, entry) SELECT $1, u.seq, u.entry FROM unnest($2::bigint[], $3::bytea[]) AS u(seq, entry)",
                              [.text(court), .ints(leaves.map(\.seq)), .bytesArray(leaves.map(\.entry))])
            }
            try s.execute("""
                INSERT INTO hub_push (court, node_head, at) VALUES ($1, $2, $3)
                ON CONFLICT (court) DO UPDATE SET node_head = excluded.node_head, at = excluded.at
                """, [.text(court), .int(max(nodeHead ?? 0, newHead.seq)), .int(recordedAt)])
            return (EventStore.Receipt.make(known: held.count, stored: fresh.count, head: newHead), fresh)
        }
        justStored.keep(committed.stored)
        var receipt = committed.receipt
        // After the court's transaction committed (its row lock released): the tree. The push is
        // answered only once its leaves are in the tree, under a checkpoint that includes them.
        if receipt.stored > 0 || checkpointSigner != nil {
            let tree = try integrate(signer: checkpointSigner, at: recordedAt, through: events.last.map { (court: court, seq: $0.seq) })
            receipt.treeSize = tree.size
            receipt.checkpoint = tree.checkpoint
        }
        return receipt
    }

    /// The line stored for an event: its canonical body with the hash and signature spliced in
    /// (``SignedEvent/exportLine(body:hash:sig:)``, the bytes the node pushed), not the envelope
    /// encoded again as a JSON tree (1.8 µs an event of the hub's CPU, measured with perf).
    static func storedLine(_ e: SignedEvent) -> [UInt8] {
        SignedEvent.exportLine(body: e.body, hash: e.hash.bytes, sig: e.sig) ?? e.exportLine
    }

    /// The leaves `fresh` events take: none for those the tree already holds, events a recovery
    /// from a mirror expects back (protocol §16.13), which must be the very events its entries
    /// name. One index look per push; empty except after a recovery.
    static func newLeaves(_ s: PostgresSession, court: String, _ fresh: [SignedEvent]) throws -> [EventStore.ExtraLeaf] {
        let leaves = fresh.map { EventStore.ExtraLeaf(node: court, seq: $0.seq, entry: LogEntry(court: court, seq: $0.seq, eventHash: $0.hash.bytes).bytes) }
        guard let first = fresh.first, let last = fresh.last else { return leaves }
        var expected: [Int64: [UInt8]] = [:]
        for row in try s.query("SELECT seq, entry FROM tlog_entry WHERE court = $1 AND seq >= $2 AND seq <= $3", [.text(court), .int(first.seq), .int(last.seq)]) {
            expected[try row.int(0)] = try row.bytes(1)
        }
        guard !expected.isEmpty else { return leaves }
        return try leaves.filter { leaf in
            guard let held = expected[leaf.seq] else { return true }
            guard held == leaf.entry else {
                throw StoreError("\(court) seq \(leaf.seq) differs from the entry the hub's recovered tree holds there: nothing was stored; that court's log is not the one the witnesses cosigned; report it to the auditors")
            }
            return false
        }
    }

    public func pushReports() throws -> [String: (nodeHead: Int64, at: Int64)] {
        try pool.read { s in
            var out: [String: (nodeHead: Int64, at: Int64)] = [:]
            for row in try s.query("SELECT court, node_head, at FROM hub_push") { out[try row.text(0)] = (try row.int(1), try row.int(2)) }
            return out
        }
    }

    public func recordAlarm(court: String, seq: Int64?, kind: String, detail: String, evidence: String?, at: Int64) throws {
        try pool.read { s in
            try s.execute("INSERT INTO hub_alarm (court, seq, kind, detail, evidence, at) VALUES ($1, $2, $3, $4, $5, $6)",
                          [.text(court), .int(seq), .text(kind), .text(detail), .text(evidence), .int(at)])
        }
    }

    public func alarms() throws -> [EventStore.Alarm] {
        try pool.read { s in
            try s.query("SELECT court, seq, kind, detail, evidence, at FROM hub_alarm ORDER BY id").map {
                EventStore.Alarm.make(court: try $0.text(0), seq: try $0.optionalInt(1), kind: try $0.text(2), detail: try $0.text(3),
                                 evidence: try $0.optionalText(4), at: try $0.int(5))
            }
        }
    }
}

extension PostgresHubStore {
    /// How far the hub holds each court's log.
    public func courtHeads() throws -> [(court: String, seq: Int64)] {
        try pool.read { s in try s.query("SELECT court, seq FROM court_log ORDER BY court").map { (court: try $0.text(0), seq: try $0.int(1)) } }
    }
}
