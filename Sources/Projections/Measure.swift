import CanonicalJSON
import CourtLog
import CourtPlan

/// One side (numerator or denominator) of an indicator's formula, compiled from the plan's
/// selector into a predicate over stored columns.
public struct Measure: Sendable {
    public enum Count: Sendable, Equatable { case events, distinct, roster, timely }

    /// `<indicator>/num`, `<indicator>/den`, or `<indicator>/num@<stage>` for a stage split.
    public let name: String
    public let type: String
    public let count: Count
    let channel: String?
    let ok: Bool?
    let stage: String?
    /// For `system.used`: the system whose uses count.
    var system: String? = nil
    /// For the role rows of a staff measure: only staff of this role count.
    var role: String? = nil
    /// Counts impossible facts (a decision before its submission) instead of usage: such a fact
    /// counts here and in no indicator.
    let isProblem: Bool

    /// The measure that counts decisions dated before their submission, per unit and period.
    public static let negativeDelay = "problem/negative-delay"
    /// The measure that counts events dated after they were recorded (beyond
    /// ``Attribution/futureSkew``), per unit and the period they claim.
    public static let futureDated = "problem/future-dated"

    /// The name of a staff measure's numerator for one role: `<indicator>/num#<role>`.
    public static func roleNumerator(_ indicator: String, role: String) -> String { "\(indicator)/num#\(role)" }

    /// Whether the fact counts for this measure.
    public func matches(_ f: Fact) -> Bool {
        guard f.type == type else { return false }
        if let channel, f.columns.channel != channel { return false }
        if let ok, f.columns.ok != ok { return false }
        if let stage, f.columns.channel != stage { return false }
        if let system, f.columns.system != system { return false }
        if let role, f.columns.role != role { return false }
        return true
    }

    /// Compiles a selector. Where-fields must be stored columns (see the protocol's
    /// "Stored columns"); anything else is a plan error naming the field.
    static func compile(_ s: Plan.Selector, name: String, stage: String? = nil, indicator: String) throws(PlanError) -> Measure {
        var channel: String?
        var ok: Bool?
        var system: String?
        for (field, value) in s.whereFields.sorted(by: { $0.key < $1.key }) {
            switch (field, value) {
            case ("system", .string(let v)): system = v
            case ("channel", .string(let v)), ("mode", .string(let v)), ("method", .string(let v)), ("app", .string(let v)), ("stage", .string(let v)):
                channel = v
            case ("decision", .string(let v)): ok = v == "approved"
            case ("outcome", .string(let v)): ok = v == "success"
            case ("via_platform", .bool(let v)), ("qualified", .bool(let v)), ("streamed", .bool(let v)): ok = v
            default:
                throw PlanError("plan file: indicator \(indicator) selects on '\(field)', which projections cannot read: use channel, mode, method, app, stage, decision, outcome, via_platform, qualified, streamed or system")
            }
        }
        let count: Count
        switch s.count {
        case "distinct":
            guard ["case_no", "staff_id", "application_id", "petition_id"].contains(s.field ?? "") else {
                throw PlanError("plan file: indicator \(indicator) counts distinct '\(s.field ?? "")': only case_no, staff_id, application_id, petition_id are stored")
            }
            count = .distinct
        case "roster": count = .roster
        default: count = s.withinReviewLimit ? .timely : .events
        }
        var m = Measure(name: name, type: s.type, count: count, channel: channel, ok: ok, stage: stage, isProblem: false)
        m.system = system
        return m
    }
}

/// Every indicator's measures, compiled once from the plan and indexed by event type.
public struct MeasureSet: Sendable {
    public let byType: [String: [Measure]]
    /// Per event type, the measures with their index in `all`.
    public let indexedByType: [String: [(Int, Measure)]]
    public let all: [Measure]
    /// The index in `all` of ``Measure/futureDated``.
    public let futureDatedIndex: Int

    /// The staff roles of the catalog (`role` of `staff.active`), in catalog order.
    public static let staffRoles: [String] = {
        if case .enumeration(let values)? = EventCatalog.shipped.types["staff.active"]?.fields["role"]?.kind { return values }
        return []
    }()

    public init(plan: Plan) throws(PlanError) {
        var all: [Measure] = []
        for i in plan.indicators {
            all.append(try Measure.compile(i.numerator, name: "\(i.slug)/num", indicator: i.slug))
            all.append(try Measure.compile(i.denominator, name: "\(i.slug)/den", indicator: i.slug))
            for s in i.stageLeads {
                all.append(try Measure.compile(i.numerator, name: "\(i.slug)/num@\(s.stage)", stage: s.stage, indicator: i.slug))
                all.append(try Measure.compile(i.denominator, name: "\(i.slug)/den@\(s.stage)", stage: s.stage, indicator: i.slug))
            }
            // A staff share (over the roster) whose events can carry a role is also counted per
            // role, for the role rows (protocol/plan/README.md, Rosters).
            if i.denominator.count == "roster", EventCatalog.shipped.types[i.numerator.type]?.fields["role"] != nil {
                for role in Self.staffRoles {
                    var m = try Measure.compile(i.numerator, name: Measure.roleNumerator(i.slug, role: role), indicator: i.slug)
                    m.role = role
                    all.append(m)
                }
            }
        }
        // One problem measure per event type that carries a review delay.
        for type in Set(all.filter { $0.count == .timely }.map(\.type)).sorted() {
            all.append(Measure(name: Measure.negativeDelay, type: type, count: .events, channel: nil, ok: nil, stage: nil, isProblem: true))
        }
        futureDatedIndex = all.count
        all.append(Measure(name: Measure.futureDated, type: "", count: .events, channel: nil, ok: nil, stage: nil, isProblem: true))
        self.all = all
        // The future-dated measure (type "") is counted by time, not matched by type.
        self.byType = Dictionary(grouping: all.filter { $0.count != .roster && !$0.type.isEmpty }, by: \.type)
        self.indexedByType = Dictionary(grouping: all.enumerated().filter { $0.element.count != .roster && !$0.element.type.isEmpty }
            .map { ($0.offset, $0.element) }, by: \.1.type)
    }
}
