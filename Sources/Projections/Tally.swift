import CourtLog

/// The usage side of the projections, as a pure in-memory fold: counters, distinct sets and
/// rosters. Folding the same facts in any order gives the same tally.
public struct Tally: Sendable {
    public private(set) var counts: [CounterKey: Int64] = [:]
    var seen: [CounterKey: Set<String>] = [:]
    public private(set) var rosters: [RosterEntry] = []
    public let measures: MeasureSet

    public init(measures: MeasureSet) { self.measures = measures }

    /// `(state, fact) -> state`.
    public mutating func fold(_ f: Fact) {
        for c in Attribution.contributions(of: f, measures: measures) { apply(c) }
    }

    public mutating func apply(_ c: Contribution) {
        switch c {
        case .count(let key): counts[key, default: 0] += 1
        case .distinct(let key, let subject):
            if seen[key, default: []].insert(subject).inserted { counts[key, default: 0] += 1 }
        case .roster(let r): rosters.append(r)
        }
    }

    /// The counts of one period, for the evaluators.
    public func counts(of period: String) -> PeriodCounts {
        var out: [CounterKey: Int64] = [:]
        for (k, v) in counts where k.period == period { out[k] = v }
        return PeriodCounts(period: period, counts: out)
    }
}

/// The counters of one period: what every query of that period needs.
public struct PeriodCounts: Sendable {
    public let period: String
    let counts: [CounterKey: Int64]
    private let byUnitMeasure: [String: [(bucket: Int, n: Int64)]]

    public init(period: String, counts: [CounterKey: Int64]) {
        self.period = period
        self.counts = counts
        var index: [String: [(bucket: Int, n: Int64)]] = [:]
        for (k, v) in counts { index["\(k.unit)|\(k.measure)", default: []].append((k.bucket, v)) }
        byUnitMeasure = index
    }

    /// The count of a plain measure.
    public func count(unit: String, measure: String) -> Int64 {
        byUnitMeasure["\(unit)|\(measure)"]?.reduce(0) { $0 + $1.n } ?? 0
    }

    /// The count of a timely measure within `limitHours`.
    public func timely(unit: String, measure: String, limitHours: Int64) -> Int64 {
        byUnitMeasure["\(unit)|\(measure)"]?.filter { Int64($0.bucket) <= limitHours }.reduce(0) { $0 + $1.n } ?? 0
    }
}
