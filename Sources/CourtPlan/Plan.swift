import CanonicalJSON

/// The plan 焦中法〔2022〕77号 as data (`protocol/plan/jiaozuo-2022-77.json`, format
/// `courtsync-plan/1`): courts, departments and their duties, metrics, indicators, thresholds.
///
/// Nothing about the plan is written in Swift; this type only reads the file.
public struct Plan: Sendable {
    public struct Document: Sendable { public let number, title, issuer, issued, effective: String; public let supersedes: [String] }
    public struct Court: Sendable, Hashable { public let code, slug, name, level, casePrefix: String }
    public struct Duty: Sendable { public let no: Int64; public let text: String }
    public struct Department: Sendable { public let slug, name: String; public let duties: [Duty] }
    public struct UnitGroup: Sendable { public let slug, name, kind: String; public let level: String?; public let members: [String]? }
    public struct Metric: Sendable { public let no: Int64; public let name: String; public let indicators: [String] }
    public struct Threshold: Sendable, Equatable { public let compare: String; public let per10k: Int64 }
    public struct StageLead: Sendable { public let stage, name: String; public let lead: [String] }
    public struct Selector: Sendable, Equatable {
        public let count: String, type: String
        public let whereFields: [String: JSONValue]
        public let field: String?
        public let withinReviewLimit: Bool
    }
    public struct Indicator: Sendable {
        public let slug, code, name, unit: String
        public let metric: Int64
        public let threshold: Threshold?
        /// Who sets the threshold when the plan leaves it open (网上信访: petitions; 庭审直播:
        /// provincial-court); nil where the plan set it.
        public let thresholdSetter: String?
        /// `assessed` (考核, the plan's 19) or `supervised` (督导: a system a department supervises,
        /// shown with its figures, assessed only once a threshold is set).
        public let kind: String
        public let reviewLimitHours: Int64?
        public let lead, assisting, responsible: [String]
        public let stageLeads: [StageLead]
        public let numerator, denominator: Selector
    }

    public let document: Document
    public let courts: [Court]
    public let departments: [Department]
    public let unitGroups: [UnitGroup]
    public let metrics: [Metric]
    public let indicators: [Indicator]
    public let firstGroupRank: Int64
    /// The document exactly as read, for the genesis event.
    public let json: JSONValue

    /// The plan shipped with this build.
    public static let shipped: Plan = {
        do { return try Plan(bytes: PackageResources.jiaozuo_2022_77_json) } catch {
            preconditionFailure("the embedded protocol/plan/jiaozuo-2022-77.json is not a valid plan: \(error)")
        }
    }()

    /// The supervised systems of the plan's §三 as `indicator.defined` records (id, type, at,
    /// data), from `protocol/plan/supervised-systems.jsonl`, for the hub to import.
    public static let supervisedSystems: [JSONValue] = {
        PackageResources.supervised_systems_jsonl.split(separator: 0x0A).compactMap { try? StrictJSONParser.parse(Array($0)) }
    }()

    /// Reads a plan file's bytes.
    public init(bytes: [UInt8]) throws(PlanError) {
        let json: JSONValue
        do { json = try StrictJSONParser.parse(bytes) } catch { throw PlanError("plan file is not valid JSON: \(error.description)") }
        try self.init(json: json)
    }

    /// Reads a plan document.
    public init(json: JSONValue) throws(PlanError) {
        let root = PlanField(json, path: "")
        guard root["format"].value?.stringValue == "courtsync-plan/1" else { throw root["format"].fail("must be \"courtsync-plan/1\"") }
        self.json = json
        let d = root["document"]
        document = Document(number: try d["number"].string(), title: try d["title"].string(), issuer: try d["issuer"].string(),
                            issued: try d["issued"].string(), effective: try d["effective"].string(), supersedes: try d["supersedes"].optionalStrings())
        var courts: [Court] = []
        for c in try root["courts"].array() {
            courts.append(Court(code: try c["code"].string(), slug: try c["slug"].string(), name: try c["name"].string(),
                                level: try c["level"].string(), casePrefix: try c["case_prefix"].string()))
        }
        var departments: [Department] = []
        for dep in try root["departments"].array() {
            var duties: [Duty] = []
            for duty in try dep["duties"].array() { duties.append(Duty(no: try duty["no"].int(), text: try duty["text"].string())) }
            departments.append(Department(slug: try dep["slug"].string(), name: try dep["name"].string(), duties: duties))
        }
        var groups: [UnitGroup] = []
        for g in try root["unit_groups"].array() {
            let members: [String]? = g["members"].value?.arrayValue != nil ? try g["members"].strings() : nil
            groups.append(UnitGroup(slug: try g["slug"].string(), name: try g["name"].string(), kind: try g["kind"].string(),
                                    level: try g["level"].optionalString(), members: members))
        }
        var metrics: [Metric] = []
        for m in try root["metrics"].array() {
            metrics.append(Metric(no: try m["no"].int(), name: try m["name"].string(), indicators: try m["indicators"].strings()))
        }
        var indicators: [Indicator] = []
        for i in try root["indicators"].array() { indicators.append(try Self.indicator(i)) }
        self.courts = courts
        self.departments = departments
        self.unitGroups = groups
        self.metrics = metrics
        self.indicators = indicators
        self.firstGroupRank = root["accountability"]["first_group_rank"].isPresent ? try root["accountability"]["first_group_rank"].int() : 5
        try checkReferences(root)
    }

