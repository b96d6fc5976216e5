import CanonicalJSON
import CourtLog

/// A policy or explanation event as projections read it (policy is rare, so its data is kept).
public struct PolicyEvent: Sendable {
    public let node: String
    public let seq: Int64
    public let type: String
    public let at: EventTime
    public let recordedAt: Int64
    public let data: [String: JSONValue]

    public init(node: String, seq: Int64, type: String, at: EventTime, recordedAt: Int64, data: [String: JSONValue]) {
        self.node = node
        self.seq = seq
        self.type = type
        self.at = at
        self.recordedAt = recordedAt
        self.data = data
    }

    public init(_ e: SignedEvent, recordedAt: Int64) {
        self.init(node: e.node, seq: e.seq, type: e.type, at: e.at, recordedAt: recordedAt, data: e.data)
    }

    /// Whether events of this type are policy or explanations (kept whole by the store).
    public static func isPolicy(_ type: String) -> Bool {
        EventCatalog.shipped.types[type].map { $0.role != .usage } ?? false
    }
}
