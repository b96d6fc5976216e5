import CanonicalJSON
import CourtLog
import CourtPlan

/// An `indicator.defined` policy event read as an indicator of the plan file's form, so that
/// the plan's own parser and checks apply to it unchanged (protocol/plan/README.md §8).
public enum IndicatorDefinition {
    /// The plan-file form of an `indicator.defined` event's data.
    public static func planJSON(_ d: [String: JSONValue]) -> JSONValue {
        var o: [String: JSONValue] = [
            "slug": d["indicator"] ?? .null, "code": d["code"] ?? .null, "name": d["name"] ?? .null,
            "unit": d["unit"] ?? .null, "kind": d["kind"] ?? .string("supervised"), "measure": d["measure"] ?? .null,
            "lead": d["lead"] ?? .array([]), "assisting": d["assisting"] ?? .array([]), "responsible": d["responsible"] ?? .array([]),
            "threshold": d["per_10k"].map { ["compare": ">=", "per_10k": $0] } ?? .null,
        ]
        if let setter = d["threshold_setter"] { o["threshold_setter"] = setter }
        return .object(o)
    }

    /// The plan with the indicator an `indicator.defined` event defines; refused with a message
    /// naming what is wrong when the slug or code is taken, or the definition does not compile.
    public static func extend(_ plan: Plan, with d: [String: JSONValue]) throws(EventError) -> Plan {
        let slug = d["indicator"]?.stringValue ?? ""
        if plan.indicators.contains(where: { $0.slug == slug }) {
            throw EventError("indicator.defined: '\(slug)' is already an indicator; to measure it differently, retire it (indicator.retired) and define a new slug")
        }
        if let code = d["code"]?.stringValue, let other = plan.indicators.first(where: { $0.code == code }) {
            throw EventError("indicator.defined: code \(code) is already \(other.name)'s; choose another code")
        }
        let extended: Plan
        do { extended = try plan.adding(indicatorJSON: planJSON(d)) } catch {
            throw EventError("indicator.defined \(slug): \(error.message.replacingOccurrences(of: "plan file: ", with: "").replacingOccurrences(of: ": fix the plan file (see protocol/plan/README.md)", with: ""))")
        }
        do { _ = try MeasureSet(plan: extended) } catch {
            throw EventError("indicator.defined \(slug): \(error.message.replacingOccurrences(of: "plan file: ", with: ""))")
        }
        return extended
    }
}
