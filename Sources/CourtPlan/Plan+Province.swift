import CanonicalJSON

extension Plan {
    /// The first code of the simulated courts: administrative division codes begin with a
    /// province's two digits (11 … 65, 71, 81, 82), so no real court's code begins with 99.
    public static let simulatedCodePrefix = "99"

    /// This plan with simulated grassroots courts added until it has `total` courts: what
    /// `courtsync bench province` and the province tests sync, a province's ~180 courts on one
    /// hub. The added courts are 990001, 990002, … named 模拟第N基层人民法院 (slug `simulated-N`);
    /// the document's title says the plan is simulated. Deterministic: the same `total` always
    /// gives the same plan. Never the plan a court runs: nothing ships it.
    public func simulatingProvince(courts total: Int) throws(PlanError) -> Plan {
        guard total >= courts.count else {
            throw PlanError("a simulated province needs at least the plan's \(courts.count) courts; ask for \(courts.count) or more")
        }
        guard total - courts.count <= 9_999 else { throw PlanError("a simulated province has at most \(courts.count + 9_999) courts") }
        guard case .object(var root) = json, case .array(var list)? = root["courts"], case .object(var document)? = root["document"] else {
            throw PlanError("the plan has no courts list to extend")
        }
        let added = total - courts.count
        for n in stride(from: 1, through: added, by: 1) {
            let number = String(repeating: "0", count: 4 - String(n).count) + String(n)
            list.append(["code": .string(Self.simulatedCodePrefix + number), "slug": .string("simulated-\(number)"),
                         "name": .string("模拟第\(number)基层人民法院"), "level": "grassroots", "case_prefix": .string("模\(number)")])
        }
        root["courts"] = .array(list)
        if added > 0, let title = document["title"]?.stringValue {
            document["title"] = .string("\(title)（模拟省级规模：\(total) 个法院，其中 \(added) 个为模拟法院）")
            root["document"] = .object(document)
        }
        return try Plan(json: .object(root))
    }

    /// Whether `code` is one of the courts ``simulatingProvince(courts:)`` adds.
    public static func isSimulated(court code: String) -> Bool { code.hasPrefix(simulatedCodePrefix) && code.count == 6 }
}
