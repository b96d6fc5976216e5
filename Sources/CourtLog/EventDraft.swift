import CanonicalJSON
import Crypto

/// What a court records before the node seals it: the content of an event.
///
/// Two drafts with the same `id` are the same event when their content (type, at, dept, data)
/// is the same; the node stores it once. Different content under one id is refused.
public struct EventDraft: Sendable, Equatable {
    public var id: String
    public var type: String
    public var at: EventTime
    public var dept: String?
    public var data: [String: JSONValue]

    /// Checks the id, the type and its data against the catalog; `at` was checked when parsed.
    public init(id: String, type: String, at: EventTime, dept: String?, data: [String: JSONValue],
                catalog: EventCatalog = .shipped) throws(EventError) {
        try Self.checkID(id)
        try catalog.validate(type: type, data: data)
        if let dept { try Self.checkDeptSlug(dept) }
        self.id = id
        self.type = type
        self.at = at
        self.dept = dept
        self.data = data
    }

    /// The id rule: 1 to 128 characters from `A-Za-z0-9._:@/+-`, starting with a letter or digit.
    public static func checkID(_ id: String) throws(EventError) {
        // Read in place: every event the hub receives passes here.
        func isAlnum(_ c: UInt8) -> Bool { (48...57).contains(c) || (65...90).contains(c) || (97...122).contains(c) }
        func isAllowed(_ c: UInt8) -> Bool {
            switch c {
            case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "/"),
                 UInt8(ascii: "+"), UInt8(ascii: "-"): true
            default: isAlnum(c)
            }
        }
        let u = id.utf8
        guard (1...128).contains(u.count), isAlnum(u.first!), u.allSatisfy(isAllowed) else {
            throw EventError("id '\(id)' is not valid: use 1-128 characters A-Z a-z 0-9 . _ : @ / + -, starting with a letter or digit")
        }
    }

    /// The department slug rule (membership in the plan is checked by the node).
    public static func checkDeptSlug(_ dept: String) throws(EventError) {
        let u = Array(dept.utf8)
        guard (1...64).contains(u.count), u.allSatisfy({ (48...57).contains($0) || (97...122).contains($0) || $0 == 45 }),
              u[0] != 45 else {
            throw EventError("dept must be a department slug such as case-filing (lowercase a-z, 0-9, -), not '\(dept)'")
        }
    }

    /// SHA-256 over the canonical JSON of `{type, at, dept, data}`: equal content, equal digest.
    public var contentDigest: [UInt8] {
        var bytes = canonicalLead()
        bytes.append(contentsOf: #","type":"#.utf8)
        CanonicalEncoder.writeString(type, into: &bytes)
        bytes.append(UInt8(ascii: "}"))
        return Array(SHA256.hash(data: bytes))
    }

    /// `{"at":…,"data":…[,"dept":…]`: the start shared by the canonical content and the
    /// canonical envelope body (their member names sort the same way up to here).
    func canonicalLead() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(320)
        out.append(contentsOf: #"{"at":"#.utf8)
        CanonicalEncoder.writeString(at.text, into: &out)
        out.append(contentsOf: #","data":"#.utf8)
        CanonicalEncoder.write(.object(data), into: &out)
        if let dept {
            out.append(contentsOf: #","dept":"#.utf8)
            CanonicalEncoder.writeString(dept, into: &out)
        }
        return out
    }
}

/// A draft with everything computed that does not depend on its place in the chain, so that
/// it can be done on all cores before the log's write lock is taken.
public struct PreparedDraft: Sendable {
    public let draft: EventDraft
    /// The canonical body up to the previous hash: `{"at":…,"id":…,"node":…,"prev":"`.
    public let bodyHead: [UInt8]
    public let contentDigest: [UInt8]
    public let columns: ProjectionColumns

    public init(_ draft: EventDraft, node: String) {
        self.draft = draft
        var lead = draft.canonicalLead()
        var content = lead
        content.append(contentsOf: #","type":"#.utf8)
        CanonicalEncoder.writeString(draft.type, into: &content)
        content.append(UInt8(ascii: "}"))
        contentDigest = Array(SHA256.hash(data: content))
        lead.append(contentsOf: #","id":"#.utf8)
        CanonicalEncoder.writeString(draft.id, into: &lead)
        lead.append(contentsOf: #","node":"#.utf8)
        CanonicalEncoder.writeString(node, into: &lead)
        lead.append(contentsOf: #","prev":""#.utf8)
        bodyHead = lead
        columns = ProjectionColumns(type: draft.type, data: draft.data)
    }

    /// A draft whose head, digest and columns were taken from canonical bytes already at hand
    /// (``CanonicalEnvelope``): the same values the other initializer computes.
    init(_ draft: EventDraft, bodyHead: [UInt8], contentDigest: [UInt8], columns: ProjectionColumns) {
        self.draft = draft
        self.bodyHead = bodyHead
        self.contentDigest = contentDigest
        self.columns = columns
    }

    /// The rest of the body after the previous hash: `","seq":…,"type":…,"v":1}`.
    func bodyTail(seq: Int64) -> [UInt8] {
        var tail: [UInt8] = []
        tail.reserveCapacity(64)
        tail.append(contentsOf: #"","seq":"#.utf8)
        CanonicalEncoder.writeInteger(seq, into: &tail)
        tail.append(contentsOf: #","type":"#.utf8)
        CanonicalEncoder.writeString(draft.type, into: &tail)
        tail.append(contentsOf: #","v":1}"#.utf8)
        return tail
    }
}
