import CanonicalJSON
import CourtLog
import CourtPlan
import Crypto
import Foundation
import GRDB
import GRDBSQLite
import Projections
import Synchronization

/// The projection tables, kept beside the events they fold (design decision 4): counters per
/// period, unit and measure; the distinct subjects behind distinct counts; rosters; and
/// references to the policy events. Updated incrementally in one transaction with a cursor
/// per node, and comparable by digest with a replay from zero.
extension EventStore {
    static func registerProjectionMigration(_ m: inout DatabaseMigrator) {
        m.registerMigration("v2-projections") { db in
            try db.execute(sql: """
                CREATE TABLE proj_count (
                    period TEXT NOT NULL, unit TEXT NOT NULL, measure TEXT NOT NULL, bucket INTEGER NOT NULL, n INTEGER NOT NULL,
                    PRIMARY KEY (period, unit, measure, bucket)) WITHOUT ROWID;
                CREATE TABLE proj_seen (
                    period TEXT NOT NULL, unit TEXT NOT NULL, measure TEXT NOT NULL, subject TEXT NOT NULL,
                    PRIMARY KEY (period, unit, measure, subject)) WITHOUT ROWID;
                CREATE TABLE proj_roster (
                    node TEXT NOT NULL, seq INTEGER NOT NULL, unit TEXT NOT NULL, at_utc INTEGER NOT NULL,
                    headcount INTEGER NOT NULL, recorded_at INTEGER NOT NULL, PRIMARY KEY (node, seq)) WITHOUT ROWID;
                CREATE TABLE proj_policy (node TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (node, seq)) WITHOUT ROWID;
                CREATE TABLE proj_cursor (node TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
                CREATE TABLE proj_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
                """)
        }
    }

    /// Projections folded by an earlier build are folded again from zero, in the migration's
    /// transaction, so that stored projections stay equal to a replay: a grassroots court's
    /// department rosters are now kept per department (`<court>/<dept>`) rather than each
    /// replacing the last, and a review decided before it was submitted is now a data problem
    /// rather than a timely decision.
    static func registerRefoldMigration(_ m: inout DatabaseMigrator) {
        m.registerMigration("v7-refold-department-rosters-and-impossible-delays") { db in
            try db.execute(sql: "DELETE FROM proj_count; DELETE FROM proj_seen; DELETE FROM proj_roster; DELETE FROM proj_policy; DELETE FROM proj_cursor")
            _ = try foldNewEvents(db)
        }
    }

    /// Staff roles (`role` of `staff.active` and `roster.set`) get a stored column, and events
    /// dated more than ``Attribution/futureSkew`` after they were recorded become data problems
    /// (`problem/future-dated`) instead of usage: both change what a replay folds, so the
    /// projections are folded again from zero here, like v7. The column is filled from the signed
    /// bodies (a build before roles refused the field, so it is null everywhere in practice).
    static func registerStaffRoleMigration(_ m: inout DatabaseMigrator) {
        m.registerMigration("v9-staff-roles-and-future-dated-events") { db in
            try db.execute(sql: """
                ALTER TABLE event ADD COLUMN role TEXT;
                UPDATE event SET role = json_extract(CAST(body AS TEXT), '$.data.role') WHERE type IN ('staff.active', 'roster.set');
                ALTER TABLE proj_roster ADD COLUMN role TEXT;
                DELETE FROM proj_count; DELETE FROM proj_seen; DELETE FROM proj_roster; DELETE FROM proj_policy; DELETE FROM proj_cursor;
                """)
            _ = try foldNewEvents(db)
        }
    }

    static let factColumns = "node, seq, type, month, at_utc, dept, subject, channel, ok, delay_s, amount, recorded_at, system, role"

    static func fact(_ row: Row) -> Fact {
        Fact(node: row[0], seq: row[1], type: row[2], month: row[3], atUTC: row[4], dept: row[5],
             columns: ProjectionColumns(subject: row[6], channel: row[7], ok: row[8], delaySeconds: row[9], amount: row[10], system: row[12], role: row[13]),
             recordedAt: row[11])
    }

