import CourtLog
import CourtPlan

/// Whether a unit met an indicator's threshold in a period.
public enum ComplianceStatus: String, Sendable, Equatable {
    case met, missed
    /// The indicator has no threshold in force (网上信访 and 庭审直播 until one is set).
    case notAssessed = "not assessed"
    /// No events: the indicator has no value (not 0%, not 100%).
    case noData = "no data"
    /// The figures are impossible (a share above 100%): neither met nor missed until the data
    /// is corrected; ``ComplianceRow/problem`` says why.
    case dataProblem = "data problem"

    /// The word a bulletin uses.
    public var chinese: String {
        switch self {
        case .met: "达标"
        case .missed: "未达标"
        case .notAssessed: "不考核"
        case .noData: "无数据"
        case .dataProblem: "数据异常"
        }
    }

    /// The one-character mark of a compliance matrix: ✓ met, ✗ missed, – not assessed, · no
    /// data, ! data problem.
    public var mark: String {
        switch self {
        case .met: "✓"
        case .missed: "✗"
        case .notAssessed: "–"
        case .noData: "·"
        case .dataProblem: "!"
        }
    }
}

/// One indicator for one unit in one period.
public struct ComplianceRow: Sendable, Equatable {
    public let period: String
    public let indicator: String
    public let indicatorName: String
    public let indicatorCode: String
    public let unit: String
    public let unitName: String
    /// `court`, `department` or `city`.
    public let unitKind: String
    /// `filing` or `trial` for the stage rows of a stage-split indicator.
    public let stage: String?
    public let numerator: Int64
    public let denominator: Int64
    public let unitOfMeasure: String
    public let thresholdPer10k: Int64?
    public let thresholdDocument: String?
    public let reviewLimitHours: Int64?
    public let status: ComplianceStatus
    /// For ``ComplianceStatus/dataProblem``: what is wrong and what to record.
    public let problem: String?
    /// For the role rows of a staff measure: `judge`, `judge_assistant`, `clerk` or `other`.
    public var role: String? = nil

    /// 员额法官, 法官助理, 书记员, 其他人员: a role as the court writes it.
    public static func roleName(_ role: String) -> String {
        switch role {
        case "judge": "员额法官"
        case "judge_assistant": "法官助理"
        case "clerk": "书记员"
        case "other": "其他人员"
        default: role
        }
    }
    /// The policy event (node, seq; seq 0 for the plan) the threshold in force came from.
    public var thresholdSource: Publication.EventRef?
    /// The policy event the review limit in force came from, for indicators within a limit.
    public var reviewLimitSource: Publication.EventRef?

    /// The value ×10,000, rounded half up like ``valueText`` (protocol "Rounding"); nil without
    /// data. Thresholds are compared on the exact fraction, never on a rounded value.
    public var valuePer10k: Int64? { denominator > 0 ? (numerator * 20_000 / denominator + 1) / 2 : nil }

    /// The value as a bulletin writes it: `99.12%` or `0.235`, or `—` without data.
    public var valueText: String { Self.format(numerator: numerator, denominator: denominator, unit: unitOfMeasure) }

    public var thresholdText: String {
        guard let t = thresholdPer10k else { return "—" }
        return "≥ " + Self.format(numerator: t, denominator: 10_000, unit: unitOfMeasure)
    }

    /// Exact decimal formatting with integer arithmetic (half up): two decimals for percentages,
    /// three for per-case values.
    public static func format(numerator: Int64, denominator: Int64, unit: String) -> String {
        guard denominator > 0 else { return "—" }
        if unit == "percent" {
            let hundredths = (numerator * 20_000 / denominator + 1) / 2
            return "\(hundredths / 100).\(pad2(hundredths % 100))%"
        }
        let thousandths = (numerator * 2_000 / denominator + 1) / 2
        let frac = thousandths % 1000
        return "\(thousandths / 1000).\(frac < 10 ? "00" : frac < 100 ? "0" : "")\(frac)"
    }

    static func pad2(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
}
