import CourtLog
import Foundation
import NodeStore
import Testing
import TransparencyLog
@testable import Hub

/// The tree's big tables on PostgreSQL, range-partitioned by leaf (migration
/// `pg2-tree-partitions`), and the sequencer that integrates pushes' pending leaves.
@Suite("the tree's tables partitioned on PostgreSQL", .serialized)
struct PostgresTreePartitionTests {
    typealias Fixture = PostgresHubTests.Fixture

    /// The partitions of `table`, as `\d+ table` lists them under "Partitions:".
    static func partitions(_ url: String, _ table: String) throws -> [String] {
        try PostgresCluster.psql(url, """
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = '\(table)'::regclass ORDER BY 1
            """).split(separator: "\n").map(String.init)
    }

    @Test func aDatabaseOfTheOldSchemaIsMovedIntoPartitionsAndKeepsItsTree() throws {
        let f = try Fixture(count: 300, database: try PostgresCluster.database())
        defer { f.remove() }
        let fresh = try #require(f.hub.postgres)
        let signer = try f.hub.checkpointSigner()
        let ingest = IngestService(hub: f.hub, checkpointSigner: signer)
        for body in try f.batches(f.nodes[0], size: 70) {
            _ = try ingest.ingest(court: "410802", body: body, nodeHead: nil, receivedAt: 1_664_100_000)
        }
        let size = try fresh.treeSize()
        let root = try fresh.treeRoot(size: size)
        let url = fresh.url.text
        #expect(try Self.partitions(url, "tlog_entry") == ["tlog_entry_p000000"])
        #expect(try Self.partitions(url, "tlog_node") == ["tlog_node_p000000"])

        // A database as the first PostgreSQL hub left it: schema pg1 only, the same tree in its
        // unpartitioned tables (copied row by row from the fresh one).
        let old = try PostgresCluster.database()
        let pg1 = try #require(PostgresHubStore.migrations.first { $0.name == "pg1-hub-log" })
        try PostgresCluster.psql(old, pg1.sql + """
            ;CREATE TABLE courtsync_migration (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL);
            INSERT INTO courtsync_migration VALUES ('pg1-hub-log', 0)
            """)
        let entries = try PostgresCluster.psql(url, """
            SELECT string_agg(format('(%s,%L,%s,decode(%L,''hex''))', idx, court, seq, encode(entry, 'hex')), ',') FROM tlog_entry
            """)
        let nodes = try PostgresCluster.psql(url, """
            SELECT string_agg(format('(%s,%s,decode(%L,''hex''))', level, idx, encode(hash, 'hex')), ',') FROM tlog_node
            """)
        try PostgresCluster.psql(old, """
            INSERT INTO tlog_entry (idx, court, seq, entry) VALUES \(entries);
            INSERT INTO tlog_node (level, idx, hash) VALUES \(nodes);
            UPDATE tlog_state SET size = \(size) WHERE id = 1
            """)

        // Opening it migrates: the rows move into partitions and the tree is the same tree.
        let migrated = try PostgresHubStore(url: try DatabaseURL(old))
        defer { migrated.close() }
        #expect(try migrated.treeSize() == size)
        #expect(try migrated.treeRoot(size: size) == root)
        #expect(try Self.partitions(old, "tlog_entry") == ["tlog_entry_p000000"])
        #expect(try Self.partitions(old, "tlog_node") == ["tlog_node_p000000"])
        #expect(try PostgresCluster.psql(old, "SELECT COUNT(*) FROM pg_tables WHERE tablename LIKE '%unpartitioned%'") == "0")
        #expect(try PostgresCluster.psql(old, "SELECT COUNT(*) FROM ONLY tlog_entry") == "0")    // every row in a partition
        let leaf = try #require(try fresh.leafIndex(court: "410802", seq: 150))
        #expect(try migrated.leafIndex(court: "410802", seq: 150)?.index == leaf.index)
        #expect(try migrated.inclusionProof(index: leaf.index, size: size) == fresh.inclusionProof(index: leaf.index, size: size))

        // Both go on growing the same way: 中站区's 300 events pushed to each give equal roots.
        let events = try f.nodes[1].store.events(of: "410803", from: 1, limit: 1_000)
        for store in [fresh, migrated] {
            for start in stride(from: 0, to: events.count, by: 70) {
                _ = try store.ingest(Array(events[start..<min(start + 70, events.count)]), nodeHead: nil, recordedAt: 1_664_200_000, checkpointSigner: signer)
            }
        }
        let grown = try fresh.treeSize()
        #expect(grown == size + 300)
        #expect(try migrated.treeSize() == grown)
        #expect(try migrated.treeRoot(size: grown) == fresh.treeRoot(size: grown))
        let checkpoint = try signer.verifier.verifyCheckpoint(try #require(try migrated.latestCheckpoint()).checkpoint)
        let grownRoot = try fresh.treeRoot(size: grown)
        #expect(checkpoint.size == grown && checkpoint.root == grownRoot)
    }

    @Test func partitionsAreMadeAheadOfTheTree() throws {
        let url = try PostgresCluster.database()
        let store = try PostgresHubStore(url: try DatabaseURL(url))
        defer { store.close() }
        let per = PostgresHubStore.leavesPerPartition
        // An append that stays in the first half of partition 0 makes nothing new …
        try store.pool.transaction { s in try PostgresHubStore.makePartitions(s, from: 10, through: 20) }
        #expect(try Self.partitions(url, "tlog_entry") == ["tlog_entry_p000000"])
        // … one that crosses into partition 0's second half makes partition 1 (half a partition
        // ahead), and one crossing into partition 1's second half makes partition 2.
        try store.pool.transaction { s in try PostgresHubStore.makePartitions(s, from: per / 2 - 5, through: per / 2 + 5) }
        #expect(try Self.partitions(url, "tlog_entry") == ["tlog_entry_p000000", "tlog_entry_p000001"])
        try store.pool.transaction { s in try PostgresHubStore.makePartitions(s, from: per + per / 2 - 1, through: per + per / 2) }
        #expect(try Self.partitions(url, "tlog_node") == ["tlog_node_p000000", "tlog_node_p000001", "tlog_node_p000002"])
        // Leaf 2^20 + 3 goes to partition 1, a level-21 node (first leaf 2^21) to partition 2.
        #expect(try PostgresCluster.psql(url, """
            INSERT INTO tlog_entry VALUES (\(per + 3), '410802', 1, '\\x00'::bytea);
            SELECT tableoid::regclass FROM tlog_entry
            """) == "tlog_entry_p000001")
        #expect(try PostgresCluster.psql(url, """
            INSERT INTO tlog_node VALUES (21, 1, \(2 * per), '\\x00'::bytea);
            SELECT tableoid::regclass FROM tlog_node
            """) == "tlog_node_p000002")
    }
}
