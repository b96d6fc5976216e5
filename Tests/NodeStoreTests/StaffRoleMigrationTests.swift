import CanonicalJSON
import CourtLog
import CourtPlan
import Foundation
import GRDB
import Testing
@testable import NodeStore

/// The v9 migration on a store written before roles and the future-dated rule: the role
/// columns appear, the stored columns of every event are checked against the signed body, and
/// the projections are folded again from zero to what a replay gives.
@Suite("upgrading a store to staff roles and future-dated events")
struct StaffRoleMigrationTests {
    @Test func aStoreFromBeforeRolesIsMigratedAndRefoldedToTheReplay() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-v9-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let recorded = try EventTime(parsing: "2022-09-01T10:00:00+08:00").utcSeconds
        do {
            let n = try NodeDirectory.create(at: path, court: Plan.shipped.court("410803"))
            func draft(_ id: String, _ type: String, _ at: String, _ data: [String: JSONValue]) throws -> EventDraft {
                try EventDraft(id: id, type: type, at: EventTime(parsing: at), dept: nil, data: data)
            }
            _ = try n.store.append([
                try draft("r1", "roster.set", "2022-09-01T08:00:00+08:00", ["headcount": 10, "role": "judge"]),
                try draft("a1", "staff.active", "2022-09-01T09:00:00+08:00", ["staff_id": "j1", "app": "oa", "day": "2022-09-01", "role": "judge"]),
                try draft("f1", "case.filed", "2022-09-01T09:30:00+08:00", ["case_no": "(2022)豫0803民初1号", "channel": "online"]),
                // dated 27 days after it was recorded
                try draft("f2", "case.filed", "2022-09-28T09:30:00+08:00", ["case_no": "(2022)豫0803民初2号", "channel": "online"]),
            ], sealer: n.sealer, recordedAt: recorded)
        }
        // Make it a store of the previous build: no role columns, v9 not applied, projections
        // as the old fold left them (here: none).
        let q = try DatabaseQueue(path: "\(path)/log.sqlite")
        try q.write { db in
            try db.execute(sql: """
                ALTER TABLE event DROP COLUMN role; ALTER TABLE proj_roster DROP COLUMN role;
                DELETE FROM grdb_migrations WHERE identifier = 'v9-staff-roles-and-future-dated-events';
                DELETE FROM proj_count; DELETE FROM proj_seen; DELETE FROM proj_roster; DELETE FROM proj_cursor;
                """)
        }
        try q.close()

        let n = try NodeDirectory.open(at: path)
        let v = try n.store.verify(node: "410803", publicKey: n.key.publicKey)
        #expect(v.events == 4, "every stored column, role included, agrees with the signed body")
        let counts = try n.store.storedCounts(period: "2022-09")
        #expect(counts.count(unit: "410803", measure: "oa-activity/num#judge") == 1)
        #expect(counts.count(unit: "410803", measure: "online-filing/den") == 1, "f2 counts in no indicator")
        #expect(counts.count(unit: "410803", measure: "problem/future-dated") == 1)
        #expect(try n.store.storedRosters().map { $0.role } == ["judge"])
        #expect(try n.store.storedDigest() == n.store.replay().digest)
    }

    /// The push path: `ingest` (what the hub's push handler calls) records the batch at the
    /// hub's time, folds it in the same transaction, and a batch sent again later is stored once
    /// and keeps its first record time, so the decision never changes.
    @Test func thePushIngestDecidesOnTheHubsRecordTimeOnce() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-future-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let court = try NodeDirectory.create(at: "\(root)/shanyang", court: Plan.shipped.court("410811"))
        let hub = try NodeDirectory.create(at: "\(root)/hub", court: Plan.shipped.court("410800"), role: .hub)
        let at = try EventTime(parsing: "2022-09-20T09:00:00+08:00")
        let draft = try EventDraft(id: "f1", type: "case.filed", at: at, dept: nil, data: ["case_no": "(2022)豫0811民初1号", "channel": "online"])
        let ok = try EventDraft(id: "f2", type: "case.filed", at: try EventTime(parsing: "2022-09-02T09:00:00+08:00"), dept: nil,
                                data: ["case_no": "(2022)豫0811民初2号", "channel": "offline"])
        _ = try court.append([ok, draft], recordedAt: at.utcSeconds)
        let events = try court.store.events(of: "410811")
        // The hub receives them on 2022-09-05: f1 claims 09-20, 15 days ahead of the hub's clock.
        let received = try EventTime(parsing: "2022-09-05T10:00:00+08:00").utcSeconds
        _ = try hub.store.ingest(events, nodeHead: 2, recordedAt: received)
        // Sent again on 2022-09-21: stored once, so still recorded on 09-05 and still a problem.
        _ = try hub.store.ingest(events, nodeHead: 2, recordedAt: received + 16 * 86_400)
        let counts = try hub.store.storedCounts(period: "2022-09")
        #expect(counts.count(unit: "410811", measure: "online-filing/den") == 1, "only f2 counts")
        #expect(counts.count(unit: "410811", measure: "online-filing/num") == 0)
        #expect(counts.count(unit: "410811", measure: "problem/future-dated") == 1)
        #expect(try hub.store.storedDigest() == hub.store.replay().digest)
    }
}
