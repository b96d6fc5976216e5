import CanonicalJSON
import CourtLog
import CourtPlan
import Foundation
import GRDB
import Testing
@testable import NodeStore

@Suite("the node's SQLite log")
struct EventStoreTests {
    func tempDir() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-store-\(UUID().uuidString.prefix(8))").path
    }

    func drafts(_ n: Int, from start: Int = 0) throws -> [EventDraft] {
        try (start..<start + n).map { i in
            try EventDraft(id: "e-\(i)", type: "fee.paid", at: EventTime(parsing: "2022-08-0\(1 + i % 9)T10:00:00+08:00"),
                           dept: i % 2 == 0 ? "case-filing" : nil,
                           data: ["case_no": .string("(2022)豫0802民初\(i)号"), "channel": i % 3 == 0 ? "offline" : "online"])
        }
    }

    func node(_ path: String) throws -> NodeDirectory {
        try NodeDirectory.create(at: path, court: Plan.shipped.court("410802"))
    }

    /// Verify and export read 4,096 rows at a time (issue 13: constant memory): a log of
    /// 9,000 events spans three windows.
    @Test func aLogOfThreeWindowsIsReadWholeAndAnEditInTheLastIsFound() throws {
        let path = tempDir(); defer { try? FileManager.default.removeItem(atPath: path) }
        let n = try node(path)
        for start in stride(from: 0, to: 9_000, by: 3_000) {
            _ = try n.store.append(drafts(3_000, from: start), sealer: n.sealer, recordedAt: 1)
        }
        let v = try n.store.verify(node: "410802", publicKey: n.key.publicKey)
        #expect(v.events == 9_000 && v.head.seq == 9_000)
        var seqs: [Int64] = []
        let read = try n.store.forEachWindow(of: "410802", from: 2) { seqs += $0.map(\.seq) }
        #expect(read == 8_999 && seqs == Array(2...9_000))
        // Seq 8,500 is draft e-8499: 8499 % 3 == 0, so its channel is offline; edit it by hand.
        let queue = try DatabaseQueue(path: "\(path)/log.sqlite")
        try queue.write { try $0.execute(sql: "UPDATE event SET channel = 'online' WHERE node = '410802' AND seq = 8500") }
        try queue.close()
        #expect {
            try n.store.verify(node: "410802", publicKey: n.key.publicKey)
        } throws: { error in
            (error as? EventError)?.seq == 8_500 && (error as? EventError)?.reason.hasPrefix("stored column 'channel' differs") == true
        }
    }

    /// The next window is read while this one is checked: a log of exactly two windows ends
    /// on an empty read ahead, and a bad signature on the first row of the second is found.
    @Test func aLogOfExactlyTwoWindowsVerifiesAndABadSignatureAtTheSecondsFirstRowIsFound() throws {
        let path = tempDir(); defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let n = try node(path)
            _ = try n.store.append(drafts(2 * EventStore.verifyWindow), sealer: n.sealer, recordedAt: 1)
            let v = try n.store.verify(node: "410802", publicKey: n.key.publicKey)
            #expect(v.events == 8_192 && v.head.seq == 8_192)
        }
        try tamper(path, "UPDATE event SET sig = zeroblob(64) WHERE seq = 4097")
        let n = try NodeDirectory.open(at: path)
        #expect {
            try n.store.verify(node: "410802", publicKey: n.key.publicKey)
        } throws: { error in
            (error as? EventError)?.seq == 4_097 && (error as? EventError)?.reason.hasPrefix("bad signature") == true
        }
    }

    @Test func appendChainsGaplessSeqsAndVerifies() throws {
        let path = tempDir(); defer { try? FileManager.default.removeItem(atPath: path) }
        let n = try node(path)
        let a = try n.store.append(drafts(3), sealer: n.sealer, recordedAt: 1)
        let b = try n.store.append(drafts(2, from: 3), sealer: n.sealer, recordedAt: 2)
        #expect(a.appended.map(\.seq) == [1, 2, 3])
        #expect(b.appended.map(\.seq) == [4, 5])
        #expect(a.appended[0].prev == .genesis)
        #expect(b.appended[0].prev == a.appended[2].hash)
        let events = try n.store.events(of: "410802")
        #expect(events == a.appended + b.appended)
        let v = try n.store.verify(node: "410802", publicKey: n.key.publicKey)
        #expect(v.events == 5 && v.head.seq == 5)
    }

    @Test func aBatchWithOneConflictingIdIsRefusedWhole() throws {
        let path = tempDir(); defer { try? FileManager.default.removeItem(atPath: path) }
        let n = try node(path)
        _ = try n.store.append(drafts(2), sealer: n.sealer, recordedAt: 1)
        var batch = try drafts(3, from: 2)
        var conflicting = try drafts(1)[0]
        conflicting.data["channel"] = "online"   // e-0 was offline
        batch.insert(conflicting, at: 1)
        #expect(throws: EventError.self) { try n.store.append(batch, sealer: n.sealer, recordedAt: 2) }
        #expect(try n.store.head(of: "410802").seq == 2)
    }

    /// Opens the log file behind the store's back, as someone editing it by hand would.
    func tamper(_ path: String, _ sql: String) throws {
        let q = try DatabaseQueue(path: "\(path)/log.sqlite")
        try q.write { try $0.execute(sql: sql) }
        try q.close()
    }

    @Test(arguments: [
        ("UPDATE event SET dept = 'civil-1' WHERE seq = 3", "seq 3: stored column 'dept' differs from the signed body"),
        ("UPDATE event SET channel = 'online' WHERE seq = 4", "seq 4: stored column 'channel' differs"),
        ("UPDATE event SET body = CAST(REPLACE(CAST(body AS TEXT), 'offline', 'online') AS BLOB) WHERE seq = 4", "seq 4: hash mismatch"),
        ("DELETE FROM event WHERE seq = 2", "seq 3: expected seq 2 but found 3"),
        ("DELETE FROM event WHERE seq = 6", "expected seq 6 but the log ends at seq 5"),
        ("UPDATE event SET sig = zeroblob(64) WHERE seq = 5", "seq 5: bad signature"),
        // A value of the wrong kind (INTEGER affinity keeps text that is not a number; a blob
        // stays a blob): read as the column differing, never a crash of the reader.
        ("UPDATE event SET at_utc = 'noon' WHERE seq = 2", "seq 2: stored column 'at_utc' differs from the signed body"),
        ("UPDATE event SET delay_s = x'00' WHERE seq = 3", "seq 3: stored column 'delay_s' differs from the signed body"),
        ("UPDATE event SET body = CAST('{\"at\":' AS BLOB) WHERE seq = 2", "seq 2: the stored body is not valid JSON"),
    ])
    func handEditsOfTheSQLiteFileAreFound(sql: String, phrase: String) throws {
        let path = tempDir(); defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let n = try node(path)
            _ = try n.store.append(drafts(6), sealer: n.sealer, recordedAt: 1)
        }
        try tamper(path, sql)
        let n = try NodeDirectory.open(at: path)
        #expect {
            try n.store.verify(node: "410802", publicKey: n.key.publicKey)
        } throws: { error in
            "\(error)".contains(phrase)
        }
    }

    /// `audit verify --dir` reads a stored canonical body in one pass (as `audit verify FILE`
    /// reads a line): it must give the event, content digest and columns the general reading
    /// (parse, check, encode again) gives, on every row, Chinese case numbers and no dept included.
    @Test func storedRowsReadInOnePassAsTheGeneralReadingReadsThem() throws {
        let path = tempDir(); defer { try? FileManager.default.removeItem(atPath: path) }
        let n = try node(path)
        _ = try n.store.append(drafts(40), sealer: n.sealer, recordedAt: 1)
        let rows = try n.store.read { db in try StoredRow.fetch(db, node: "410802", from: 1, limit: 100) }
        #expect(rows.count == 40 && rows.allSatisfy { $0.misfiled == nil })
        for row in rows {
            let fast = try #require(SignedEvent.storedIfCanonical(body: row.body, hash: row.hash, sig: row.sig))
            let general = try row.reread()
            #expect(fast.event == general.event)
            #expect(fast.prepared.contentDigest == general.prepared.contentDigest && fast.prepared.columns == general.prepared.columns)
            #expect(try row.event() == general.event)
        }
    }

    /// A body stored with whitespace is not canonical: the one-pass reading declines it and the
    /// general reading accepts it as before (its canonical form still hashes to the stored hash).
    @Test func aStoredBodyWithWhitespaceIsReadTheGeneralWayAsBefore() throws {
        let path = tempDir(); defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let n = try node(path)
            _ = try n.store.append(drafts(6), sealer: n.sealer, recordedAt: 1)
        }
        try tamper(path, #"UPDATE event SET body = CAST(REPLACE(CAST(body AS TEXT), ',"id":', ', "id":') AS BLOB) WHERE seq = 3"#)
        let n = try NodeDirectory.open(at: path)
        let row = try #require(try n.store.read { db in try StoredRow.fetch(db, node: "410802", from: 3, limit: 1) }.first)
        #expect(row.body.contains(UInt8(ascii: " ")))
        #expect(SignedEvent.storedIfCanonical(body: row.body, hash: row.hash, sig: row.sig) == nil)
        #expect(try n.store.verify(node: "410802", publicKey: n.key.publicKey).events == 6)
    }

    @Test func theHeadIsUnchangedAfterARefusedPolicyEventFromAGrassrootsCourt() throws {
        let path = tempDir(); defer { try? FileManager.default.removeItem(atPath: path) }
        let n = try node(path)
        let policy = try EventDraft(id: "p", type: "threshold.set", at: EventTime(parsing: "2022-09-01T00:00:00+08:00"), dept: nil,
                                    data: ["indicator": "online-filing", "per_10k": 9500, "effective": "2022-09-01", "document": "豫高法〔2022〕1号"])
        #expect {
            try n.store.append([policy], sealer: n.sealer, recordedAt: 1)
        } throws: { error in
            "\(error)".contains("only 410800")
        }
        #expect(try n.store.head(of: "410802") == .empty)
    }
}
