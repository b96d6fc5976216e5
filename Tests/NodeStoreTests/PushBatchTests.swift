import CourtLog
import CourtPlan
import Foundation
import GRDB
import Testing
@testable import NodeStore

/// What a node pushes is read as stored (issue 13): export lines spliced from the signed bytes,
/// equal to the lines the events encode, contiguous, and refused when a row was damaged.
@Suite("push batches read from the stored bytes")
struct PushBatchTests {
    func node() throws -> (NodeDirectory, String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-push-\(UUID().uuidString.prefix(8))").path
        let node = try NodeDirectory.create(at: path, court: Plan.shipped.court("410802"))
        let drafts = try (0..<25).map { i in
            try EventDraft(id: "e-\(i)", type: "fee.paid", at: EventTime(parsing: "2022-08-0\(1 + i % 9)T10:00:00+08:00"),
                           dept: i % 2 == 0 ? "case-filing" : nil,
                           data: ["case_no": .string("(2022)豫0802民初\(i)号"), "channel": i % 3 == 0 ? "offline" : "online"])
        }
        _ = try node.store.append(drafts, sealer: node.sealer, recordedAt: 1)
        return (node, path)
    }

    @Test func aBatchIsTheExportLinesOfItsEventsInSeqOrder() throws {
        let (node, path) = try node(); defer { try? FileManager.default.removeItem(atPath: path) }
        let batch = try #require(try node.store.pushBatch(of: "410802", from: 11, limit: 10))
        let events = try node.store.events(of: "410802", from: 11, limit: 10)
        #expect(batch.first == 11 && batch.count == 10)
        #expect(batch.last == LogHead(seq: 20, hash: events[9].hash))
        #expect(batch.body == events.flatMap { $0.exportLine + [0x0A] })
        // The tail: 21…25, then nothing.
        #expect(try node.store.pushBatch(of: "410802", from: 21, limit: 10)?.count == 5)
        #expect(try node.store.pushBatch(of: "410802", from: 26, limit: 10) == nil)
        #expect(try node.store.pushBatch(of: "410803", from: 1, limit: 10) == nil)
    }

    @Test func aDamagedRowIsNamedInsteadOfPushed() throws {
        let (node, path) = try node(); defer { try? FileManager.default.removeItem(atPath: path) }
        try DatabaseQueue(path: node.store.path).write { db in
            try db.execute(sql: "UPDATE event SET body = X'7B7D' WHERE node = '410802' AND seq = 7; DELETE FROM event WHERE seq = 15")
        }
        #expect(throws: EventError.self) { try node.store.pushBatch(of: "410802", from: 1, limit: 10) }
        do { _ = try node.store.pushBatch(of: "410802", from: 1, limit: 10) } catch let error as EventError {
            #expect(error.seq == 7 && error.description.contains("audit verify"), "\(error.description)")
        }
        // Rows before the damaged one still go; a missing row is named by the seq that follows it.
        #expect(try node.store.pushBatch(of: "410802", from: 1, limit: 6)?.count == 6)
        #expect { try node.store.pushBatch(of: "410802", from: 10, limit: 10) } throws: { ($0 as? EventError)?.seq == 16 }
    }
}
