import CourtLog

/// The usage side of the projections, as a pure in-memory fold: counters, distinct sets and
/// rosters. Folding the same facts in any order gives the same tally.
///
/// Keys are packed integers (period code, unit, measure, bucket) so that a replay of millions
/// of events spends its time counting, not hashing strings. Distinct sets hold a 64-bit keyed
/// hash of each subject's UTF-8 bytes, not the string: a tenth of the memory, and no Unicode
/// normalisation per insert. Two different subjects in one set share a hash with probability
/// about n²/2⁶⁵ (one in 36 million for a million case numbers in one period), and the key is
/// random per process, so no one can choose case numbers that collide.
///
/// A tally given a ``DistinctSpill`` keeps no distinct sets: it writes each (key, subject) pair
/// to the spill, and ``resolveSpilled(budget:)`` counts them afterwards a bounded number at a
/// time, so a replay's memory does not grow with the log's length.
public struct Tally: Sendable {
    var packed: [UInt64: Int64] = [:]
    var seen: [UInt64: Set<UInt64>] = [:]
    /// Where this fold writes its distinct pairs, when it spills.
    let spill: DistinctSpill?
    /// Spills to count, with the unit names their keys' unit indices refer to (a merged tally's
    /// own names; nil for this tally's own spill, whose names are ``unitNames``).
    var spilled: [(spill: DistinctSpill, unitNames: [String]?)] = []
    var unitIndex: [String: Int] = [:]
    var unitNames: [String] = []
    public private(set) var rosters: [RosterEntry] = []
    public let measures: MeasureSet

    /// A tally holding its distinct sets in memory, or writing them to `spill`.
    public init(measures: MeasureSet, spill: DistinctSpill? = nil) {
        self.measures = measures
        self.spill = spill
        if let spill { spilled = [(spill, nil)] }
    }

    @inline(__always)
    static func pack(period: Int, unit: Int, measure: Int, bucket: Int) -> UInt64 {
        UInt64(period) << 44 | UInt64(unit) << 32 | UInt64(measure) << 20 | UInt64(bucket + 1)
    }

    mutating func unit(_ name: String) -> Int {
        if let i = unitIndex[name] { return i }
        unitNames.append(name)
        unitIndex[name] = unitNames.count - 1
        return unitNames.count - 1
    }

    /// `(state, fact) -> state`: what ``Attribution/forEachContribution(of:measures:roster:counter:)``
    /// enumerates, the store's fold's own enumeration.
    public mutating func fold(_ f: Fact) {
        guard Attribution.isFutureDated(f) || f.type == "roster.set" || measures.indexedByType[f.type] != nil else { return }
        let court = unit(f.node), city = unit(Attribution.city)
        let dept = f.node == PolicyAuthority.intermediateCourt ? f.dept.map { unit($0) } : nil
        let subject = f.columns.subject.map(Self.subjectKey)
        var packed = self.packed, seen = self.seen, rosters = self.rosters
        let spill = self.spill
        self.packed = [:]; self.seen = [:]; self.rosters = []
        defer { self.packed = packed; self.seen = seen; self.rosters = rosters }
        Attribution.forEachContribution(of: f, measures: measures, roster: { rosters.append($0) }) { p, role, index, bucket, distinct in
            let u = role == .court ? court : role == .city ? city : (dept ?? court)
            let key = Self.pack(period: p, unit: u, measure: index, bucket: bucket)
            if distinct {
                guard let subject else { return }
                if let spill { spill.append(key: key, subject: subject); return }
                if seen[key, default: []].insert(subject).inserted { packed[key, default: 0] += 1 }
            } else {
                packed[key, default: 0] += 1
            }
        }
    }

    /// A subject's 64-bit key: its UTF-8 bytes hashed with the process's random seed.
    static func subjectKey(_ subject: String) -> UInt64 {
        var hasher = Hasher()
        var text = subject
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }

