import CanonicalJSON

/// Why the hub refused a request, as a caller branches on it (protocol §15.3): shared by the hub,
/// which raises it and maps it to a status and a JSON body once, and the node, which decodes the
/// body back and switches on the case. The message is for people; no caller reads it.
public struct HubRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, with what a caller needs to act on it.
    public enum Reason: Sendable, Equatable {
        /// The batch starts beyond the hub's head + 1: push again from `cursor + 1`.
        case gap(cursor: Int64)
        /// A held seq with a different hash, or a first new event whose `prev` is not the hub's
        /// head: a second history of the court. `seq` is where they differ; `held` the hash the
        /// hub holds there (or at `cursor`, its head), as evidence the node can compare.
        case fork(cursor: Int64, seq: Int64, held: String?)
        /// After a recovery from a mirror (protocol §16.13) the hub's tree already holds an entry
        /// for this seq with another hash (`expected`): the court's log is not the one the hub
        /// accepted and its witnesses cosigned. Push nothing more; report it.
        case notExpected(seq: Int64, expected: String)
        /// An event's signature does not verify under the node's enrolled key; the batch was
        /// refused at the first such seq, without verifying the rest.
        case badSignature(seq: Int64)
        /// A node pushes to another court's path, or a batch carries another node's events.
        case wrongCourt
        /// The certificate's court is not enrolled at this hub.
        case notEnrolled
        /// The node is revoked, or its certificate was replaced by a newer enrollment.
        case revoked
        /// No verified certificate and no known token.
        case unauthorized
        /// The caller may not do this (a node reading another court's log, an auditor pushing).
        case forbidden
        /// The push body is larger than `limit` bytes.
        case tooLarge(limit: Int)
        /// A pushed line is not a valid event; `line` is 1-based in the body, `seq` when known.
        case malformed(line: Int?, seq: Int64?)
        /// The path or the batch's shape is wrong (court not 6 digits, empty, not contiguous).
        case badRequest
        /// A query parameter is missing or wrong.
        case badQuery
        /// The request head or body did not arrive in time; the connection is closed.
        case requestTimeout
        /// The hub is at its limit for this kind of work: ask again after `retryAfter` seconds.
        case busy(retryAfter: Int)
        /// The tree size, seq or tile asked for is not held.
        case notFound

        /// The reason of a word that carries no members (`forbidden`, `bad-query`, ...); nil for
        /// the others and for unknown words.
        public init?(plain word: String) {
            switch word {
            case "wrong-court": self = .wrongCourt
            case "not-enrolled": self = .notEnrolled
            case "revoked": self = .revoked
            case "unauthorized": self = .unauthorized
            case "forbidden": self = .forbidden
            case "bad-request": self = .badRequest
            case "bad-query": self = .badQuery
            case "request-timeout": self = .requestTimeout
            case "not-found": self = .notFound
            default: return nil
            }
        }
    }

    public let reason: Reason
    /// One line for a person: what is wrong and what to do.
    public let message: String

    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { message }

    /// The HTTP status the hub answers with.
    public var statusCode: Int {
        switch reason {
        case .gap, .fork, .notExpected: 409
        case .badSignature: 422
        case .wrongCourt, .notEnrolled, .revoked, .forbidden: 403
        case .unauthorized: 401
        case .tooLarge: 413
        case .malformed, .badRequest, .badQuery: 400
        case .requestTimeout: 408
        case .busy: 503
        case .notFound: 404
        }
    }

    /// The stable word of the body's `reason` member and of the refusal metric's label.
    public var word: String {
        switch reason {
        case .gap: "gap"
        case .fork: "fork"
        case .notExpected: "not-expected"
        case .badSignature: "invalid"
        case .wrongCourt: "wrong-court"
        case .notEnrolled: "not-enrolled"
        case .revoked: "revoked"
        case .unauthorized: "unauthorized"
        case .forbidden: "forbidden"
        case .tooLarge: "too-large"
        case .malformed: "malformed"
        case .badRequest: "bad-request"
        case .badQuery: "bad-query"
        case .requestTimeout: "request-timeout"
        case .busy: "busy"
        case .notFound: "not-found"
        }
    }

    /// The body: `{"error", "reason"}` and the members of the reason (protocol §15.3).
    public var json: JSONValue {
        var o: [String: JSONValue] = ["error": .string(message), "reason": .string(word)]
        switch reason {
        case .gap(let cursor): o["cursor"] = .int(cursor)
        case .fork(let cursor, let seq, let held):
            o["cursor"] = .int(cursor)
            o["seq"] = .int(seq)
            if let held { o["held"] = .string(held) }
        case .badSignature(let seq): o["seq"] = .int(seq)
        case .notExpected(let seq, let expected):
            o["seq"] = .int(seq)
            o["expected"] = .string(expected)
        case .tooLarge(let limit): o["limit"] = .int(Int64(limit))
        case .malformed(let line, let seq):
            if let line { o["line"] = .int(Int64(line)) }
            if let seq { o["seq"] = .int(seq) }
        case .busy(let retryAfter): o["retry_after"] = .int(Int64(retryAfter))
        default: break
        }
        return .object(o)
    }

    /// Reads a refusal back from the hub's body; nil when the body is not one (a proxy's page,
    /// a reason this version does not know, or a member missing for its reason).
    public init?(json: JSONValue) {
        guard let message = json["error"]?.stringValue, let word = json["reason"]?.stringValue else { return nil }
        let reason: Reason
        switch word {
        case "gap":
            guard let cursor = json["cursor"]?.intValue else { return nil }
            reason = .gap(cursor: cursor)
        case "fork":
            guard let cursor = json["cursor"]?.intValue else { return nil }
            reason = .fork(cursor: cursor, seq: json["seq"]?.intValue ?? cursor + 1, held: json["held"]?.stringValue)
        case "not-expected":
            guard let seq = json["seq"]?.intValue, let expected = json["expected"]?.stringValue else { return nil }
            reason = .notExpected(seq: seq, expected: expected)
        case "invalid":
            guard let seq = json["seq"]?.intValue else { return nil }
            reason = .badSignature(seq: seq)
        case "too-large": reason = .tooLarge(limit: json["limit"]?.intValue.map { Int($0) } ?? ApiPaths.maxPushBytes)
        case "malformed": reason = .malformed(line: json["line"]?.intValue.map { Int($0) }, seq: json["seq"]?.intValue)
        case "busy": reason = .busy(retryAfter: json["retry_after"]?.intValue.map { Int($0) } ?? 1)
        default:
            guard let plain = Reason(plain: word) else { return nil }
            reason = plain
        }
        self.init(reason, message)
    }
}
