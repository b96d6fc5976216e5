/// A plan file, or a name looked up in it, that is not right. Says which field or name.
public struct PlanError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
