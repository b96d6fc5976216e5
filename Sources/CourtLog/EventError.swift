/// Why an event, a log or a request was refused: one line a person can act on.
///
/// The `reason` phrases are part of the protocol's test vectors (`protocol/vectors/invalid.json`):
/// a verifier in another language reports the same phrases for the same faults.
public struct EventError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The node sequence number concerned, when known.
    public var seq: Int64?
    /// The 1-based line of the input concerned, when the input was a file.
    public var line: Int?
    /// What is wrong and what to do.
    public var reason: String
    /// For a report of several bad records of one input (each located by line), the records.
    public var records: [EventError] = []

    public init(_ reason: String, seq: Int64? = nil, line: Int? = nil) {
        self.reason = reason
        self.seq = seq
        self.line = line
    }

    public var description: String {
        var prefix = ""
        if let line { prefix += "line \(line): " }
        if let seq { prefix += "seq \(seq): " }
        return prefix + reason
    }

    /// The same error located at a line of an input file.
    public func at(line: Int) -> EventError { var e = self; e.line = line; return e }
    /// The same error located at a sequence number.
    public func at(seq: Int64) -> EventError { var e = self; e.seq = seq; return e }
}
