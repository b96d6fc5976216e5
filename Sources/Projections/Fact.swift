import CourtLog

/// What projections read of a usage event: the stored columns, never the JSON
/// (`protocol/README.md`, "Stored columns").
public struct Fact: Sendable, Equatable {
    public var node: String
    public var seq: Int64
    public var type: String
    /// `yyyy * 100 + mm` of `at` in UTC+08:00.
    public var month: Int
    public var atUTC: Int64
    public var dept: String?
    public var columns: ProjectionColumns
    /// When the store learned of the event (the second clock).
    public var recordedAt: Int64

    public init(node: String, seq: Int64, type: String, month: Int, atUTC: Int64, dept: String?,
                columns: ProjectionColumns, recordedAt: Int64) {
        self.node = node
        self.seq = seq
        self.type = type
        self.month = month
        self.atUTC = atUTC
        self.dept = dept
        self.columns = columns
        self.recordedAt = recordedAt
    }

    /// The fact of a signed event.
    public init(_ e: SignedEvent, recordedAt: Int64) {
        self.init(node: e.node, seq: e.seq, type: e.type, month: e.at.beijingMonth, atUTC: e.at.utcSeconds, dept: e.dept,
                  columns: ProjectionColumns(type: e.type, data: e.data), recordedAt: recordedAt)
    }
}