    /// The plan the projections use, as last computed, and the 410800 log head it was computed at.
    struct FoldingPlan: Sendable {
        /// 410800's head (seq and hash; empty when the store holds none of its events).
        let head: [UInt8]
        let plan: Plan
        let source: String
        /// SHA-256 of the plan's canonical JSON: what `proj_meta` remembers the projections by.
        let digest: String
        /// The compiled measures, or the plan's error (thrown by whoever folds).
        let measures: Result<MeasureSet, PlanError>
    }

    /// The last plan computed, for any store: it depends only on 410800's events, which its head
    /// (seq and chained hash) names, so a store whose 410800 head is the same has the same plan.
    static let foldingPlanCache = Mutex<FoldingPlan?>(nil)

    /// The plan, its digest and measures: read, parsed and hashed again only when 410800's log
    /// moved (a new indicator or the genesis), not in every ingest.
    static func foldingPlan(_ db: Database) throws -> FoldingPlan {
        var head: [UInt8] = []
        if let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, hash FROM log_head WHERE node = ?"), arguments: [PolicyAuthority.intermediateCourt]) {
            let seq: Int64 = row[0], hash: Data = row[1]
            head = withUnsafeBytes(of: seq.bigEndian) { Array($0) } + Array(hash)
        }
        if let cached = foldingPlanCache.withLock({ $0 }), cached.head == head { return cached }
        let (plan, source) = try readMeasuresPlan(db)
        let digest = Hex.encode(Array(SHA256.hash(data: CanonicalEncoder.encode(plan.json))))
        let measures: Result<MeasureSet, PlanError>
        do throws(PlanError) { measures = .success(try MeasureSet(plan: plan)) } catch { measures = .failure(error) }
        let computed = FoldingPlan(head: head, plan: plan, source: source, digest: digest, measures: measures)
        foldingPlanCache.withLock { $0 = computed }
        return computed
    }

    /// The plan whose formulas the projections use (see ``readMeasuresPlan(_:)``), and where it came from.
    static func measuresPlan(_ db: Database) throws -> (Plan, String) {
        let folding = try foldingPlan(db)
        return (folding.plan, folding.source)
    }

    /// The plan whose formulas the projections use: the signed genesis of 410800 when this
    /// store holds it (otherwise the file shipped with this build), with every indicator that
    /// 410800 defined since (`indicator.defined`, in seq order).
    static func readMeasuresPlan(_ db: Database) throws -> (Plan, String) {
        var plan = Plan.shipped
        var source = "the plan file shipped with this build (the signed genesis of 410800 is not in this store yet)"
        if let row = try Row.fetchOne(db, sql: "SELECT body FROM event WHERE node = ? AND seq = 1 AND type = 'plan.adopted'",
                                      arguments: [PolicyAuthority.intermediateCourt]) {
            let body: Data = row["body"]
            if let json = try? StrictJSONParser.parse(Array(body)), let planJSON = json["data"]?["plan"], let genesis = try? Plan(json: planJSON) {
                plan = genesis
                source = "signed genesis (node \(PolicyAuthority.intermediateCourt) seq 1)"
            }
        }
        // This runs in every ingest: the definitions were checked when 410800 signed them, so
        // they are read in one pass; one by one (skipping any that do not fit) only if that fails.
        let definitions = try Data.fetchAll(db, sql: "SELECT body FROM event WHERE node = ? AND type = 'indicator.defined' ORDER BY seq",
                                            arguments: [PolicyAuthority.intermediateCourt])
            .compactMap { (try? StrictJSONParser.parse(Array($0)))?["data"]?.objectValue }
        var defined = 0
        if !definitions.isEmpty {
            if let all = try? plan.adding(indicatorJSONs: definitions.map(IndicatorDefinition.planJSON)), (try? MeasureSet(plan: all)) != nil {
                plan = all
                defined = definitions.count
            } else {
                for data in definitions {
                    if let extended = try? IndicatorDefinition.extend(plan, with: data) { plan = extended; defined += 1 }
                }
            }
        }
        if defined > 0 { source += " + \(defined) indicator\(defined == 1 ? "" : "s") defined by policy" }
        return (plan, source)
    }

    /// The plan in force for new policy: the genesis and every indicator defined since.
    public func measuresPlan() throws -> Plan { try read { db in try Self.measuresPlan(db).0 } }

    /// Folds every event not yet folded into the projection tables, in one transaction.
    /// Returns the number of events folded.
    @discardableResult
    public func updateProjections(progress: (Int64, Int64) -> Void = { _, _ in }) throws -> Int64 {
        do {
            return try pool.write { db in try Self.foldNewEvents(db, progress: progress) }
        } catch let e as PlanError { throw StoreError(e.message) } catch let e as StoreError { throw e } catch {
            throw StoreError.from(error, path: path)
        }
    }

    /// The fold itself, inside the caller's transaction (the hub folds in the ingest's). `fresh`
    /// are the facts of events the caller has just stored, in seq order, all of one node: folded
    /// from memory when they are the next its cursor awaits, instead of read back.
    static func foldNewEvents(_ db: Database, fresh: [Fact] = [], progress: (Int64, Int64) -> Void = { _, _ in }) throws -> Int64 {
            // v7 folds before v9 adds the role columns; v9 folds again from zero, so v7 need not.
            guard try db.columns(in: "proj_roster").contains(where: { $0.name == "role" }) else { return 0 }

            let folding = try Self.foldingPlan(db)
            if try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM proj_meta WHERE key = 'plan'")) != folding.digest {
                // The formulas changed (the genesis arrived): rebuild from zero.
                try db.execute(sql: "DELETE FROM proj_count; DELETE FROM proj_seen; DELETE FROM proj_roster; DELETE FROM proj_policy; DELETE FROM proj_cursor")
                try db.execute(sql: "INSERT OR REPLACE INTO proj_meta (key, value) VALUES ('plan', ?)", arguments: [folding.digest])
            }
            let measures = try folding.measures.get()
            let total = try Int64.fetchOne(db.cachedStatement(sql: """
                SELECT COALESCE(SUM(h.seq - COALESCE(c.seq, 0)), 0) FROM log_head h LEFT JOIN proj_cursor c ON c.node = h.node
                """)) ?? 0
            var folded: Int64 = 0
            let writer = try ProjectionWriter(db)
            for node in try String.fetchAll(db.cachedStatement(sql: "SELECT node FROM log_head ORDER BY node")) {
                let start = try Int64.fetchOne(db.cachedStatement(sql: "SELECT seq FROM proj_cursor WHERE node = ?"), arguments: [node]) ?? 0
                var cursor = start
                if let first = fresh.first, let last = fresh.last, first.node == node, first.seq == cursor + 1 {
                    try writer.fold(fresh, measures: measures)
                    cursor = last.seq
                    folded += Int64(fresh.count)
                    progress(folded, total)
                }
                while true {
                    let rows = try Row.fetchAll(db.cachedStatement(sql: """
                        SELECT \(Self.factColumns) FROM event WHERE node = ? AND seq > ? ORDER BY seq LIMIT 20000
                        """), arguments: [node, cursor])
                    guard let last = rows.last else { break }
                    try writer.fold(rows.map(Self.fact), measures: measures)
                    cursor = last[1]
                    folded += Int64(rows.count)
                    progress(folded, total)
                }
                if cursor != start {
                    try db.execute(sql: "INSERT OR REPLACE INTO proj_cursor (node, seq) VALUES (?, ?)", arguments: [node, cursor])
                }
            }
            return folded
    }

    /// Writes a batch of facts into the projection tables: the batch's contributions gathered in
    /// memory first (``ContributionBatch``), then each counter written once, each distinct
    /// (key, subject) looked up once, with the key's columns bound once for all its subjects.
    struct ProjectionWriter {
        let addCount: Statement
        let addSeen: Statement
        let addRoster: Statement
        let addPolicy: Statement

        init(_ db: Database) throws {
            addCount = try db.cachedStatement(sql: """
                INSERT INTO proj_count (period, unit, measure, bucket, n) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (period, unit, measure, bucket) DO UPDATE SET n = n + excluded.n
                """)
            addSeen = try db.cachedStatement(sql: "INSERT OR IGNORE INTO proj_seen (period, unit, measure, subject) VALUES (?, ?, ?, ?)")
            addRoster = try db.cachedStatement(sql: """
                INSERT INTO proj_roster (node, seq, unit, at_utc, headcount, recorded_at, role) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            addPolicy = try db.cachedStatement(sql: "INSERT INTO proj_policy (node, seq) VALUES (?, ?)")
        }

        func fold(_ facts: [Fact], measures: MeasureSet) throws {
            var batch = ContributionBatch(measures: measures)
            // By index: `for f in facts` would copy each fact (a retain per string member).
            for i in facts.indices {
                if PolicyEvent.isPolicy(facts[i].type) {
                    try addPolicy.execute(arguments: [facts[i].node, facts[i].seq])
                } else {
                    batch.add(facts[i])
                }
            }
            for r in batch.rosters {
                try addRoster.execute(arguments: [r.node, r.seq, r.unit, r.atUTC, r.headcount, r.recordedAt, r.role])
            }
            let seen = addSeen.sqliteStatement
            for (packed, subjects) in batch.subjects {
                let k = batch.key(packed)
                sqlite3_reset(seen)
                SQLiteBinding.text(seen, 1, k.period); SQLiteBinding.text(seen, 2, k.unit); SQLiteBinding.text(seen, 3, k.measure)
                var added: Int64 = 0
                for subject in subjects {
                    SQLiteBinding.text(seen, 4, subject.text)
                    try SQLiteBinding.step(addSeen)
                    if sqlite3_changes(sqlite3_db_handle(seen)) > 0 { added += 1 }
                }
                if added > 0 { try add(k, added) }
            }
            for (packed, n) in batch.counts { try add(batch.key(packed), n) }
        }

        func add(_ k: CounterKey, _ n: Int64) throws {
            let s = addCount.sqliteStatement
            sqlite3_reset(s)
            SQLiteBinding.text(s, 1, k.period); SQLiteBinding.text(s, 2, k.unit); SQLiteBinding.text(s, 3, k.measure)
            sqlite3_bind_int64(s, 4, Int64(k.bucket)); sqlite3_bind_int64(s, 5, n)
            try SQLiteBinding.step(addCount)
        }
    }

    /// The policy events this store holds, folded in (node, seq) order onto the plan, and the
    /// rosters; from the projection tables, or only what was recorded by `asOf`.
    public func storedPolicy(recordedBy asOf: Int64? = nil) throws -> PolicyState {
        try read { db in
            let (plan, source) = try Self.measuresPlan(db)
            var policy = PolicyState(plan: plan, source: source)
            let rows = try Row.fetchAll(db, sql: """
                SELECT e.node, e.seq, e.type, e.at, e.recorded_at, e.body FROM proj_policy p CROSS JOIN event e ON e.node = p.node AND e.seq = p.seq
                WHERE e.recorded_at <= ? ORDER BY e.node, e.seq
                """, arguments: [asOf ?? Int64.max])
            for row in rows {
                let body: Data = row["body"]
                guard let json = try? StrictJSONParser.parse(Array(body)), let data = json["data"]?.objectValue,
                      let at = try? EventTime(parsing: row["at"]) else { continue }
                policy.fold(PolicyEvent(node: row["node"], seq: row["seq"], type: row["type"], at: at, recordedAt: row["recorded_at"], data: data))
            }
            return policy
        }
    }

    /// The rosters folded so far.
    public func storedRosters() throws -> [RosterEntry] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT node, seq, unit, at_utc, headcount, recorded_at, role FROM proj_roster ORDER BY node, seq").map {
                RosterEntry(node: $0[0], unit: $0[2], atUTC: $0[3], headcount: $0[4], seq: $0[1], recordedAt: $0[5], role: $0[6])
            }
        }
    }

    /// The counters of one period.
    public func storedCounts(period: String) throws -> PeriodCounts {
        try read { db in
            var counts: [CounterKey: Int64] = [:]
            let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT unit, measure, bucket, n FROM proj_count WHERE period = ?"), arguments: [period])
            while let row = try rows.next() {
                counts[CounterKey(period: period, unit: row[0], measure: row[1], bucket: row[2])] = row[3]
            }
            return PeriodCounts(period: period, counts: counts)
        }
    }

    /// The months (`2022-08`) that have any usage counted, in order.
    public func storedMonths() throws -> [String] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT period FROM proj_count WHERE period GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]' ORDER BY period")
        }
    }

    /// The digest of the stored (incremental) projections.
    public func storedDigest() throws -> String {
        try read { db in
            var counts: [CounterKey: Int64] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT period, unit, measure, bucket, n FROM proj_count")
            while let row = try rows.next() { counts[CounterKey(period: row[0], unit: row[1], measure: row[2], bucket: row[3])] = row[4] }
            let policy = try Row.fetchAll(db, sql: "SELECT node, seq FROM proj_policy").map { (node: $0[0] as String, seq: $0[1] as Int64) }
            let rosters = try Row.fetchAll(db, sql: "SELECT node, seq, unit, at_utc, headcount, recorded_at, role FROM proj_roster").map {
                RosterEntry(node: $0[0], unit: $0[2], atUTC: $0[3], headcount: $0[4], seq: $0[1], recordedAt: $0[5], role: $0[6])
            }
            return ProjectionDigest.compute(counts: counts, rosters: rosters, policy: policy)
        }
    }

    /// What a replay from zero produced.
    public struct Replay: Sendable {
        public var tally: Tally
        public var policy: PolicyState
        public var events: Int64
        public var digest: String
    }

    static func measureSet(_ plan: Plan) throws -> MeasureSet {
        do { return try MeasureSet(plan: plan) } catch { throw StoreError(error.message) }
    }

    /// Folds the logs of `nodes` into a fresh tally, in one read transaction.
    func replayGroup(_ nodes: [String], measures: MeasureSet, limit: Int64, seqLimits: [String: Int64]?, spill: DistinctSpill?) throws -> (Tally, [PolicyEvent], Int64) {
        try read { db in
            var tally = Tally(measures: measures, spill: spill)
            var policyEvents: [PolicyEvent] = []
            var count: Int64 = 0
            let bodyOf = try db.cachedStatement(sql: "SELECT body FROM event WHERE node = ? AND seq = ?")
            for node in nodes {
                let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT \(Self.factColumns) FROM event WHERE node = ? ORDER BY seq"),
                                               arguments: [node])
                while let row = try rows.next() {
                    count += 1
                    let f = Self.fact(row)
                    guard f.recordedAt <= limit, seqLimits.map({ f.seq <= ($0[f.node] ?? 0) }) ?? true else { continue }
                    if PolicyEvent.isPolicy(f.type) {
                        // The body is read only for the few policy events, by key.
                        let body = try Data.fetchOne(bodyOf, arguments: [f.node, f.seq]) ?? Data()
                        if let json = try? StrictJSONParser.parse(Array(body)), let data = json["data"]?.objectValue,
                           let at = try? EventTime(parsing: json["at"]?.stringValue ?? "") {
                            policyEvents.append(PolicyEvent(node: f.node, seq: f.seq, type: f.type, at: at, recordedAt: f.recordedAt, data: data))
                        }
                        continue
                    }
                    tally.fold(f)
                }
            }
            return (tally, policyEvents, count)
        }
    }

    /// Rebuilds every projection from zero in memory, from the stored columns (no signature
    /// checks; `audit verify` does those), optionally only from events recorded by `asOf`, or
    /// only from the events whose leaves lie in the transparency log's first `treeSize` leaves
    /// (the log as it stood at that checkpoint: each court's log up to a seq, no clock involved).
    /// Nodes are folded on all cores and the tallies merged (the fold is order-independent).
    ///
    /// A log of more than `distinctBudget / 16` events (an event adds at most about 16 distinct
    /// pairs: two measures, three periods, three units) writes its distinct subjects to spill
    /// files beside the database instead of holding them, and counts them afterwards at most
    /// `distinctBudget` pairs at a time (``Tally/resolveSpilled(budget:)``): the replay's memory
    /// then stays the same whatever the log's length, for one more write and read of those pairs.
    public func replay(recordedBy asOf: Int64? = nil, treeSize: Int64? = nil, distinctBudget: Int = Tally.defaultDistinctBudget,
                       progress: (Int64, Int64) -> Void = { _, _ in }) throws -> Replay {
        let seqLimits = try treeSize.map { try checkpointedPrefixes(treeSize: $0) }
        let (plan, source, heads) = try read { db in
            let (plan, source) = try Self.measuresPlan(db)
            let heads = try Row.fetchAll(db, sql: "SELECT node, seq FROM log_head").map { ($0[0] as String, $0[1] as Int64) }
            return (plan, source, heads)
        }
        let measures = try Self.measureSet(plan)
        // Balance the nodes over the cores by log length.
        let width = max(1, min(Parallel.width, heads.count))
        var groups = Array(repeating: [String](), count: width)
        var loads = Array(repeating: Int64(0), count: width)
        for (node, seq) in heads.sorted(by: { ($0.1, $0.0) > ($1.1, $1.0) }) {
            let i = loads.indices.min { loads[$0] < loads[$1] }!
            groups[i].append(node)
            loads[i] += seq
        }
        let total = heads.reduce(0) { $0 + $1.1 }
        let limit = asOf ?? Int64.max
        let nodeGroups = groups
        let spillDirectory: String? = try total > Int64(distinctBudget / 16) ? makeSpillDirectory() : nil
        defer { if let spillDirectory { try? FileManager.default.removeItem(atPath: spillDirectory) } }
        let spills = (0..<width).map { g in spillDirectory.map { DistinctSpill(directory: $0, name: "group-\(g)") } }
        let results = ResultBuffer<Result<(Tally, [PolicyEvent], Int64), any Error>>(count: width)
        DispatchQueue.concurrentPerform(iterations: width) { g in
            do {
                results.set(g, .success(try self.replayGroup(nodeGroups[g], measures: measures, limit: limit, seqLimits: seqLimits, spill: spills[g])))
            } catch {
                results.set(g, .failure(error))
            }
        }
        var tally = Tally(measures: measures)
        var policyEvents: [PolicyEvent] = []
        var count: Int64 = 0
        for g in 0..<width {
            let (t, p, n) = try results.get(g).get()
            tally.merge(t)
            policyEvents += p
            count += n
        }
        do { try tally.resolveSpilled(budget: distinctBudget) } catch { throw StoreError(error.message) }
        progress(total, total)
        var policy = PolicyState(plan: plan, source: source)
        policyEvents.sort { ($0.node, $0.seq) < ($1.node, $1.seq) }
        for e in policyEvents { policy.fold(e) }
        let digest = ProjectionDigest.compute(counts: tally.counts, rosters: tally.rosters, policy: policyEvents.map { ($0.node, $0.seq) })
        return Replay(tally: tally, policy: policy, events: count, digest: digest)
    }

    /// A fresh directory for a replay's spill files: beside the database (a court's disk, not a
    /// temporary file system in memory), or the temporary directory when that is read-only.
    func makeSpillDirectory() throws -> String {
        let name = "replay-spill-\(getpid())-\(UUID().uuidString.prefix(8))"
        let beside = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(".\(name)").path
        if (try? FileManager.default.createDirectory(atPath: beside, withIntermediateDirectories: false)) != nil { return beside }
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent(name).path
        do {
            try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        } catch {
            throw StoreError("replay: cannot create a directory for its spill files beside \(path) or in \(FileManager.default.temporaryDirectory.path): make one of them writable")
        }
        return temporary
    }
}
