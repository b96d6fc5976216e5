import CourtLog

/// Where a count is kept: a period, a unit and a measure (and, for 及时 measures, the hours
/// bucket of the decision delay, so that any review limit can be applied later).
public struct CounterKey: Sendable, Hashable, Comparable {
    public let period: String
    public let unit: String
    public let measure: String
    /// `ceil(delay / 1 h)` for timely measures; −1 otherwise.
    public let bucket: Int

    public init(period: String, unit: String, measure: String, bucket: Int = -1) {
        self.period = period
        self.unit = unit
        self.measure = measure
        self.bucket = bucket
    }

    public static func < (a: CounterKey, b: CounterKey) -> Bool {
        (a.period, a.unit, a.measure, a.bucket) < (b.period, b.unit, b.measure, b.bucket)
    }
}

/// A roster in force from `atUTC` for a unit.
public struct RosterEntry: Sendable, Hashable {
    public let node: String
    public let unit: String
    public let atUTC: Int64
    public let headcount: Int64
    public let seq: Int64
    public let recordedAt: Int64
    /// A role roster counts the staff of one role of the unit (`judge`, `judge_assistant`,
    /// `clerk`, `other`); nil is the unit's whole roster.
    public let role: String?

    public init(node: String, unit: String, atUTC: Int64, headcount: Int64, seq: Int64, recordedAt: Int64, role: String? = nil) {
        self.node = node
        self.unit = unit
        self.atUTC = atUTC
        self.headcount = headcount
        self.seq = seq
        self.recordedAt = recordedAt
        self.role = role
    }
}

/// What one usage fact adds to the projections, with readable keys: the list
/// ``Attribution/forEachContribution(of:measures:roster:counter:)`` enumerates, as strings.
public enum Contribution: Sendable, Equatable {
    case count(CounterKey)
    /// Counts `subject` once per key.
    case distinct(CounterKey, subject: String)
    case roster(RosterEntry)
}

/// Which of a fact's units a counter is kept for: its court, the intermediate court's
/// department it names (only for 410800's facts with a `dept`), or the whole city.
public enum UnitRole: Sendable, Equatable {
    case court, department, city

    /// The unit's name for fact `f`.
    @inline(__always)
    public func unit(of f: Fact) -> String {
        switch self {
        case .court: return f.node
        case .department: return f.dept ?? f.node
        case .city: return Attribution.city
        }
    }
}

/// The units and periods a fact belongs to, and its contributions.
public enum Attribution {
    /// The unit every court's facts also count for: the whole city (全市).
    public static let city = "city"

    /// The court, the intermediate court's department when it names one, and the city.
    public static func units(of f: Fact) -> [String] {
        if f.node == PolicyAuthority.intermediateCourt, let dept = f.dept { return [f.node, dept, city] }
        return [f.node, city]
    }

    /// Period codes of a `yyyymm` month: the month itself, `yyyy*100+20+h` for its half-year
    /// and `yyyy*100` for its year.
    @inline(__always)
    public static func periodCodes(ofMonth m: Int) -> (Int, Int, Int) {
        let y = m / 100
        return (m, y * 100 + 20 + (m % 100 <= 6 ? 1 : 2), y * 100)
    }

    /// The written period of a code: `2022-09`, `2022-H2`, `2022`.
    public static func periodName(_ code: Int) -> String {
        let y = code / 100, r = code % 100
        if r == 0 { return String(y) }
        if r > 20 { return "\(y)-H\(r - 20)" }
        return "\(y)-\(r < 10 ? "0" : "")\(r)"
    }

    /// The month, half-year and year of a `yyyymm` month.
    public static func periods(ofMonth m: Int) -> [String] {
        let c = periodCodes(ofMonth: m)
        return [periodName(c.0), periodName(c.1), periodName(c.2)]
    }

    /// How far (seconds) an event's `at` may lie after the time its store recorded it before it
    /// is a data problem rather than usage: clock skew between a court's machines and the hub.
    /// Node import and append refuse the same (`EventRecordReader.futureSkew`).
    public static let futureSkew: Int64 = 600

    /// The event claims to have happened after it was recorded (beyond ``futureSkew``). Decided
    /// on the stored `recorded_at` (on the hub: the hub's clock when it first stored the event),
    /// which never changes afterwards, so a replay of the store decides the same. A record time
    /// of 0 means unknown (events stored from export files): nothing is checked.
    @inline(__always)
    public static func isFutureDated(_ f: Fact) -> Bool {
        f.recordedAt > 0 && f.atUTC > f.recordedAt + futureSkew
    }

