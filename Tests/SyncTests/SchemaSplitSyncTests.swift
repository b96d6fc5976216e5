import Foundation
import GRDB
import Testing
@testable import NodeStore

/// Courts' databases without the hub's tables, end to end (issue 13): `node init` makes a log
/// and its projections only, `hub init` makes the hub's tables too, and a node whose database
/// an earlier build made (with the hub's tables, empty) syncs as before and sheds them.
@Suite("court databases without the hub's tables, over HTTPS")
struct SchemaSplitSyncTests {
    static func tables(_ path: String) throws -> Set<String> {
        var config = Configuration()
        config.readonly = true
        let q = try DatabaseQueue(path: path, configuration: config)
        defer { try? q.close() }
        return try q.read { db in
            Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))
        }
    }

    static let hubTables: Set<String> = ["hub_node", "hub_auditor", "hub_alarm", "hub_push", "hub_revoked_key", "tlog_entry", "tlog_node",
                                         "tlog_checkpoint", "tlog_state", "tlog_cosignature", "keylog", "hub_witness"]

    @Test func aNewNodeAndANodeFromBeforeTheSplitBothSync() throws {
        var h = try SyncHarness(); defer { h.remove() }
        try h.startHub()
        let fresh = try h.enrolledNode("410802"), old = try h.enrolledNode("410803")
        // 410803's database as an earlier build left it: every migration, the hub's tables empty.
        do {
            let pool = try DatabasePool(path: "\(old)/log.sqlite")
            try EventStore.preSplitMigrator.migrate(pool)
            try pool.close()
        }
        let freshTables = try Self.tables("\(fresh)/log.sqlite")
        #expect(freshTables == ["grdb_migrations", "event", "log_head", "proj_count", "proj_seen", "proj_roster", "proj_policy", "proj_cursor", "proj_meta"],
                "node init: the court's log and projections only")
        #expect(try Self.tables("\(h.hub)/log.sqlite") == freshTables.union(Self.hubTables), "hub init: the hub's tables too")
        #expect(try Self.tables("\(old)/log.sqlite") == freshTables.union(Self.hubTables))

        try h.record(fresh, court: "410802", count: 6, online: 5)
        try h.record(old, court: "410803", count: 4, online: 4)
        for dir in [fresh, old] {
            let r = try h.run(["node", "sync", "--dir", dir])
            #expect(r.status == 0 && r.stdout.contains("lag 0"), "sync \(dir): \(r.output)")
            // Each pulled and verified the intermediate court's log into its own database.
            #expect(try h.run(["node", "status", "--dir", dir]).stdout.contains("received log of 410800"))
        }
        #expect(try h.hubSeq("410802") == 6 && h.hubSeq("410803") == 4)
        #expect(try Self.tables("\(fresh)/log.sqlite") == freshTables, "syncing made no hub table in the court's database")
        #expect(try Self.tables("\(old)/log.sqlite") == freshTables, "the earlier build's court database shed the hub's empty tables when first opened")
        let verify = try h.run(["audit", "verify", "--dir", old])
        #expect(verify.status == 0, "audit verify of the old node: \(verify.output)")
    }
}