    /// Adds another tally of disjoint events (another set of nodes) to this one. Distinct
    /// counts become the size of the union of both sets, so merging equals folding all facts.
    public mutating func merge(_ other: Tally) {
        var remap: [Int] = []
        for name in other.unitNames { remap.append(unit(name)) }
        func translate(_ k: UInt64) -> UInt64 {
            let u = Int((k >> 32) & 0xFFF)
            return (k & ~(UInt64(0xFFF) << 32)) | UInt64(remap[u]) << 32
        }
        for (k, set) in other.seen {
            let key = translate(k)
            seen[key, default: []].formUnion(set)
            packed[key] = Int64(seen[key]!.count)
        }
        for (k, v) in other.packed where other.seen[k] == nil {
            packed[translate(k), default: 0] += v
        }
        spilled += other.spilled.map { ($0.spill, $0.unitNames ?? other.unitNames) }
        rosters += other.rosters
    }

    /// The largest number of (key, subject) pairs ``resolveSpilled(budget:)`` holds at once by
    /// default: about 20 MB of sets.
    public static let defaultDistinctBudget = 1 << 20

    /// Counts the distinct subjects written to the spills (this tally's and those merged into
    /// it) into the counters, one partition file at a time, and within a file at most `budget`
    /// pairs at a time (a file with more is read again for each further slice of subjects).
    /// Each subject lies in exactly one partition and one slice, so the counts add up.
    /// Removes the spill files.
    public mutating func resolveSpilled(budget: Int = Tally.defaultDistinctBudget) throws(SpillError) {
        guard !spilled.isEmpty else { return }
        let spills = spilled
        defer { for s in spills { s.spill.remove() } }
        for s in spills { try s.spill.flush() }
        var remaps: [[Int]] = []
        for s in spills {
            var remap: [Int] = []
            for name in s.unitNames ?? unitNames { remap.append(unit(name)) }
            remaps.append(remap)
        }
        for p in 0..<DistinctSpill.partitions {
            let pairs = spills.reduce(0) { $0 + $1.spill.pairs(in: p) }
            let slices = UInt64(pairs <= budget ? 1 : (pairs - 1) / max(1, budget) + 1)
            for slice in 0..<slices {
                var sets: [UInt64: Set<UInt64>] = [:]
                for (s, remap) in zip(spills, remaps) {
                    try s.spill.forEachPair(in: p) { k, subject in
                        guard slices == 1 || (subject >> 32) % slices == slice else { return }
                        let u = Int((k >> 32) & 0xFFF)
                        let key = (k & ~(UInt64(0xFFF) << 32)) | UInt64(remap[u]) << 32
                        sets[key, default: []].insert(subject)
                    }
                }
                for (k, set) in sets { packed[k, default: 0] += Int64(set.count) }
            }
        }
        spilled = []
    }

    /// Every counter, by readable key.
    public var counts: [CounterKey: Int64] {
        var out: [CounterKey: Int64] = [:]
        out.reserveCapacity(packed.count)
        for (k, v) in packed { out[key(k)] = v }
        return out
    }

    func key(_ k: UInt64) -> CounterKey {
        let period = Int(k >> 44), unit = Int((k >> 32) & 0xFFF), measure = Int((k >> 20) & 0xFFF), bucket = Int(k & 0xFFFFF) - 1
        return CounterKey(period: Attribution.periodName(period), unit: unitNames[unit], measure: measures.all[measure].name, bucket: bucket)
    }

    /// The counts of one period, for the evaluators.
    public func counts(of period: String) -> PeriodCounts {
        var out: [CounterKey: Int64] = [:]
        for (k, v) in packed {
            let key = key(k)
            if key.period == period { out[key] = v }
        }
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

    /// No usage was counted in the period (rosters alone do not count).
    public var isEmpty: Bool { counts.isEmpty }

    /// The count of a plain measure.
    public func count(unit: String, measure: String) -> Int64 {
        byUnitMeasure["\(unit)|\(measure)"]?.reduce(0) { $0 + $1.n } ?? 0
    }

    /// The count of a timely measure within `limitHours`.
    public func timely(unit: String, measure: String, limitHours: Int64) -> Int64 {
        byUnitMeasure["\(unit)|\(measure)"]?.filter { Int64($0.bucket) <= limitHours }.reduce(0) { $0 + $1.n } ?? 0
    }
}
