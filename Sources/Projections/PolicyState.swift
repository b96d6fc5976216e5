import CanonicalJSON
import CourtLog
import CourtPlan

/// The plan and every policy change after it, as a pure fold over policy events: what
/// threshold, review limit and assignment is in force on any day, the provincial standings,
/// and the explanations filed.
public struct PolicyState: Sendable {
    /// A value in force from `effective`, ordered by (effective, node, seq).
    public struct Dated<Value: Sendable>: Sendable {
        public let effective: CivilDate
        public let value: Value
        public let document: String
        public let node: String
        public let seq: Int64
    }

    public struct Assignment: Sendable, Equatable {
        public let lead: [String]
        public let assisting: [String]
        public let responsible: [String]
    }

    public struct Standing: Sendable, Equatable {
        public let rank: Int64
        public let provinceAveragePer10k: Int64
        public let excellentPer10k: Int64?
        public let document: String?
    }

    public struct Explanation: Sendable, Equatable {
        public let unit: String
        public let indicator: String
        public let period: String
        public let text: String
        public let node: String
        public let seq: Int64
        public let at: String
    }

    public private(set) var plan: Plan
    /// Where the plan came from: the signed genesis, or the file shipped with this build.
    public private(set) var planSource: String
    public private(set) var thresholds: [String: [Dated<Int64?>]] = [:]
    public private(set) var reviewLimits: [String: [Dated<Int64>]] = [:]
    public private(set) var assignments: [String: [Dated<Assignment>]] = [:]
    /// Keyed by `indicator|period`.
    public private(set) var standings: [String: (Standing, Int64)] = [:]
    public private(set) var explanations: [Explanation] = []
    public private(set) var events: [PolicyEvent] = []
    /// When each indicator defined by policy comes into force.
    public private(set) var definedFrom: [String: CivilDate] = [:]
    /// When an indicator was retired by policy.
    public private(set) var retiredFrom: [String: CivilDate] = [:]

    /// Starts from a plan (the genesis's, or the shipped file until the genesis is known).
    public init(plan: Plan, source: String) {
        self.plan = plan
        self.planSource = source
        seed(from: plan)
    }

    mutating func seed(from plan: Plan) {
        let effective = (try? CivilDate(parsing: plan.document.effective)) ?? CivilDate(year: 2022, month: 7, day: 28)
        let doc = plan.document.number
        let genesisNode = PolicyAuthority.intermediateCourt
        thresholds = [:]
        reviewLimits = [:]
        assignments = [:]
        for i in plan.indicators {
            thresholds[i.slug] = [Dated(effective: effective, value: i.threshold?.per10k, document: doc, node: genesisNode, seq: 0)]
            if let h = i.reviewLimitHours {
                reviewLimits[i.slug] = [Dated(effective: effective, value: h, document: doc, node: genesisNode, seq: 0)]
            }
            assignments[i.slug] = [Dated(effective: effective, value: Assignment(lead: i.lead, assisting: i.assisting, responsible: i.responsible),
                                         document: doc, node: genesisNode, seq: 0)]
        }
    }

