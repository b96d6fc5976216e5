extension Plan {
    /// The court with this code, slug or Chinese name (full, or without 人民法院).
    public func court(_ text: String) throws(PlanError) -> Court {
        if let c = courts.first(where: { $0.code == text || $0.slug == text || $0.name == text || $0.name == text + "人民法院" }) { return c }
        throw PlanError("unknown court '\(text)'\(Self.suggest(text, among: courts.flatMap { [$0.code, $0.name] })): use a court code, slug or name from the plan, e.g. 410802 or 解放区人民法院")
    }

    /// The department with this slug or Chinese name.
    public func department(_ text: String) throws(PlanError) -> Department {
        if let d = departments.first(where: { $0.slug == text || $0.name == text }) { return d }
        throw PlanError("unknown department '\(text)'\(Self.suggest(text, among: departments.flatMap { [$0.slug, $0.name] })): use a department of the plan, e.g. 立案庭 or case-filing")
    }

    /// The indicator with this slug, code (1a) or Chinese name.
    public func indicator(_ text: String) throws(PlanError) -> Indicator {
        if let i = indicators.first(where: { $0.slug == text || $0.name == text || $0.code == text }) { return i }
        throw PlanError("unknown indicator '\(text)'\(Self.suggest(text, among: indicators.flatMap { [$0.slug, $0.name] })): use an indicator of the plan, e.g. 网上立案率 or online-filing")
    }

    /// The display name of a unit slug (department, court or group).
    public func unitName(_ slug: String) -> String {
        departments.first { $0.slug == slug }?.name ?? courts.first { $0.slug == slug || $0.code == slug }?.name
            ?? unitGroups.first { $0.slug == slug }?.name ?? slug
    }

    /// "; did you mean X, Y?" for the closest candidates, or nothing.
    public static func suggest(_ text: String, among candidates: [String]) -> String {
        let scored = candidates.map { ($0, distance(Array(text), Array($0))) }
            .filter { $0.1 <= max(2, $0.0.count / 2) || $0.0.contains(text) || text.contains($0.0) }
            .sorted { ($0.1, $0.0) < ($1.1, $1.0) }
        let names = scored.prefix(3).map(\.0)
        return names.isEmpty ? "" : "; did you mean \(names.joined(separator: ", "))?"
    }

    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var prev = row[0]
            row[0] = i
            for j in 1...b.count {
                let cur = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                prev = cur
            }
        }
        return row[b.count]
    }
}
