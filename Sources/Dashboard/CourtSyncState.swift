import CourtLog
/// One court of the plan as the hub sees it: enrolled or not, what it holds of the court's log,
/// what the node last reported holding, when it last pushed, and its alarms. Built by the hub,
/// shown by the dashboard and by `courtsync hub status`.
public struct CourtSyncState: Sendable, Equatable {
    public let court: String
    public let name: String
    /// `active`, `revoked`, or nil when the court was never enrolled.
    public let enrollment: String?
    /// The last seq the hub holds of the court's log.
    public let heldSeq: Int64
    /// The head the node reported with its last push (nil: never pushed).
    public let reportedSeq: Int64?
    /// Unix seconds of the last accepted push (nil: never pushed).
    public let lastPush: Int64?
    public let alarms: Int

    public init(court: String, name: String, enrollment: String?, heldSeq: Int64, reportedSeq: Int64?, lastPush: Int64?, alarms: Int) {
        self.court = court
        self.name = name
        self.enrollment = enrollment
        self.heldSeq = heldSeq
        self.reportedSeq = reportedSeq
        self.lastPush = lastPush
        self.alarms = alarms
    }

    /// Events the node reported that the hub does not hold yet.
    public var lagEvents: Int64 { max(0, (reportedSeq ?? heldSeq) - heldSeq) }

    /// The state in Chinese, for a person.
    public var enrollmentText: String {
        switch enrollment {
        case "active": "已接入"
        case "revoked": "已吊销"
        case nil: "未接入"
        case let other?: other
        }
    }

    /// "3 分钟前", "2 天前", or "从未同步".
    public func sinceText(now: Int64) -> String {
        guard let lastPush else { return "从未同步" }
        let s = max(0, now - lastPush)
        if s < 60 { return "\(s) 秒前" }
        if s < 3600 { return "\(s / 60) 分钟前" }
        if s < 86400 { return "\(s / 3600) 小时前" }
        return "\(s / 86400) 天前"
    }

    /// Beijing time of the last push, `2023-08-01 09:30:00`.
    public static func beijing(_ seconds: Int64) -> String {
        let t = seconds + 8 * 3600
        let rem = t - (t >= 0 ? t / 86400 : (t - 86399) / 86400) * 86400
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(CivilDate(utcSeconds: t).text) \(two(rem / 3600)):\(two(rem % 3600 / 60)):\(two(rem % 60))"
    }
}
