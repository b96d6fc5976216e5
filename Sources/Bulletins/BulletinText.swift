import CourtPlan
import Projections

/// The sentences a bulletin says, shared by the Markdown and HTML forms so they never differ.
enum BulletinText {
    static func value(_ per10k: Int64, _ unit: String) -> String {
        ComplianceRow.format(numerator: per10k, denominator: 10_000, unit: unit)
    }

    static func names(_ sections: [Bulletin.Section]) -> String {
        sections.map { $0.indicator.name }.joined(separator: "、")
    }

    /// 一、总体情况: the city's count of indicators by status, and which ones missed.
    static func overview(_ b: Bulletin) -> String {
        let t = b.cityTally
        let assessed = (t[.met] ?? 0) + (t[.missed] ?? 0)
        var text = "全市法院\(b.sections.count)项指标中，考核\(assessed)项，达标\(t[.met] ?? 0)项，未达标\(t[.missed] ?? 0)项"
        let missed = b.sections.filter { $0.city.status == .missed }
        if !missed.isEmpty { text += "（\(names(missed))）" }
        let notAssessed = b.sections.filter { $0.city.status == .notAssessed }
        if !notAssessed.isEmpty { text += "；\(names(notAssessed))本期未设标准，不考核" }
        let noData = b.sections.filter { $0.city.status == .noData }
        if !noData.isEmpty { text += "；\(names(noData))本期无数据" }
        let problems = b.sections.filter { $0.city.status == .dataProblem }
        if !problems.isEmpty { text += "；\(names(problems))数据异常（\(problems.compactMap(\.city.problem).joined(separator: "；"))），待核实更正后再考核" }
        let courtProblems = b.courtTallies.filter { ($0.1[.dataProblem] ?? 0) > 0 }
        if !courtProblems.isEmpty {
            text += "；" + courtProblems.map { "\($0.0.name)\($0.1[.dataProblem] ?? 0)项" }.joined(separator: "、") + "数据异常（如在岗人数未随部门更新），不计入达标，请核实更正"
        }
        if !b.dataProblems.isEmpty {
            text += "；数据异常：" + b.dataProblems.map { "\($0.unitName)\($0.chinese)" }.joined(separator: "，")
        }
        let outside = b.sections.filter { ($0.standing?.rank ?? 0) > b.firstGroupRank }
        if !outside.isEmpty { text += "。按省法院排名，\(names(outside))未进入全省第一方阵" }
        return text + "。各法院达标情况如下："
    }

    /// The line under an indicator's heading: threshold and its document, the city's value,
    /// the change, the status and the provincial standing.
    static func sectionLead(_ b: Bulletin, _ s: Bulletin.Section) -> String {
        let c = s.city
        var threshold: String
        if let t = c.thresholdPer10k {
            threshold = "考核标准 ≥ \(value(t, s.indicator.unit))"
            if s.thresholdChanged, let doc = c.thresholdDocument { threshold += "（依据\(doc)调整）" }
        } else {
            threshold = "本期未设考核标准"
        }
        if let h = c.reviewLimitHours { threshold += "，审核时限\(h)小时" }
        let status = c.status == .noData ? "本期无数据" : "全市 \(c.valueText)（\(c.numerator)/\(c.denominator)），\(s.change == "—" ? "上期无数据可比" : "\(b.previousLabel) \(s.change)")，\(c.status.chinese)"
        return "\(threshold)。\(status)。\(b.standingText(s))。"
    }

    static func reason(_ e: AccountabilityEntry) -> String {
        e.reason == .belowThreshold ? "未达标" : "未进入全省第一方阵"
    }

    static func accountabilityLead(_ b: Bulletin) -> String {
        let n = b.accountability.count, done = b.accountability.filter(\.explained).count
        return "依照方案第五部分第4项，本期共\(n)项需由部门（法院）负责人向领导小组说明情况，已说明\(done)项，尚未说明\(n - done)项。"
    }

    /// The sentence above the role table.
    static let roleLead = "按在册名单所列角色（员额法官、法官助理、书记员），各角色在岗人员的活跃比例如下（仅列出按角色报送名单的单位）："

    static func requirement(_ b: Bulletin) -> String {
        var seen = Set<String>()
        let pending = b.accountability.filter { !$0.explained }.map { b.unitLabel($0.unit, $0.unitName) }.filter { seen.insert($0).inserted }
        var text = "各牵头考核部门要对照考核标准，加强督导；各应用责任部门要查找原因，抓好整改。"
        if !pending.isEmpty {
            text += "请\(pending.joined(separator: "、"))尽快向信息化应用推广领导小组说明情况。"
        }
        return text
    }
}

extension BulletinText {
    /// The detail of an accountability entry in Chinese: `97.50% < 99.00%`, `全省第7名（前5名为第一方阵）`.
    static func detail(_ a: AccountabilityEntry) -> String {
        var d = a.detail
        // "76.92% < ≥ 80.00%" reads as the value and the standard it is below.
        if let r = d.firstRange(of: " < ≥ ") { d = "\(d[..<r.lowerBound])（标准≥\(d[r.upperBound...])）" }
        if d.hasPrefix("province rank ") {
            let rest = d.dropFirst("province rank ".count)
            let rank = rest.prefix { $0.isNumber }
            d = "全省第\(rank)名"
        }
        return d
    }

    /// The explanations received, each once: (unit label, indicator, text).
    static func explanations(_ b: Bulletin) -> [(String, String, String)] {
        var seen = Set<String>()
        return b.accountability.flatMap { a in a.explanations.map { (a, $0) } }
            .filter { seen.insert("\($0.1.node)/\($0.1.seq)").inserted }
            .map { (b.unitLabel($0.0.unit, $0.0.unitName), $0.0.indicatorName, $0.1.text) }
    }
}

extension Bulletin {
    /// 1 → 一, 12 → 十二, 19 → 十九, 20 → 二十.
    public static func chineseNumber(_ n: Int) -> String {
        let digits = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"]
        if n < 10 { return digits[n] }
        if n < 20 { return "十" + (n % 10 == 0 ? "" : digits[n % 10]) }
        if n < 100 { return digits[n / 10] + "十" + (n % 10 == 0 ? "" : digits[n % 10]) }
        return "\(n)"
    }
}
