import CourtLog
import Foundation

/// A batch of facts' contributions gathered in memory before a store writes them: each counter
/// once with its sum, each distinct counter's subjects once, the rosters in order. The same
/// enumeration as ``Tally`` (``Attribution/forEachContribution(of:measures:roster:counter:)``),
/// with the same packed integer keys, so a batch costs dictionary updates, not strings per event.
///
/// A distinct counter's subjects are new to the batch, not to the store: the store adds 1 per
/// subject it did not hold yet.
public struct ContributionBatch: Sendable {
    public let measures: MeasureSet
    /// Plain and timely counters: packed key → events.
    public private(set) var counts: [UInt64: Int64] = [:]
    /// Distinct counters: packed key → the subjects the batch names.
    public private(set) var subjects: [UInt64: Set<Subject>] = [:]
    public private(set) var rosters: [RosterEntry] = []
    var unitIndex: [String: Int] = [:]
    var unitNames: [String] = []

    public init(measures: MeasureSet) { self.measures = measures }

    /// No counter, subject or roster yet.
    public var isEmpty: Bool { counts.isEmpty && subjects.isEmpty && rosters.isEmpty }

    mutating func unit(_ name: String) -> Int {
        if let i = unitIndex[name] { return i }
        unitNames.append(name)
        unitIndex[name] = unitNames.count - 1
        return unitNames.count - 1
    }

    /// Adds a usage fact's contributions (policy facts add none).
    public mutating func add(_ f: Fact) {
        guard Attribution.isFutureDated(f) || f.type == "roster.set" || measures.indexedByType[f.type] != nil else { return }
        let court = unit(f.node), city = unit(Attribution.city)
        let dept = f.node == PolicyAuthority.intermediateCourt ? f.dept.map { unit($0) } : nil
        let subject = f.columns.subject.map(Subject.init)
        var counts = self.counts, subjects = self.subjects, rosters = self.rosters
        self.counts = [:]; self.subjects = [:]; self.rosters = []
        defer { self.counts = counts; self.subjects = subjects; self.rosters = rosters }
        Attribution.forEachContribution(of: f, measures: measures, roster: { rosters.append($0) }) { p, role, index, bucket, distinct in
            let u = role == .court ? court : role == .city ? city : (dept ?? court)
            let key = Tally.pack(period: p, unit: u, measure: index, bucket: bucket)
            if distinct {
                guard let subject else { return }
                subjects[key, default: []].insert(subject)
            } else {
                counts[key, default: 0] += 1
            }
        }
    }

    /// A subject compared and hashed by its UTF-8 bytes, as SQLite's key compares it: no
    /// Unicode normalisation per insert (case numbers are Chinese text).
    public struct Subject: Hashable, Sendable {
        public let text: String

        public static func == (a: Subject, b: Subject) -> Bool {
            // The bytes compared at once, in place (a generic `elementsEqual` went byte by byte
            // through the UTF-8 view).
            let same = a.text.utf8.withContiguousStorageIfAvailable { p in
                b.text.utf8.withContiguousStorageIfAvailable { q in
                    p.count == q.count && (p.isEmpty || memcmp(p.baseAddress!, q.baseAddress!, p.count) == 0)
                }
            }
            return (same ?? nil) ?? a.text.utf8.elementsEqual(b.text.utf8)
        }

        public func hash(into hasher: inout Hasher) {
            // In place when the text is contiguous (always, for text read from a line): no copy.
            if text.utf8.withContiguousStorageIfAvailable({ hasher.combine(bytes: UnsafeRawBufferPointer($0)) }) != nil { return }
            var text = text
            text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
    }

    /// The readable key of a packed one.
    public func key(_ k: UInt64) -> CounterKey {
        let period = Int(k >> 44), unit = Int((k >> 32) & 0xFFF), measure = Int((k >> 20) & 0xFFF), bucket = Int(k & 0xFFFFF) - 1
        return CounterKey(period: Attribution.periodName(period), unit: unitNames[unit], measure: measures.all[measure].name, bucket: bucket)
    }
}
