import CourtLog
import CourtPlan

/// The checks a policy or explanation event must pass before a node signs it, beyond the
/// catalog's: its indicator and units exist in the plan, and each court explains only for itself.
public enum PolicyCheck {
    public static func check(_ draft: EventDraft, node: String, plan: Plan) throws(EventError) {
        guard let role = EventCatalog.shipped.types[draft.type]?.role, role != .usage else { return }
        if role == .policy && node != PolicyAuthority.intermediateCourt {
            throw EventError("policy event \(draft.type) refused: only \(PolicyAuthority.intermediateCourt) (the intermediate court) may write policy; a grassroots court may file explanation.filed for its own units")
        }
        let d = draft.data
        if draft.type == "indicator.defined" {
            _ = try IndicatorDefinition.extend(plan, with: d)
            if let v = d["per_10k"]?.intValue, d["unit"]?.stringValue == "percent", v > 10_000 {
                throw EventError("indicator.defined \(d["indicator"]?.stringValue ?? ""): per_10k \(v) is above 100% (10000)")
            }
            return
        }
        var indicator: Plan.Indicator?
        if let slug = d["indicator"]?.stringValue {
            guard let i = plan.indicators.first(where: { $0.slug == slug }) else {
                let hint = (try? plan.indicator(slug)).map { ": write its slug, \($0.slug)" } ?? (try? plan.indicator(slug)).map { _ in "" }
                    ?? Plan.suggest(slug, among: plan.indicators.map(\.slug))
                throw EventError("\(draft.type) names unknown indicator '\(slug)'\(hint); indicators are given by slug, e.g. online-filing")
            }
            indicator = i
        }
        switch draft.type {
        case "threshold.set":
            if let v = d["per_10k"]?.intValue, indicator?.unit == "percent", v > 10_000 {
                throw EventError("threshold.set for \(indicator!.slug): per_10k \(v) is above 100% (10000)")
            }
            // Who may set it: the setter the plan names for an open threshold (网上信访: petitions,
            // 庭审直播: provincial-court), otherwise 技术处 or a provincial notice.
            if let ind = indicator {
                let allowed = Self.thresholdSetters(ind)
                let setter = d["setter"]?.stringValue
                if ind.thresholdSetter != nil && setter == nil {
                    throw EventError("threshold.set for \(ind.slug): the plan leaves this threshold to \(ind.thresholdSetter!); add setter=\(ind.thresholdSetter!)")
                }
                if let setter, !allowed.contains(setter) {
                    throw EventError("threshold.set for \(ind.slug): setter '\(setter)' is not who the plan names; use setter=\(allowed.joined(separator: " or setter="))")
                }
            }
        case "review_limit.set":
            guard indicator?.reviewLimitHours != nil else {
                let timely = plan.indicators.filter { $0.reviewLimitHours != nil }.map(\.slug).joined(separator: ", ")
                throw EventError("review_limit.set for \(indicator?.slug ?? "?"): that indicator has no review limit; only \(timely) do")
            }
        case "assignment.set":
            for key in ["lead", "assisting"] {
                for slug in d[key]?.arrayValue?.compactMap(\.stringValue) ?? [] where !plan.departments.contains(where: { $0.slug == slug }) {
                    throw EventError("assignment.set \(key) names '\(slug)', which is no department of the plan\(Plan.suggest(slug, among: plan.departments.map(\.slug)))")
                }
            }
            let units = Set(plan.departments.map(\.slug) + plan.courts.flatMap { [$0.slug, $0.code] } + plan.unitGroups.map(\.slug))
            for slug in d["responsible"]?.arrayValue?.compactMap(\.stringValue) ?? [] where !units.contains(slug) {
                throw EventError("assignment.set responsible names '\(slug)', which is no department, court or group of the plan")
            }
        case "explanation.filed":
            let unit = d["unit"]?.stringValue ?? ""
            let court = plan.courts.first { $0.code == unit || $0.slug == unit }
            let isDepartment = plan.departments.contains { $0.slug == unit }
            guard court != nil || isDepartment else {
                throw EventError("explanation.filed for unknown unit '\(unit)': give a court code or a department slug\(Plan.suggest(unit, among: plan.departments.map(\.slug) + plan.courts.map(\.code)))")
            }
            // Protocol §8.4: a grassroots court's explanation names its own code (not its slug),
            // so that any verifier checks it without the plan.
            if node != PolicyAuthority.intermediateCourt && unit != node {
                let hint = court?.code == node ? "write unit=\(node) (the court code, not its slug)" : "it may explain only for its own court: write unit=\(node)"
                throw EventError("explanation.filed refused: node \(node) may not explain for '\(unit)'; \(hint)")
            }
        case "suggestion.raised":
            let unit = d["unit"]?.stringValue ?? ""
            if node != PolicyAuthority.intermediateCourt && unit != node {
                throw EventError("suggestion.raised refused: node \(node) raises suggestions in its own name: write unit=\(node)")
            }
            guard plan.courts.contains(where: { $0.code == unit }) || plan.departments.contains(where: { $0.slug == unit }) else {
                throw EventError("suggestion.raised by unknown unit '\(unit)': give a court code or a department slug\(Plan.suggest(unit, among: plan.departments.map(\.slug) + plan.courts.map(\.code)))")
            }
            if let system = d["system"]?.stringValue, !plan.indicators.contains(where: { $0.slug == system }) {
                throw EventError("suggestion.raised names unknown system '\(system)'\(Plan.suggest(system, among: plan.indicators.map(\.slug))); give the slug of an indicator or supervised system, or leave system out")
            }
        case "suggestion.routed", "suggestion.escalated", "suggestion.answered":
            let key = draft.type == "suggestion.answered" ? "by" : "to"
            let to = d[key]?.stringValue ?? ""
            guard to == "office" || plan.departments.contains(where: { $0.slug == to }) else {
                throw EventError("\(draft.type) \(key)='\(to)' is no department of the plan\(Plan.suggest(to, among: plan.departments.map(\.slug))); give a department slug\(key == "to" ? " or office (the leading group's office)" : "")")
            }
            guard let ref = d["suggestion"]?.stringValue, ref.contains("/") else {
                throw EventError("\(draft.type): suggestion must be the item's reference unit/id, e.g. suggestion=410802/2023-01")
            }
        case "explanation.reviewed":
            let unit = d["unit"]?.stringValue ?? ""
            guard plan.courts.contains(where: { $0.code == unit || $0.slug == unit }) || plan.departments.contains(where: { $0.slug == unit }) else {
                throw EventError("explanation.reviewed for unknown unit '\(unit)': give a court code or a department slug")
            }
            if d["decision"]?.stringValue == "returned" && d["reason"] == nil {
                throw EventError("explanation.reviewed decision=returned needs reason=… (what the new explanation must say)")
            }
        case "score_standard.set":
            guard let ind = indicator else { break }
            let lead = d["lead"]?.stringValue ?? ""
            let leads = ind.lead + ind.stageLeads.flatMap(\.lead)
            guard leads.contains(lead) else {
                throw EventError("score_standard.set for \(ind.slug): '\(lead)' does not lead it; its 具体考核标准 is set by \(leads.joined(separator: " or "))")
            }
            let bands = d["bands"]?.arrayValue?.compactMap(\.stringValue) ?? []
            guard ScoreStandards.bands(bands) != nil else {
                throw EventError("score_standard.set bands must be MIN_PER_10K:PERCENT with a percent of 0 to 100, e.g. bands=9900:100;9500:60")
            }
            if d["scoring"]?.stringValue == "bands" && bands.isEmpty {
                throw EventError("score_standard.set scoring=bands needs bands, e.g. bands=9900:100;9500:60")
            }
        case "score_rules.set":
            if let w = d["external_per_10k"]?.intValue, w > 10_000 {
                throw EventError("score_rules.set external_per_10k \(w) is above 10000 (100%)")
            }
        case "external_score.recorded":
            let unit = d["unit"]?.stringValue ?? ""
            guard plan.courts.contains(where: { $0.code == unit }) || plan.departments.contains(where: { $0.slug == unit }) else {
                throw EventError("external_score.recorded for unknown unit '\(unit)': give a court code or a department slug")
            }
            if let v = d["score"]?.intValue, v > 10_000 {
                throw EventError("external_score.recorded score \(v) is above 10000 (100.00 points, in hundredths)")
            }
        case "bulletin.issued":
            let digest = d["digest"]?.stringValue ?? ""
            guard digest.count == 64, digest.allSatisfy({ "0123456789abcdef".contains($0) }) else {
                throw EventError("bulletin.issued digest must be 64 lowercase hex digits (SHA-256 of the bulletin's Markdown); use `courtsync report issue`")
            }
        default:
            break
        }
    }

    /// Who may set an indicator's threshold (protocol/plan/README.md §7): the plan's
    /// `threshold_setter` where it names one, otherwise 技术处 (tech) or the provincial court.
    public static func thresholdSetters(_ ind: Plan.Indicator) -> [String] {
        ind.thresholdSetter.map { [$0] } ?? ["tech", "provincial-court"]
    }
}