    /// Folds policy events in the order given; callers give them sorted by (node, seq).
    public mutating func fold(_ e: PolicyEvent) {
        events.append(e)
        let d = e.data
        func date(_ key: String) -> CivilDate? { d[key]?.stringValue.flatMap { try? CivilDate(parsing: $0) } }
        switch e.type {
        case "plan.adopted":
            if e.node == PolicyAuthority.intermediateCourt, let json = d["plan"], let p = try? Plan(json: json) {
                plan = p
                planSource = "signed genesis (node \(e.node) seq \(e.seq))"
                seed(from: p)
            }
        case "indicator.defined":
            guard e.node == PolicyAuthority.intermediateCourt, let slug = d["indicator"]?.stringValue, let eff = date("effective") else { return }
            if !plan.indicators.contains(where: { $0.slug == slug }) {
                guard let extended = try? IndicatorDefinition.extend(plan, with: d) else { return }
                plan = extended
            }
            guard let ind = plan.indicators.first(where: { $0.slug == slug }) else { return }
            let doc = d["document"]?.stringValue ?? ""
            thresholds[slug] = [Dated(effective: eff, value: ind.threshold?.per10k, document: doc, node: e.node, seq: e.seq)]
            reviewLimits[slug] = ind.reviewLimitHours.map { [Dated(effective: eff, value: $0, document: doc, node: e.node, seq: e.seq)] }
            assignments[slug] = [Dated(effective: eff, value: Assignment(lead: ind.lead, assisting: ind.assisting, responsible: ind.responsible),
                                       document: doc, node: e.node, seq: e.seq)]
            definedFrom[slug] = eff
            let base = planSource.components(separatedBy: " + ").first ?? planSource
            planSource = base + " + \(definedFrom.count) indicator\(definedFrom.count == 1 ? "" : "s") defined by policy"
        case "indicator.retired":
            guard let slug = d["indicator"]?.stringValue, let eff = date("effective") else { return }
            retiredFrom[slug] = min(eff, retiredFrom[slug] ?? eff)
        case "threshold.set":
            guard let ind = d["indicator"]?.stringValue, thresholds[ind] != nil, let eff = date("effective") else { return }
            thresholds[ind]!.append(Dated(effective: eff, value: d["per_10k"]?.intValue, document: d["document"]?.stringValue ?? "", node: e.node, seq: e.seq))
        case "review_limit.set":
            guard let ind = d["indicator"]?.stringValue, let hours = d["hours"]?.intValue, let eff = date("effective") else { return }
            reviewLimits[ind, default: []].append(Dated(effective: eff, value: hours, document: d["document"]?.stringValue ?? "", node: e.node, seq: e.seq))
        case "assignment.set":
            guard let ind = d["indicator"]?.stringValue, let eff = date("effective") else { return }
            let list: (String) -> [String] = { d[$0]?.arrayValue?.compactMap(\.stringValue) ?? [] }
            assignments[ind, default: []].append(Dated(effective: eff, value: Assignment(lead: list("lead"), assisting: list("assisting"), responsible: list("responsible")),
                                                       document: d["document"]?.stringValue ?? "", node: e.node, seq: e.seq))
        case "standing.recorded":
            guard let ind = d["indicator"]?.stringValue, let period = d["period"]?.stringValue, let rank = d["rank"]?.intValue,
                  let avg = d["province_average_per_10k"]?.intValue else { return }
            standings["\(ind)|\(period)"] = (Standing(rank: rank, provinceAveragePer10k: avg, excellentPer10k: d["excellent_per_10k"]?.intValue,
                                                      document: d["document"]?.stringValue), e.seq)
        case "explanation.filed":
            guard let unit = d["unit"]?.stringValue, let ind = d["indicator"]?.stringValue, let period = d["period"]?.stringValue,
                  let text = d["text"]?.stringValue else { return }
            explanations.append(Explanation(unit: unit, indicator: ind, period: period, text: text, node: e.node, seq: e.seq, at: e.at.text))
        default:
            return
        }
    }

    /// Whether an indicator is part of the assessment on `day`: defined by then, not yet retired.
    public func isInForce(_ indicator: String, on day: CivilDate) -> Bool {
        if let from = definedFrom[indicator], day < from { return false }
        if let until = retiredFrom[indicator], day >= until { return false }
        return true
    }

    /// The indicators in force on `day`, in the plan's order (defined ones after the plan's).
    public func indicators(on day: CivilDate) -> [Plan.Indicator] { plan.indicators.filter { isInForce($0.slug, on: day) } }

    static func inForce<V>(_ list: [Dated<V>]?, on day: CivilDate) -> Dated<V>? {
        list?.filter { $0.effective <= day }.max { ($0.effective, $0.node, $0.seq) < ($1.effective, $1.node, $1.seq) }
    }

    /// The threshold (per 10,000) in force on `day`; nil when the indicator is not assessed.
    public func threshold(_ indicator: String, on day: CivilDate) -> Dated<Int64?>? { Self.inForce(thresholds[indicator], on: day) }
    public func reviewLimit(_ indicator: String, on day: CivilDate) -> Dated<Int64>? { Self.inForce(reviewLimits[indicator], on: day) }
    public func assignment(_ indicator: String, on day: CivilDate) -> Dated<Assignment>? { Self.inForce(assignments[indicator], on: day) }
    public func standing(_ indicator: String, period: String) -> Standing? { standings["\(indicator)|\(period)"]?.0 }

    /// Explanations filed for a unit (court code, court slug or department slug), indicator and period.
    public func explanations(unit: String, indicator: String, period: String) -> [Explanation] {
        let aliases = Set([unit] + plan.courts.filter { $0.code == unit || $0.slug == unit }.flatMap { [$0.code, $0.slug] })
        return explanations.filter { aliases.contains($0.unit) && $0.indicator == indicator && $0.period == period }
    }

    /// Responsible units with groups expanded: court codes and department slugs, in plan order.
    public func expand(_ units: [String]) -> [String] {
        var out: [String] = []
        for u in units {
            if let g = plan.unitGroups.first(where: { $0.slug == u }) {
                if g.kind == "courts" {
                    out += plan.courts.filter { $0.level == (g.level ?? "grassroots") }.map(\.code)
                } else if let members = g.members {
                    out += members
                } else {
                    out += plan.departments.map(\.slug)
                }
            } else if let c = plan.courts.first(where: { $0.slug == u || $0.code == u }) {
                out.append(c.code)
            } else {
                out.append(u)
            }
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0).inserted }
    }
}
