import CanonicalJSON

/// One sealed event: the envelope of `protocol/README.md`, with its hash and signature.
public struct SignedEvent: Sendable, Equatable {
    public let node: String
    public let seq: Int64
    /// The content: id, type, at, dept, data.
    public let draft: EventDraft
    public let prev: EventHash
    public let hash: EventHash
    public let sig: [UInt8]
    /// The RFC 8785 bytes of the signed body, which `hash` is computed over.
    public let body: [UInt8]

    public var id: String { draft.id }
    public var type: String { draft.type }
    public var at: EventTime { draft.at }
    public var dept: String? { draft.dept }
    public var data: [String: JSONValue] { draft.data }

    /// The members an envelope may have.
    public static let envelopeMembers: Set<String> = ["v", "node", "seq", "id", "type", "at", "dept", "data", "prev", "hash", "sig"]

    init(node: String, seq: Int64, draft: EventDraft, prev: EventHash, hash: EventHash, sig: [UInt8], body: [UInt8]) {
        self.node = node
        self.seq = seq
        self.draft = draft
        self.prev = prev
        self.hash = hash
        self.sig = sig
        self.body = body
    }

    /// Writes the canonical body. Envelope member names are ASCII, so their RFC 8785 order is
    /// fixed: at, data, dept, id, node, prev, seq, type, v.
    public static func canonicalBody(node: String, seq: Int64, draft: EventDraft, prev: EventHash) -> [UInt8] {
        let prepared = PreparedDraft(draft, node: node)
        var out = prepared.bodyHead
        Hex.append(prev.bytes, to: &out)
        out.append(contentsOf: prepared.bodyTail(seq: seq))
        return out
    }

    /// The export line: the canonical JSON of the whole envelope, without the newline.
    public var exportLine: [UInt8] {
        // The body ends with `,"v":1}`; hash and sig sort between sig-less members "dept"/"id"
        // and others, so rebuild the full object canonically instead of splicing.
        var members: [String: JSONValue] = [
            "v": .int(1), "node": .string(node), "seq": .int(seq), "id": .string(id), "type": .string(type),
            "at": .string(at.text), "data": .object(data), "prev": .string(prev.hex),
            "hash": .string(hash.hex), "sig": .string(Hex.encode(sig)),
        ]
        if let dept { members["dept"] = .string(dept) }
        return CanonicalEncoder.encode(.object(members))
    }

    /// Reads one envelope and checks everything that needs no other event and no key:
    /// members, kinds, the catalog, the policy role, and that `hash` is the hash of the body.
    public init(parsing line: [UInt8], catalog: EventCatalog = .shipped) throws(EventError) {
        self = try Self.parsed(line, catalog: catalog).event
    }

    /// The same check, also giving the draft as prepared for the body (its content digest and
    /// stored columns), so that a store keeps what the parse computed instead of computing it again.
    ///
    /// A line in canonical form (what nodes push) is read in one pass without a JSON tree
    /// (``CanonicalEnvelope``); any other line, and every line that is refused, is read by
    /// ``parsedAsTree(_:catalog:)``, so the outcome and the error are the same either way.
    public static func parsed(_ line: [UInt8], catalog: EventCatalog = .shipped) throws(EventError) -> (event: SignedEvent, prepared: PreparedDraft) {
        if let read = CanonicalEnvelope.parse(line, catalog: catalog) { return read }
        return try parsedAsTree(line, catalog: catalog)
    }

    /// The general reader: the whole line parsed as JSON, then checked as an envelope. It is the
    /// reference the one-pass reader is tested against, and it words every refusal.
    public static func parsedAsTree(_ line: [UInt8], catalog: EventCatalog = .shipped) throws(EventError) -> (event: SignedEvent, prepared: PreparedDraft) {
        let value: JSONValue
        do { value = try StrictJSONParser.parse(line) } catch {
            switch error.kind {
            case .floatingPoint: throw EventError(error.reason)
            case .duplicateMember: throw EventError(error.description)
            case .other: throw EventError("not valid JSON: \(error.description)")
            }
        }
        return try checked(envelope: value, catalog: catalog)
    }

    /// Checks an envelope already parsed as JSON (see ``init(parsing:catalog:)``).
    public init(envelope value: JSONValue, catalog: EventCatalog = .shipped) throws(EventError) {
        self = try Self.checked(envelope: value, catalog: catalog).event
    }

