import CanonicalJSON
import CourtLog
import CourtPlan

/// 考核 scores (推进要求1, 2): each lead department's standard per indicator, the office's
/// deductions and external weight, and the business lines' own scores, all from policy events.
/// Every figure is an integer in hundredths of a point.
public struct ScoreStandards: Sendable {
    public struct Standard: Sendable, Equatable {
        public let lead: String
        public let indicator: String
        public let weight: Int64
        public let scoring: String
        /// (minimum per 10,000, percent of the weight), highest minimum first.
        public let bands: [(min: Int64, percent: Int64)]
        public let document: String

        public static func == (a: Standard, b: Standard) -> Bool {
            a.lead == b.lead && a.indicator == b.indicator && a.weight == b.weight && a.scoring == b.scoring
                && a.bands.map(\.min) == b.bands.map(\.min) && a.bands.map(\.percent) == b.bands.map(\.percent) && a.document == b.document
        }
    }
    public struct Rules: Sendable, Equatable {
        public let lateExplanation: Int64
        public let missingExplanation: Int64
        public let externalPer10k: Int64
        public let document: String
    }

    var standards: [String: [PolicyState.Dated<Standard>]] = [:]
    var rules: [PolicyState.Dated<Rules>] = []
    /// `unit|period` → line → (score, order); the latest record per line stands.
    var external: [String: [String: (Int64, Int64)]] = [:]

    /// Parses `MIN:PERCENT` bands; nil when one is malformed.
    public static func bands(_ list: [String]) -> [(min: Int64, percent: Int64)]? {
        var out: [(min: Int64, percent: Int64)] = []
        for b in list {
            let parts = b.split(separator: ":")
            guard parts.count == 2, let m = Int64(parts[0]), let p = Int64(parts[1]), m >= 0, (0...100).contains(p) else { return nil }
            out.append((m, p))
        }
        return out.sorted { $0.min > $1.min }
    }

    public init(policy: PolicyState) {
        for e in policy.events where e.node == PolicyAuthority.intermediateCourt {
            let d = e.data
            let s: (String) -> String? = { d[$0]?.stringValue }
            let eff = s("effective").flatMap { try? CivilDate(parsing: $0) }
            switch e.type {
            case "score_standard.set":
                guard let eff, let lead = s("lead"), let ind = s("indicator"), let weight = d["weight"]?.intValue, let scoring = s("scoring"),
                      let bands = Self.bands(d["bands"]?.arrayValue?.compactMap(\.stringValue) ?? []) else { continue }
                let st = Standard(lead: lead, indicator: ind, weight: weight, scoring: scoring, bands: bands, document: s("document") ?? "")
                standards[ind, default: []].append(.init(effective: eff, value: st, document: st.document, node: e.node, seq: e.seq))
            case "score_rules.set":
                guard let eff, let late = d["late_explanation"]?.intValue, let missing = d["missing_explanation"]?.intValue,
                      let w = d["external_per_10k"]?.intValue else { continue }
                rules.append(.init(effective: eff, value: Rules(lateExplanation: late, missingExplanation: missing, externalPer10k: min(w, 10_000),
                                                                document: s("document") ?? ""), document: s("document") ?? "", node: e.node, seq: e.seq))
            case "external_score.recorded":
                guard let unit = s("unit"), let period = s("period"), let line = s("line"), let score = d["score"]?.intValue else { continue }
                let key = "\(unit)|\(period)"
                if let old = external[key]?[line], old.1 > e.seq { continue }
                external[key, default: [:]][line] = (min(score, 10_000), e.seq)
            default:
                continue
            }
        }
    }

    public func standard(_ indicator: String, on day: CivilDate) -> Standard? { PolicyState.inForce(standards[indicator], on: day)?.value }
    public func rules(on day: CivilDate) -> Rules? { PolicyState.inForce(rules, on: day)?.value }
    /// The business lines' scores of a unit in a period: their mean when several lines scored it.
    public func externalScore(unit: String, period: String) -> Int64? {
        guard let lines = external["\(unit)|\(period)"], !lines.isEmpty else { return nil }
        return lines.values.map(\.0).reduce(0, +) / Int64(lines.count)
    }
}

/// One unit's score in a period.
public struct UnitScore: Sendable, Equatable {
    public struct Part: Sendable, Equatable {
        public let indicator: String
        public let indicatorName: String
        public let weight: Int64
        /// Hundredths of a point earned.
        public let earned: Int64
        public let basis: Basis
        /// How it was scored, as the query answers say it (`met`, `rank 2/10`, `≥ 90.00% → 50%`).
        public var how: String { basis.text }
    }

    /// How a part was scored: met or missed, a band of values, or a rank among the grassroots courts.
    public enum Basis: Sendable, Equatable {
        case met, missed, belowEveryBand
        /// A band reached: its lower bound (per 10,000) and the share of the weight it earns (percent).
        case band(minPer10k: Int64, percent: Int64)
        case rank(Int, of: Int64)

        public var text: String {
            switch self {
            case .met: "met"
            case .missed: "missed"
            case .belowEveryBand: "below every band"
            case let .band(min, percent): "≥ \(Projection.points(min))% → \(percent)%"
            case let .rank(rank, n): "rank \(rank)/\(n)"
            }
        }

