extension EventStore {
    /// Which of `ids` the log of `node` already holds: lets an importer whose records carry a
    /// recording time (which differs on every run) skip what an earlier run stored.
    public func storedIDs(of node: String, among ids: [String]) throws -> Set<String> {
        Set(try read { db in try Self.storedIDs(db, node: node, ids: ids) }.keys)
    }
}
