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

    public init(node: String, unit: String, atUTC: Int64, headcount: Int64, seq: Int64, recordedAt: Int64) {
        self.node = node
        self.unit = unit
        self.atUTC = atUTC
        self.headcount = headcount
        self.seq = seq
        self.recordedAt = recordedAt
    }
}

/// What one usage fact adds to the projections. The same list is applied by the in-memory
/// fold (audit replay) and by the store's incremental update, so the two cannot differ.
public enum Contribution: Sendable, Equatable {
    case count(CounterKey)
    /// Counts `subject` once per key.
    case distinct(CounterKey, subject: String)
    case roster(RosterEntry)
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

    /// The month, half-year and year of a `yyyymm` month.
    public static func periods(ofMonth m: Int) -> [String] {
        let y = m / 100, mm = m % 100
        let year = String(y)
        return ["\(year)-\(mm < 10 ? "0" : "")\(mm)", "\(year)-H\(mm <= 6 ? 1 : 2)", year]
    }

    public static func contributions(of f: Fact, measures: MeasureSet) -> [Contribution] {
        if f.type == "roster.set", let headcount = f.columns.amount {
            let unit = f.node == PolicyAuthority.intermediateCourt ? (f.dept ?? f.node) : f.node
            return [.roster(RosterEntry(node: f.node, unit: unit, atUTC: f.atUTC, headcount: headcount, seq: f.seq, recordedAt: f.recordedAt))]
        }
        guard let candidates = measures.byType[f.type] else { return [] }
        let matched = candidates.filter { $0.matches(f) }
        guard !matched.isEmpty else { return [] }
        var out: [Contribution] = []
        out.reserveCapacity(matched.count * 9)
        let units = units(of: f), periods = periods(ofMonth: f.month)
        for m in matched {
            let bucket: Int
            if m.count == .timely {
                let delay = f.columns.delaySeconds ?? 0
                bucket = delay <= 0 ? 0 : Int((delay + 3599) / 3600)
            } else {
                bucket = -1
            }
            for p in periods {
                for u in units {
                    let key = CounterKey(period: p, unit: u, measure: m.name, bucket: bucket)
                    if m.count == .distinct {
                        guard let subject = f.columns.subject else { continue }
                        out.append(.distinct(key, subject: subject))
                    } else {
                        out.append(.count(key))
                    }
                }
            }
        }
        return out
    }
}
