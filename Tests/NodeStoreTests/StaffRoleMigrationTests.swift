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
}
