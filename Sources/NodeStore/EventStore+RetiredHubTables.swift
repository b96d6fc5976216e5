import GRDB

/// A court's database made before the schema split (issue 13, design decision 9) got the hub's
/// tables too, and they stayed empty: a court never enrolls, keeps a tree or signs checkpoints.
/// Opened as a court's, such a database loses them, so that it looks like one `node init` makes
/// today; the data of the court's log and projections is untouched.
extension EventStore {
    /// Drops the hub's tables and forgets their migrations, in one transaction, when every one of
    /// them is empty (the tree's state row still at size 0). A database where any holds a row
    /// keeps them all, as it is: returns false. Forgetting the migrations means that a database
    /// opened as the hub's later gets the tables made again, new.
    public func dropEmptyHubTables() throws -> Bool {
        do {
            return try pool.write { db in
                guard try Self.hubTablesExist(db) else { return false }
                for table in Self.hubTables {
                    guard try db.tableExists(table) else { return false }
                    let rows = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0
                    if table == "tlog_state" {
                        let state = try Self.treeState(db)
                        guard rows <= 1, state.covered == 0, state.size == 0 else { return false }
                    } else if rows != 0 {
                        return false
                    }
                }
                for table in Self.hubTables { try db.execute(sql: "DROP TABLE \(table)") }
                let identifiers = Self.hubMigrator.migrations
                try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier IN (\(identifiers.map { _ in "?" }.joined(separator: ", ")))",
                               arguments: StatementArguments(identifiers))
                return true
            }
        } catch {
            throw StoreError.from(error, path: path)
        }
    }
}