    /// The units an indicator's value can be in: a share, a count per case filed, a count per
    /// staff member on the roster.
    public static let units = ["percent", "per_case", "per_staff"]

    static func indicator(_ i: PlanField) throws(PlanError) -> Indicator {
        var threshold: Threshold?
        if i["threshold"].isPresent {
            let compare = try i["threshold"]["compare"].string()
            guard compare == ">=" else { throw i["threshold"]["compare"].fail("must be \">=\"") }
            let per10k = try i["threshold"]["per_10k"].int()
            guard per10k >= 0 else { throw i["threshold"]["per_10k"].fail("must not be negative") }
            threshold = Threshold(compare: compare, per10k: per10k)
        } else if i["threshold"].value == nil {
            throw i["threshold"].fail("is missing (write null for an indicator not yet assessed)")
        }
        var stages: [StageLead] = []
        if i["stage_leads"].isPresent {
            for s in try i["stage_leads"].array() {
                stages.append(StageLead(stage: try s["stage"].string(), name: try s["name"].string(), lead: try s["lead"].strings()))
            }
        }
        let unit = try i["unit"].string()
        guard units.contains(unit) else { throw i["unit"].fail("must be one of \(units.joined(separator: ", "))") }
        let kind = try i["kind"].optionalString() ?? "assessed"
        guard kind == "assessed" || kind == "supervised" else { throw i["kind"].fail("must be assessed or supervised") }
        return Indicator(
            slug: try i["slug"].string(), code: try i["code"].string(), name: try i["name"].string(), unit: unit,
            metric: i["metric"].isPresent ? try i["metric"].int() : 0, threshold: threshold,
            thresholdSetter: try i["threshold_setter"].optionalString(), kind: kind,
            reviewLimitHours: i["review_limit_hours"].isPresent ? try i["review_limit_hours"].int() : nil,
            lead: try i["lead"].strings(), assisting: try i["assisting"].optionalStrings(), responsible: try i["responsible"].strings(),
            stageLeads: stages,
            numerator: try Self.selector(i["measure"]["numerator"]), denominator: try Self.selector(i["measure"]["denominator"]))
    }

    /// The plan with one more indicator, given in the plan file's form (an `indicator.defined`
    /// policy event's): its slug must be new and every unit it names must exist.
    public func adding(indicatorJSON: JSONValue) throws(PlanError) -> Plan {
        try adding(indicatorJSONs: [indicatorJSON])
    }

    /// The plan with several more indicators, read in one pass.
    public func adding(indicatorJSONs: [JSONValue]) throws(PlanError) -> Plan {
        guard case .object(var root) = json, case .array(var list)? = root["indicators"] else { throw PlanError("plan document has no indicators array") }
        list += indicatorJSONs
        root["indicators"] = .array(list)
        return try Plan(json: .object(root))
    }

    static func selector(_ f: PlanField) throws(PlanError) -> Selector {
        let count = try f["count"].string()
        guard ["events", "distinct", "roster"].contains(count) else { throw f["count"].fail("must be events, distinct or roster") }
        let field = try f["field"].optionalString()
        if count != "events" && field == nil { throw f["field"].fail("is required when count is \(count)") }
        var whereFields: [String: JSONValue] = [:]
        if f["where"].isPresent {
            guard let o = f["where"].value?.objectValue else { throw f["where"].fail("must be an object") }
            whereFields = o
        }
        return Selector(count: count, type: try f["type"].string(), whereFields: whereFields, field: field,
                        withinReviewLimit: f["within_review_limit"].value?.boolValue ?? false)
    }

    /// Every slug a plan refers to must name a department, a court or a unit group.
    func checkReferences(_ root: PlanField) throws(PlanError) {
        let known = Set(departments.map(\.slug) + unitGroups.map(\.slug) + courts.map(\.slug))
        for (n, i) in indicators.enumerated() {
            for (key, list) in [("lead", i.lead), ("assisting", i.assisting), ("responsible", i.responsible)] {
                for slug in list where !known.contains(slug) {
                    throw root["indicators"].fail("[\(n)].\(key) names '\(slug)', which is no department, court or unit group")
                }
            }
        }
        var seen = Set<String>()
        for slug in departments.map(\.slug) + unitGroups.map(\.slug) + courts.map(\.slug) + indicators.map(\.slug) {
            guard seen.insert(slug).inserted else { throw PlanError("plan file: slug '\(slug)' is used twice: slugs must be unique") }
        }
    }
}
