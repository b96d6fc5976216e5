import CanonicalJSON
import CourtLog
import CourtPlan
import Foundation
import Testing
@testable import NodeStore

/// The hub's ingest folds each batch from what its parse prepared (never reading the rows back),
/// gathering a batch's contributions in memory first: the stored projections must still be what
/// a replay from zero gives, and what the fold of the same events read from the rows gives.
@Suite("hub ingest folds from the parse")
struct HubIngestFoldTests {
    @Test func batchesFoldedFromTheParseEqualTheReplayAndTheFoldFromTheRows() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-ingest-fold-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let court = try NodeDirectory.create(at: "\(root)/jiefang", court: Plan.shipped.court("410802"))
        func draft(_ id: String, _ type: String, _ at: String, _ data: [String: JSONValue]) throws -> EventDraft {
            try EventDraft(id: id, type: type, at: EventTime(parsing: at), dept: nil, data: data)
        }
        // The node records them, and the hub receives them, on 2022-10-09.
        let received = try EventTime(parsing: "2022-10-09T10:00:00+08:00").utcSeconds
        _ = try court.append([
            try draft("r1", "roster.set", "2022-09-01T08:00:00+08:00", ["headcount": 10]),
            try draft("s1", "service.delivered", "2022-09-02T09:00:00+08:00", ["case_no": "(2022)豫0802民初1号", "method": "electronic"]),
            try draft("s2", "service.delivered", "2022-09-03T09:00:00+08:00", ["case_no": "(2022)豫0802民初1号", "method": "postal"]),
            try draft("s3", "service.delivered", "2022-09-04T09:00:00+08:00", ["case_no": "(2022)豫0802民初2号", "method": "electronic"]),
            try draft("s4", "service.delivered", "2022-09-05T09:00:00+08:00", ["case_no": "(2022)豫0802民初1号", "method": "electronic"]),
            try draft("s5", "service.delivered", "2022-09-06T09:00:00+08:00", ["case_no": "(2022)豫0802民初3号", "method": "postal"]),
            try draft("s6", "service.delivered", "2022-10-08T09:00:00+08:00", ["case_no": "(2022)豫0802民初2号", "method": "electronic"]),
            try draft("a1", "staff.active", "2022-09-02T09:00:00+08:00", ["staff_id": "j1", "app": "oa", "day": "2022-09-02"]),
            try draft("a2", "staff.active", "2022-09-03T09:00:00+08:00", ["staff_id": "j1", "app": "oa", "day": "2022-09-03"]),
            try draft("a3", "staff.active", "2022-09-03T09:05:00+08:00", ["staff_id": "j2", "app": "oa", "day": "2022-09-03"]),
            // Dated 27 days after the hub records it (2022-10-09): a data problem of November, in no indicator.
            try draft("f1", "case.filed", "2022-11-05T09:30:00+08:00", ["case_no": "(2022)豫0802民初9号", "channel": "online"]),
        ], recordedAt: received)
        // As the hub parses a push: each line with its draft prepared.
        let lines = try #require(try court.store.pushBatch(of: "410802", from: 1, limit: 100)).body.split(separator: 0x0A)
        let parsed = try lines.map { line throws(EventError) in try SignedEvent.parsed(Array(line)) }
        #expect(parsed.count == 11)

        // Batches 1–4, 3–7 (3 and 4 sent again), 8–11: case 1号 is served in two batches and
        // twice in one, staff j1 is active twice in one batch.
        let fromParse = try NodeDirectory.create(at: "\(root)/hub-a", court: Plan.shipped.court("410800"), role: .hub)
        for range in [0..<4, 2..<7, 7..<11] {
            let batch = Array(parsed[range])
            _ = try fromParse.store.ingest(batch.map(\.event), prepared: batch.map(\.prepared), nodeHead: 11, recordedAt: received)
        }
        // The same events in one batch, folded from the rows (no prepared drafts).
        let fromRows = try NodeDirectory.create(at: "\(root)/hub-b", court: Plan.shipped.court("410800"), role: .hub)
        _ = try fromRows.store.ingest(parsed.map(\.event), nodeHead: 11, recordedAt: received)

        #expect(try fromParse.store.storedDigest() == fromParse.store.replay().digest)
        #expect(try fromParse.store.storedDigest() == fromRows.store.storedDigest())
        let september = try fromParse.store.storedCounts(period: "2022-09")
        for unit in ["410802", "city"] {
            // Cases served in September: 1号, 2号, 3号 → 3; electronically: 1号 (s1, s4), 2号 (s3) → 2.
            #expect(september.count(unit: unit, measure: "e-service-coverage/den") == 3)
            #expect(september.count(unit: unit, measure: "e-service-coverage/num") == 2)
            // Acts of service in September: s1…s5 → 5; electronic: s1, s3, s4 → 3.
            #expect(september.count(unit: unit, measure: "e-service/den") == 5)
            #expect(september.count(unit: unit, measure: "e-service/num") == 3)
            // Staff active on OA: j1 (twice), j2 → 2.
            #expect(september.count(unit: unit, measure: "oa-activity/num") == 2)
            #expect(september.count(unit: unit, measure: "problem/future-dated") == 0)
        }
        let november = try fromParse.store.storedCounts(period: "2022-11")
        for unit in ["410802", "city"] {
            #expect(november.count(unit: unit, measure: "problem/future-dated") == 1)
            #expect(november.count(unit: unit, measure: "online-filing/den") == 0, "f1 counts in no indicator")
        }
        // The second half of 2022: 1号, 2号 (September and October), 3号 → 3 cases, not 4.
        #expect(try fromParse.store.storedCounts(period: "2022-H2").count(unit: "410802", measure: "e-service-coverage/den") == 3)
        #expect(try fromParse.store.storedCounts(period: "2022-10").count(unit: "410802", measure: "e-service-coverage/den") == 1)
        #expect(try fromParse.store.storedRosters().map(\.headcount) == [10])
    }
}
