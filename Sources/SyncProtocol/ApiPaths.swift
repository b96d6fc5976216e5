/// Every URL path of the hub's HTTP API, in one place. `protocol/openapi.yaml` documents the
/// same paths; a test compares the two.
public enum ApiPaths {
    public static let health = "/healthz"
    public static let metrics = "/metrics"
    /// `GET`: how far the hub holds a node's log. `{court}` is a court code.
    public static let cursor = "/v1/nodes/{court}/cursor"
    /// `POST`: push a contiguous batch of the node's own log (JSON Lines). `GET`: read a range.
    public static let events = "/v1/nodes/{court}/events"
    public static let compliance = "/v1/query/compliance"
    public static let assignments = "/v1/query/assignments"
    public static let trend = "/v1/query/trend"
    public static let accountability = "/v1/query/accountability"
    /// 意见建议 and problems, with age and overdue (`courtsync query suggestions`).
    public static let suggestions = "/v1/query/suggestions"
    /// 考核 scores of a period (`courtsync query scores`).
    public static let scores = "/v1/query/scores"
    /// `GET`: the latest signed checkpoint of the hub's transparency log (C2SP tlog-checkpoint; public).
    public static let checkpoint = "/checkpoint"
    /// `GET`: C2SP tlog-tiles: `/tile/<L>/<N>[.p/<W>]` and `/tile/entries/<N>[.p/<W>]` (public).
    public static let tile = "/tile/{path}"
    /// `GET ?court=&seq=&size=`: RFC 9162 inclusion proof of an event's entry (public).
    public static let inclusionProof = "/v1/proof/inclusion"
    /// `GET ?from=&size=`: key-log records from `from` on, each with its inclusion proof (public).
    public static let keyLogProofs = "/v1/proof/keylog"
    /// Key-log records in one answer of ``keyLogProofs`` at most.
    public static let keyLogProofsLimit = 1_000
    /// `GET ?from=&to=`: RFC 9162 consistency proof between two tree sizes (public).
    public static let consistencyProof = "/v1/proof/consistency"
    /// `GET ?from=&to=`: a receipt, with proof, for a range of the node's log the hub already holds.
    public static let receipt = "/v1/nodes/{court}/receipt"
    /// `POST {"size", "cosignature"}`: a node, as a witness, cosigns a checkpoint (C2SP tlog-cosignature).
    public static let cosignature = "/v1/nodes/{court}/cosignature"
    /// `GET ?quorum=k`: the largest checkpoint cosigned by at least k witnesses, with their lines (public).
    public static let witnessedCheckpoint = "/v1/checkpoint/witnessed"
    /// Witnesses that make a checkpoint witnessed, by default (protocol §16.8).
    public static let defaultQuorum = 3

    /// (method, path) of every route the hub serves.
    public static let routes: [(method: String, path: String)] = [
        ("GET", health), ("GET", metrics), ("GET", cursor), ("POST", events), ("GET", events),
        ("GET", compliance), ("GET", assignments), ("GET", trend), ("GET", accountability),
        ("GET", suggestions), ("GET", scores),
        ("GET", checkpoint), ("GET", tile), ("GET", inclusionProof), ("GET", keyLogProofs), ("GET", consistencyProof), ("GET", receipt),
        ("POST", cosignature), ("GET", witnessedCheckpoint),
    ]

    public static func path(_ template: String, court: String) -> String {
        template.replacingOccurrences(of: "{court}", with: court)
    }

    /// The request header in which a pushing node reports its own head seq.
    public static let nodeHeadHeader = "X-CourtSync-Node-Head"

    /// The largest push body the hub accepts; larger gets 413.
    public static let maxPushBytes = 8 * 1024 * 1024
    /// Events a node puts in one push.
    public static let pushBatch = 2_000
    /// Pushes a node keeps in flight: the hub verifies the next batch while it stores the one
    /// before, and stores them in seq order (protocol §15.5).
    public static let pushesInFlight = 2
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: target) {
            out += rest[..<r.lowerBound] + replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

extension Substring {
    fileprivate func range(of target: String) -> Range<Substring.Index>? {
        guard !target.isEmpty else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(target) { return i..<index(i, offsetBy: target.count) }
            i = index(after: i)
        }
        return nil
    }
}
