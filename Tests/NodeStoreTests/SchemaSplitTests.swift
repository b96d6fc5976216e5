import CourtLog
import CourtPlan
import Foundation
import GRDB
import QueryViews
import Testing
import TransparencyLog
@testable import NodeStore

/// A court's database holds its log and projections only; the hub's tables (registry, key log,
/// transparency log, witnesses) are made in the hub's database alone (issue 13, design decision 9).
/// A court's database made before the split sheds the hub's tables, which it never used.
@Suite("a court's database without the hub's tables")
struct SchemaSplitTests {
    func temp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-split-\(name)-\(UUID().uuidString.prefix(8))").path
    }

    /// The tables of the database at `path`, by name, and the migrations it records as applied.
    func schema(_ path: String) throws -> (tables: Set<String>, migrations: Set<String>) {
        var config = Configuration()
        config.readonly = true
        let q = try DatabaseQueue(path: path, configuration: config)
        defer { try? q.close() }
        return try q.read { db in
            (Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")),
             Set(try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")))
        }
    }

    static let courtTables: Set<String> = ["grdb_migrations", "event", "log_head", "proj_count", "proj_seen", "proj_roster", "proj_policy",
                                           "proj_cursor", "proj_meta"]
    static let hubTables: Set<String> = ["hub_node", "hub_auditor", "hub_alarm", "hub_push", "hub_revoked_key", "tlog_entry", "tlog_node",
                                         "tlog_checkpoint", "tlog_state", "tlog_cosignature", "keylog", "hub_witness"]
    static let courtMigrations: Set<String> = ["v1-event-log", "v2-projections", "v6-event-system-column",
                                               "v7-refold-department-rosters-and-impossible-delays", "v9-staff-roles-and-future-dated-events"]
    static let hubMigrations: Set<String> = ["v3-hub", "v4-hub-evidence-and-revoked-keys", "v5-credential-role", "v8-transparency-log",
                                             "v10-key-log", "v11-hub-witnesses"]

    func filings(_ range: ClosedRange<Int>) throws -> [EventDraft] {
        try range.map { i in
            try EventDraft(id: "f-\(i)", type: "case.filed", at: EventTime(parsing: "2022-09-\(10 + i)T09:00:00+08:00"), dept: nil,
                           data: ["case_no": .string("(2022)豫0802民初\(i)号"), "channel": i % 2 == 0 ? "offline" : "online"])
        }
    }

    @Test func aNewCourtsDatabaseHasNoHubTablesAndStillAppendsAndAnswers() throws {
        let path = temp("court"); defer { try? FileManager.default.removeItem(atPath: path) }
        let node = try NodeDirectory.create(at: path, court: Plan.shipped.court("410802"))
        let (tables, migrations) = try schema("\(path)/log.sqlite")
        #expect(tables == Self.courtTables, "a court's log and its projections, nothing of the hub's")
        #expect(tables.isDisjoint(with: Self.hubTables))
        #expect(Set(EventStore.hubTables) == Self.hubTables, "the store's list of hub tables is every table the hub's migrations make")
        #expect(migrations == Self.courtMigrations)
        #expect(!node.store.holdsHubTables)

        // What a court does with its database needs none of them.
        _ = try node.append(try filings(1...4), recordedAt: 1_672_000_000)
        #expect(try node.store.verify(node: "410802", publicKey: node.key.publicKey).events == 4)
        #expect(try node.store.owedEvents().isEmpty)
        #expect(try node.store.keysAdmitted(court: "410802").isEmpty)
        #expect(try node.store.publication().treeSize == 0, "nothing of a court's own database was published by a hub")
        let source = try ProjectionSource.stored(node.store)
        #expect(try source.counts("2022-09").count(unit: "410802", measure: "online-filing/num") == 2)  // f-1 and f-3 of four
        #expect(try source.publication(nil).treeSize == 0)
        #expect(try node.store.storedDigest() == node.store.replay().digest)

        // Asking it for the hub's records says which directory to give, in one line.
        let refusal = #expect(throws: StoreError.self) { _ = try node.store.enrolledNodes() }
        #expect(refusal?.message.contains("is a court's log, not the hub's database") == true, "\(String(describing: refusal))")
        #expect(try schema("\(path)/log.sqlite").tables == Self.courtTables, "nothing was made by asking")
    }

    @Test func theHubsDatabaseHasEveryHubTable() throws {
        let path = temp("hub"); defer { try? FileManager.default.removeItem(atPath: path) }
        let hub = try NodeDirectory.create(at: path, court: Plan.shipped.court("410800"), role: .hub)
        let (tables, migrations) = try schema("\(path)/log.sqlite")
        #expect(tables == Self.courtTables.union(Self.hubTables))
        #expect(migrations == Self.courtMigrations.union(Self.hubMigrations))
        #expect(hub.store.holdsHubTables)
        let signer = try NoteSigner(name: "test.example/courtsync/410800", seed: Array(repeating: 7, count: 32))
        #expect(try hub.store.updateTransparencyLog(signer: signer, at: 1_663_000_000).size == 1, "the plan's genesis is the first leaf")

        // A court's database opened as the hub's gets the hub's tables then, and keeps its events.
        let courtPath = temp("court-then-hub"); defer { try? FileManager.default.removeItem(atPath: courtPath) }
        do {
            let court = try NodeDirectory.create(at: courtPath, court: Plan.shipped.court("410802"))
            _ = try court.append(try filings(1...2), recordedAt: 1_672_000_000)
        }
        let reopened = try NodeDirectory.open(at: courtPath, role: .hub)
        #expect(try schema("\(courtPath)/log.sqlite").tables == Self.courtTables.union(Self.hubTables))
        #expect(try reopened.store.head(of: "410802").seq == 2)
    }

    /// A database an earlier build made: every migration, v1 to v11, in one sequence, so a
    /// court's has the hub's tables, empty.
    func preSplitCourt(_ path: String, court code: String = "410802") throws {
        _ = try NodeDirectory.create(at: path, court: Plan.shipped.court(code))
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: "\(path)/log.sqlite\(suffix)") }
        let pool = try DatabasePool(path: "\(path)/log.sqlite")
        try EventStore.preSplitMigrator.migrate(pool)
        try pool.close()
        let made = try schema("\(path)/log.sqlite")
        #expect(made.tables == Self.courtTables.union(Self.hubTables))
        #expect(made.migrations == Self.courtMigrations.union(Self.hubMigrations))
    }

    /// Opened as a court's, such a database sheds the hub's empty tables and forgets their
    /// migrations: it then looks like one `node init` makes today, and keeps working. Opened as
    /// the hub's afterwards, it gets the hub's tables made again.
    @Test func aCourtsDatabaseMadeBeforeTheSplitShedsTheHubsEmptyTables() throws {
        let path = temp("old"); defer { try? FileManager.default.removeItem(atPath: path) }
        try preSplitCourt(path)

        let node = try NodeDirectory.open(at: path)
        #expect(!node.store.holdsHubTables)
        #expect(try schema("\(path)/log.sqlite") == (Self.courtTables, Self.courtMigrations), "the same tables and migrations as a new court's")
        _ = try node.append(try filings(1...3), recordedAt: 1_672_000_000)
        #expect(try node.store.verify(node: "410802", publicKey: node.key.publicKey).events == 3)
        #expect(try node.store.owedEvents().isEmpty)
        try node.store.updateProjections()
        #expect(try node.store.storedDigest() == node.store.replay().digest)

        // Opened again as a court's: nothing more to drop, nothing made.
        let again = try NodeDirectory.open(at: path)
        #expect(try again.store.head(of: "410802").seq == 3)
        #expect(try schema("\(path)/log.sqlite") == (Self.courtTables, Self.courtMigrations))

        // Opened as the hub's: the hub's migrations run again and make its tables, new.
        let asHub = try EventStore(path: "\(path)/log.sqlite", role: .hub)
        #expect(asHub.holdsHubTables)
        #expect(try asHub.head(of: "410802").seq == 3)
        #expect(try schema("\(path)/log.sqlite") == (Self.courtTables.union(Self.hubTables), Self.courtMigrations.union(Self.hubMigrations)))
    }

    /// A hub's table that holds anything keeps every one of them: nothing is dropped from a
    /// database that was used as the hub's, and the intermediate court's directory (the hub's)
    /// keeps them even when all are empty.
    @Test func hubTablesThatHoldAnythingOrAreTheHubsAreKept() throws {
        let used = temp("used"); defer { try? FileManager.default.removeItem(atPath: used) }
        try preSplitCourt(used)
        do {
            let pool = try DatabasePool(path: "\(used)/log.sqlite")
            try pool.write { db in try db.execute(sql: "INSERT INTO hub_push (court, node_head, at) VALUES ('410802', 7, 1672000000)") }
            try pool.close()
        }
        let before = try schema("\(used)/log.sqlite")
        let node = try NodeDirectory.open(at: used)
        #expect(node.store.holdsHubTables)
        #expect(try schema("\(used)/log.sqlite") == before, "no table dropped, no migration forgotten")

        let hub = temp("hub"); defer { try? FileManager.default.removeItem(atPath: hub) }
        try preSplitCourt(hub, court: "410800")
        let hubBefore = try schema("\(hub)/log.sqlite")
        let opened = try NodeDirectory.open(at: hub)
        #expect(opened.store.holdsHubTables)
        #expect(try schema("\(hub)/log.sqlite") == hubBefore)
    }
}