    /// The same check, also giving the draft as prepared for the body: its content digest and
    /// stored columns, which a store compares with its columns without computing them again.
    public static func checked(envelope value: JSONValue, catalog: EventCatalog = .shipped) throws(EventError) -> (event: SignedEvent, prepared: PreparedDraft) {
        guard case .object(let m) = value else { throw EventError("not valid JSON for an event: an envelope is a JSON object") }
        let seqValue = m["seq"]?.intValue
        do throws(EventError) {
            // The unknown member named is the first in sorted order; sorted only when there is one.
            if m.keys.contains(where: { !Self.envelopeMembers.contains($0) }) {
                for key in m.keys.sorted() where !Self.envelopeMembers.contains(key) {
                    throw EventError("unknown envelope member '\(key)': an envelope has only \(Self.envelopeMembers.sorted().joined(separator: ", "))")
                }
            }
            guard m["v"] == .int(catalog.envelopeVersion) else {
                throw EventError("envelope member 'v' must be \(catalog.envelopeVersion)")
            }
            guard let node = m["node"]?.stringValue, node.utf8.count == 6, node.utf8.allSatisfy({ (48...57).contains($0) }) else {
                throw EventError("envelope member 'node' must be a 6-digit court code string")
            }
            guard let seq = seqValue, seq >= 1 else { throw EventError("envelope member 'seq' must be an integer ≥ 1") }
            guard let id = m["id"]?.stringValue else { throw EventError("envelope member 'id' must be a string") }
            guard let type = m["type"]?.stringValue else { throw EventError("envelope member 'type' must be a string") }
            guard let atText = m["at"]?.stringValue else { throw EventError("envelope member 'at' must be a string") }
            let at: EventTime
            do { at = try EventTime(parsing: atText) } catch { throw EventError("at: \(error.reason)") }
            var dept: String?
            if let d = m["dept"] {
                guard case .string(let s) = d else { throw EventError("dept must be a department slug string, or absent for the whole court (never null)") }
                dept = s
            }
            guard case .object(let data)? = m["data"] else { throw EventError("envelope member 'data' must be an object") }
            guard let prevText = m["prev"]?.stringValue, let prev = EventHash(hex: prevText) else {
                throw EventError("envelope member 'prev' must be 64 lowercase hex digits")
            }
            guard let hashText = m["hash"]?.stringValue, let hash = EventHash(hex: hashText) else {
                throw EventError("envelope member 'hash' must be 64 lowercase hex digits")
            }
            guard let sigText = m["sig"]?.stringValue, let sig = Hex.decode(sigText, count: 64) else {
                throw EventError("envelope member 'sig' must be 128 lowercase hex digits")
            }
            let draft = try EventDraft(id: id, type: type, at: at, dept: dept, data: data, catalog: catalog)
            if catalog.types[type]?.role == .policy && node != PolicyAuthority.intermediateCourt {
                throw EventError("policy event \(type) in the log of node \(node): only \(PolicyAuthority.intermediateCourt) (the intermediate court) may write policy")
            }
            if catalog.types[type]?.role == .explanation && node != PolicyAuthority.intermediateCourt,
               let unit = data["unit"]?.stringValue, unit != node {
                throw EventError("explanation for another unit: node \(node) may explain only for its own court (unit \(node)), not for '\(unit)'")
            }
            let prepared = PreparedDraft(draft, node: node)
            var body = prepared.bodyHead
            Hex.append(prev.bytes, to: &body)
            body.append(contentsOf: prepared.bodyTail(seq: seq))
            guard EventHash(ofCanonicalBody: body) == hash else {
                throw EventError("hash mismatch: the event's content was changed after it was sealed (or hash is wrong)")
            }
            return (SignedEvent(node: node, seq: seq, draft: draft, prev: prev, hash: hash, sig: sig, body: body), prepared)
        } catch {
            throw seqValue.map { error.at(seq: $0) } ?? error
        }
    }
}

/// Who may write policy: the intermediate court's node.
public enum PolicyAuthority {
    /// 焦作市中级人民法院, the only writer of policy events.
    public static let intermediateCourt = "410800"
}