    /// The largest review-time bucket: delays beyond about 114 years share it (no review limit
    /// is that long), which keeps the bucket inside its 20 bits of a packed counter key.
    public static let maxBucket = 999_999

    /// The review-time bucket of a delay: whole hours, rounded up, at most ``maxBucket``.
    @inline(__always)
    static func bucket(_ delay: Int64?) -> Int {
        let d = delay ?? 0
        return d <= 0 ? 0 : Int(min((d + 3599) / 3600, Int64(maxBucket)))
    }

    /// Calls `visit(measureIndex, bucket)` for every measure the fact matches, in measure order.
    /// The one definition of what counts, shared by the in-memory fold and the store.
    @inline(__always)
    public static func visit(_ f: Fact, measures: MeasureSet, _ visit: (Int, Measure, Int) -> Void) {
        guard let candidates = measures.indexedByType[f.type] else { return }
        // A decision dated before its submission is impossible: it counts as a data problem
        // and in no indicator (neither timely nor decided).
        let impossible = (f.columns.delaySeconds ?? 0) < 0
        for (index, m) in candidates where m.isProblem == impossible && m.matches(f) {
            visit(index, m, m.count == .timely ? bucket(f.columns.delaySeconds) : -1)
        }
    }

    /// The roster a `roster.set` fact sets, if it is one. Its unit is the court (no `dept`), an
    /// intermediate-court department (its slug: a unit of the plan), or a grassroots court's
    /// department, `<court>/<dept>` (part of that court's headcount, not a unit of the plan).
    public static func roster(of f: Fact) -> RosterEntry? {
        guard f.type == "roster.set", let headcount = f.columns.amount else { return nil }
        return RosterEntry(node: f.node, unit: rosterUnit(node: f.node, dept: f.dept), atUTC: f.atUTC, headcount: headcount, seq: f.seq,
                           recordedAt: f.recordedAt, role: f.columns.role)
    }

    /// The unit a roster of `node` with `dept` is kept under (see ``roster(of:)``).
    public static func rosterUnit(node: String, dept: String?) -> String {
        guard let dept else { return node }
        return node == PolicyAuthority.intermediateCourt ? dept : "\(node)/\(dept)"
    }

    /// The one enumeration of what a fact adds, used by the in-memory fold (``Tally``) and by the
    /// store's incremental fold alike, so that the two cannot count differently: `roster` for a
    /// `roster.set` fact, else `counter(period code, unit, measure index, bucket, distinct)` for
    /// every counter it adds to (a distinct counter counts the fact's subject once per key, and a
    /// fact without a subject adds nothing to it).
    @inline(__always)
    public static func forEachContribution(of f: Fact, measures: MeasureSet, roster: (RosterEntry) -> Void,
                                           counter: (_ period: Int, _ unit: UnitRole, _ measure: Int, _ bucket: Int, _ distinct: Bool) -> Void) {
        let periods = periodCodes(ofMonth: f.month)
        let department = f.node == PolicyAuthority.intermediateCourt && f.dept != nil
        if isFutureDated(f) {
            // Counted only as a problem of the period it claims, in no indicator or roster.
            for p in [periods.0, periods.1, periods.2] {
                counter(p, .court, measures.futureDatedIndex, -1, false)
                if department { counter(p, .department, measures.futureDatedIndex, -1, false) }
                counter(p, .city, measures.futureDatedIndex, -1, false)
            }
            return
        }
        if let r = Self.roster(of: f) { roster(r); return }
        let hasSubject = f.columns.subject != nil
        visit(f, measures: measures) { index, m, bucket in
            let distinct = m.count == .distinct
            if distinct && !hasSubject { return }
            for p in [periods.0, periods.1, periods.2] {
                counter(p, .court, index, bucket, distinct)
                if department { counter(p, .department, index, bucket, distinct) }
                counter(p, .city, index, bucket, distinct)
            }
        }
    }

    /// The same enumeration with readable keys (for tests and tools; the folds use the one above).
    public static func contributions(of f: Fact, measures: MeasureSet) -> [Contribution] {
        var out: [Contribution] = []
        forEachContribution(of: f, measures: measures, roster: { out.append(.roster($0)) }) { p, u, m, bucket, distinct in
            let key = CounterKey(period: periodName(p), unit: u.unit(of: f), measure: measures.all[m].name, bucket: bucket)
            out.append(distinct ? .distinct(key, subject: f.columns.subject ?? "") : .count(key))
        }
        return out
    }
}
