import CanonicalJSON

/// A cursor into the plan document that knows its path, so errors name the field.
struct PlanField {
    let value: JSONValue?
    let path: String

    init(_ value: JSONValue?, path: String) { self.value = value; self.path = path }

    subscript(key: String) -> PlanField { PlanField(value?[key], path: path.isEmpty ? key : "\(path).\(key)") }

    func fail(_ what: String) -> PlanError {
        PlanError("plan file: \(path) \(what): fix the plan file (see protocol/plan/README.md)")
    }

    var isPresent: Bool { if case .some(.null) = value { return false }; return value != nil }

    func string() throws(PlanError) -> String {
        guard case .string(let s)? = value, !s.isEmpty else { throw fail(value == nil ? "is missing" : "must be a non-empty string") }
        return s
    }
    func optionalString() throws(PlanError) -> String? { isPresent ? try string() : nil }
    func int() throws(PlanError) -> Int64 {
        guard case .int(let i)? = value else { throw fail(value == nil ? "is missing" : "must be an integer") }
        return i
    }
    func array() throws(PlanError) -> [PlanField] {
        guard case .array(let items)? = value else { throw fail(value == nil ? "is missing" : "must be an array") }
        return items.enumerated().map { PlanField($1, path: "\(path)[\($0)]") }
    }
    func strings() throws(PlanError) -> [String] {
        var out: [String] = []
        for item in try array() { out.append(try item.string()) }
        return out
    }
    func optionalStrings() throws(PlanError) -> [String] { isPresent ? try strings() : [] }
}