        public var chinese: String {
            switch self {
            case .met: "达标"
            case .missed: "未达标"
            case .belowEveryBand: "低于各档"
            case let .band(min, percent): "分档 ≥ \(Projection.points(min))% 得 \(percent)%"
            case let .rank(rank, n): "排名 \(rank)/\(n)"
            }
        }
    }
    public let period: String
    public let unit: String
    public let unitName: String
    public let unitKind: String
    public let parts: [Part]
    /// Hundredths of a point deducted for late or missing explanations.
    public let deductions: Int64
    public let deductionNotes: [String]
    /// Σ earned − deductions (not below 0), hundredths of a point.
    public let internalPoints: Int64
    /// The most the unit could earn: Σ weights × 100.
    public let possible: Int64
    /// The internal score on a 100 scale, hundredths: internalPoints × 100 / possible (floor).
    public let internalScore: Int64
    public let externalScore: Int64?
    /// internal and external combined by the office's weight, hundredths of a point out of 100.
    public let total: Int64
    /// Rank among units of the same kind (courts, departments), 1 the highest; ties share.
    public internal(set) var rank: Int = 0
    public internal(set) var ranked: Int = 0
}

extension Projection {
    /// Scores of every court and every 中院 department with at least one scored indicator, ranked
    /// within their kind. Explanation deductions are judged on `day`.
    public func scores(period: Period, counts: PeriodCounts, on day: CivilDate) -> [UnitScore] {
        let standards = ScoreStandards(policy: policy)
        let last = period.lastDay
        let rules = standards.rules(on: last)
        let loop = policy.loop
        let misses = accountability(period: period, counts: counts)
        var parts: [String: [UnitScore.Part]] = [:]
        var order: [String] = []
        for ind in policy.indicators(on: last) {
            guard let st = standards.standard(ind.slug, on: last) else { continue }
            let responsible = policy.expand(policy.assignment(ind.slug, on: last)?.value.responsible ?? ind.responsible)
            let ranks = st.scoring == "rank" ? grassrootsRanks(ind, counts: counts, period: period) : [:]
            for unit in responsible {
                let r = row(ind, unit: unit, counts: counts, period: period)
                let full = st.weight * 100
                let earned: Int64
                let how: UnitScore.Basis
                if st.scoring == "rank", let rank = ranks[unit] {
                    let n = Int64(ranks.count)
                    earned = full * (n - Int64(rank) + 1) / n
                    how = .rank(rank, of: n)
                } else if st.scoring == "bands", r.status != .dataProblem, let v = r.valuePer10k {
                    let band = st.bands.first { v >= $0.min }
                    earned = st.weight * (band?.percent ?? 0)
                    how = band.map { .band(minPer10k: $0.min, percent: $0.percent) } ?? .belowEveryBand
                } else if r.status == .met || r.status == .missed {
                    earned = r.status == .met ? full : 0
                    how = r.status == .met ? .met : .missed
                } else {
                    continue
                }
                if parts[unit] == nil { order.append(unit) }
                parts[unit, default: []].append(.init(indicator: ind.slug, indicatorName: ind.name, weight: st.weight, earned: earned, basis: how))
            }
        }
        var out: [UnitScore] = []
        for unit in order {
            let mine = parts[unit] ?? []
            var deductions: Int64 = 0
            var notes: [String] = []
            if let rules {
                for m in misses where m.unit == unit {
                    let st = explanationStatus(m, loop: loop, on: day)
                    if st.state == .notExplained && st.late {
                        deductions += rules.missingExplanation
                        notes.append("\(m.indicatorName) 逾期未说明 −\(Self.points(rules.missingExplanation))")
                    } else if st.late {
                        deductions += rules.lateExplanation
                        notes.append("\(m.indicatorName) 逾期说明 −\(Self.points(rules.lateExplanation))")
                    }
                }
            }
            let earned = mine.map(\.earned).reduce(0, +)
            let possible = mine.map { $0.weight * 100 }.reduce(0, +)
            // A 考核 score does not go below zero, however many deductions.
            let internalPoints = max(0, earned - deductions)
            let internalScore = possible > 0 ? internalPoints * 10_000 / possible : 0
            let external = standards.externalScore(unit: unit, period: period.description)
            let w = rules?.externalPer10k ?? 0
            let total = external.map { (internalScore * (10_000 - w) + $0 * w) / 10_000 } ?? internalScore
            out.append(UnitScore(period: period.description, unit: unit, unitName: unitName(unit), unitKind: unitKind(unit), parts: mine,
                                 deductions: deductions, deductionNotes: notes, internalPoints: internalPoints, possible: possible,
                                 internalScore: internalScore, externalScore: external, total: total))
        }
        for kind in ["court", "department"] {
            let same = out.indices.filter { out[$0].unitKind == kind }
            for i in same {
                out[i].rank = same.filter { out[$0].total > out[i].total }.count + 1
                out[i].ranked = same.count
            }
        }
        return out.sorted { ($0.unitKind, $0.rank, $0.unit) < ($1.unitKind, $1.rank, $1.unit) }
    }

    /// Hundredths of a point as text: 1234 → "12.34".
    public static func points(_ v: Int64) -> String {
        let sign = v < 0 ? "-" : ""
        let a = abs(v)
        return "\(sign)\(a / 100)." + (a % 100 < 10 ? "0" : "") + "\(a % 100)"
    }
}
