import CanonicalJSON

/// The few values of an event's data that projections read, stored as columns beside the
/// canonical bytes so that replay never parses JSON (design decision 4).
///
/// They are derived from the signed data by one rule, documented in `protocol/README.md`
/// ("Stored columns"); a verifier recomputes them and treats any difference as tampering.
public struct ProjectionColumns: Sendable, Equatable {
    /// `case_no`, `application_id`, `petition_id` or `staff_id`: what distinct counts count.
    public var subject: String?
    /// The manner: `channel`, `mode`, `method`, `app` or `stage`.
    public var channel: String?
    /// The yes/no outcome: decision approved, outcome success, via_platform, qualified, streamed.
    public var ok: Bool?
    /// `decided_at − submitted_at` in seconds, for review-time limits.
    public var delaySeconds: Int64?
    /// `headcount` of `roster.set`.
    public var amount: Int64?
    /// `system` of `system.used`: which supervised system was used.
    public var system: String?
    /// `role` of `staff.active` and `roster.set` (员额法官 `judge`, 法官助理 `judge_assistant`,
    /// 书记员 `clerk`, `other`): breaks staff measures down by role.
    public var role: String?

    public init(subject: String? = nil, channel: String? = nil, ok: Bool? = nil, delaySeconds: Int64? = nil, amount: Int64? = nil,
                system: String? = nil, role: String? = nil) {
        self.subject = subject
        self.channel = channel
        self.ok = ok
        self.delaySeconds = delaySeconds
        self.amount = amount
        self.system = system
        self.role = role
    }

    /// Derives the columns of validated data.
    public init(type: String, data: [String: JSONValue]) {
        self.init()
        subject = (data["case_no"] ?? data["staff_id"] ?? data["application_id"] ?? data["petition_id"])?.stringValue
        channel = (data["channel"] ?? data["mode"] ?? data["method"] ?? data["app"] ?? data["stage"])?.stringValue
        if let decision = data["decision"]?.stringValue { ok = decision == "approved" }
        else if let outcome = data["outcome"]?.stringValue { ok = outcome == "success" }
        else if let b = (data["via_platform"] ?? data["qualified"] ?? data["streamed"])?.boolValue { ok = b }
        if let s = data["submitted_at"]?.stringValue, let d = data["decided_at"]?.stringValue,
           let submitted = try? EventTime(parsing: s), let decided = try? EventTime(parsing: d) {
            delaySeconds = decided.utcSeconds - submitted.utcSeconds
        }
        amount = data["headcount"]?.intValue
        system = data["system"]?.stringValue
        role = data["role"]?.stringValue
    }
}
