import CanonicalJSON
import CourtLog
import Crypto
import Foundation

/// A record of the key log (protocol §16.10): an enrollment, rotation or revocation, signed by
/// 410800's event key (record 1, 410800's own enrollment, by that key itself). Its tree entry
/// is `0x02 ‖ JCS(record)`.
public struct KeyLogRecord: Sendable {
    public static let domain = "courtsync/key-log/v1"
    public static let entryKind: UInt8 = 0x02
    /// The `node` under which the hub's tree stores key-log leaves; their `seq` is `n`.
    public static let treeName = "keylog"

    public enum Action: String, Sendable { case enroll, rotate, revoke }

    public let n: Int64
    public let action: Action
    public let court: String
    public let courtName: String
    public let publicKey: String
    public let document: SignedDocument

    public var body: JSONValue { document.body }
    public var isLegacy: Bool { body["legacy"] == .bool(true) }
    public var reason: String? { body["reason"]?.stringValue }
    public var at: String { body["at"]?.stringValue ?? "" }
    /// A rotation's `from_seq`: the seq from which the new key signs (protocol §10, §16.10).
    public var fromSeq: Int64? { body["from_seq"]?.intValue }

    /// Makes and signs a record; `fields` holds the action's own members (request, rotation, reason…).
    public static func make(n: Int64, action: Action, court: String, courtName: String, publicKey: String, at: String,
                            fields: [String: JSONValue], key: NodeKey) -> KeyLogRecord {
        var body: [String: JSONValue] = fields
        body["format"] = "courtsync-key-log/1"
        body["n"] = .int(n)
        body["action"] = .string(action.rawValue)
        body["court"] = .string(court)
        if action != .revoke { body["court_name"] = .string(courtName) }
        body["public_key"] = .string(publicKey)
        body["at"] = .string(at)
        // Well-formed by construction.
        return try! KeyLogRecord(json: SignedDocument(domain: domain, body: .object(body), key: key).json)
    }

    public init(json: JSONValue) throws(EventError) {
        let doc = try SignedDocument(json: json, domain: Self.domain)
        guard doc.body["format"]?.stringValue == "courtsync-key-log/1", let n = doc.body["n"]?.intValue,
              let action = doc.body["action"]?.stringValue.flatMap(Action.init(rawValue:)), let court = doc.body["court"]?.stringValue,
              let key = doc.body["public_key"]?.stringValue else {
            throw EventError("not a key-log record (format courtsync-key-log/1 with n, action, court and public_key)")
        }
        self.n = n
        self.action = action
        self.court = court
        self.courtName = doc.body["court_name"]?.stringValue ?? ""
        self.publicKey = key
        self.document = doc
    }

    /// Reads a tree entry of kind 0x02.
    public init(entry: [UInt8]) throws(EventError) {
        guard entry.first == Self.entryKind, let json = try? StrictJSONParser.parse(Array(entry.dropFirst())) else {
            throw EventError("not a key-log entry (0x02 followed by a record's canonical JSON)")
        }
        try self.init(json: json)
    }

    public var json: JSONValue { document.json }
    public var entry: [UInt8] { [Self.entryKind] + CanonicalEncoder.encode(document.json) }
}

/// A court's request to replace its event key, signed by the old key; it carries an enrollment
/// request made and self-signed by the new key (protocol §16.10).
public struct RotationRequest: Sendable {
    public static let domain = "courtsync/rotate-request/v1"
    public let court: String
    public let oldPublicKey: NodePublicKey
    public let request: EnrollmentRequest
    /// The seq from which the new key signs the court's events (the node's head + 1 when it
    /// made the request); nil in a request made before the member existed.
    public let fromSeq: Int64?
    public let document: SignedDocument

    /// A request, signed by `oldKey`, for the new key to sign the court's events from `fromSeq` on.
    public static func make(oldKey: NodeKey, request: EnrollmentRequest, fromSeq: Int64, now: String) -> RotationRequest {
        let body: JSONValue = ["format": "courtsync-rotate-request/1", "court": .string(request.court), "old_public_key": .string(oldKey.publicKey.hex),
                               "new_public_key": .string(request.nodePublicKey.hex), "created_at": .string(now), "from_seq": .int(fromSeq),
                               "request": request.json]
        return try! RotationRequest(json: SignedDocument(domain: domain, body: body, key: oldKey).json)
    }

    /// Reads a rotation request and checks that the old key signed it and the new key's request verifies.
    public init(json: JSONValue) throws(EventError) {
        let doc = try SignedDocument(json: json, domain: Self.domain)
        guard doc.body["format"]?.stringValue == "courtsync-rotate-request/1", let court = doc.body["court"]?.stringValue,
              let old = doc.body["old_public_key"]?.stringValue, let new = doc.body["new_public_key"]?.stringValue, let req = doc.body["request"] else {
            throw EventError("not a rotation request (format courtsync-rotate-request/1 with court, old_public_key, new_public_key and request): make it with `courtsync node rotate-request`")
        }
        let oldKey = try NodePublicKey(hex: old)
        guard doc.isSigned(by: oldKey) else {
            throw EventError("the rotation request is not signed by the old key it names: only the holder of the court's current key can rotate it")
        }
        let request = try EnrollmentRequest(json: req)
        guard request.court == court, request.nodePublicKey.hex == new else {
            throw EventError("the rotation request's enrollment request is not court \(court)'s request for the new key it names")
        }
        if let member = doc.body["from_seq"] {
            guard let seq = member.intValue, seq >= 1 else {
                throw EventError("the rotation request's from_seq must be an integer of at least 1 (the seq from which the new key signs): make it again with `courtsync node rotate-request`")
            }
            self.fromSeq = seq
        } else {
            self.fromSeq = nil
        }
        self.court = court
        self.oldPublicKey = oldKey
        self.request = request
        self.document = doc
    }

    public var json: JSONValue { document.json }
}

/// The key log replayed (protocol §16.10): each court's active key and the keys never to be
/// admitted again. A pure fold: `apply` checks one record against every rule and changes
/// nothing when it throws.
public struct KeyLog: Sendable {
    public struct Court: Sendable, Equatable {
        public let publicKey: String
        public let courtName: String
        public let active: Bool
        public let n: Int64
    }

    public private(set) var authority: NodePublicKey?
    public private(set) var courts: [String: Court] = [:]
    /// One key a court has held, in key-log order (protocol §16.10).
    public struct HeldKey: Sendable, Equatable {
        public enum Status: String, Sendable { case active, rotated, revoked }
        public let publicKey: String
        public let fromRecord: Int64
        /// The seq from which the key signs, when its rotation record names one.
        public var fromSeq: Int64? = nil
        public var status: Status
        public var reason: String?
    }

    public private(set) var retired: [String: String] = [:]
    /// The court whose active key each key is: `admissible` looks a key up here, where it
    /// searched every court's (a replay of a nation's key log was quadratic in its courts).
    private var activeKeys: [String: String] = [:]
    /// Every key each court has held, oldest first.
    public private(set) var history: [String: [HeldKey]] = [:]
    public private(set) var count: Int64 = 0
    public private(set) var checkpointVerifierKey: String?

    public init() {}

    public static let hubCourt = "410800"

    func fingerprint(_ hex: String) -> String { (try? NodePublicKey(hex: hex).fingerprint) ?? String(hex.prefix(16)) }

    func admissible(_ key: String) throws(EventError) {
        if let why = retired[key] {
            throw EventError("key \(fingerprint(key)) was \(why): a key revoked or rotated out is never admitted again; the court must make a new key")
        }
        if activeKeys[key] != nil {
            throw EventError("key \(fingerprint(key)) is already another court's active key: each court needs its own key")
        }
    }

    /// Applies one record, or throws the first rule it breaks.
    public mutating func apply(_ record: KeyLogRecord) throws(EventError) {
        guard record.n == count + 1 else { throw EventError("key-log record \(record.n) is out of order: the next record must be n = \(count + 1)") }
        guard record.court.utf8.count == 6, record.court.allSatisfy({ $0.isASCII && $0.isNumber }), let key = try? NodePublicKey(hex: record.publicKey) else {
            throw EventError("key-log record \(record.n) needs a 6-digit court and a 64-hex public_key")
        }
        guard let authority else {
            guard record.action == .enroll, record.court == Self.hubCourt, record.document.isSigned(by: key),
                  let vkey = record.body["checkpoint_verifier_key"]?.stringValue else {
                throw EventError("the first key-log record must enroll 410800, signed by its own key, naming the checkpoint key")
            }
            self.authority = key
            checkpointVerifierKey = vkey
            courts[record.court] = Court(publicKey: record.publicKey, courtName: record.courtName, active: true, n: record.n)
            activeKeys[record.publicKey] = record.court
            history[record.court] = [HeldKey(publicKey: record.publicKey, fromRecord: record.n, status: .active)]
            count = record.n
            return
        }
        guard record.document.isSigned(by: authority) else {
            throw EventError("key-log record \(record.n) is not countersigned by 410800's key (\(authority.fingerprint)): it was forged or altered")
        }
        guard record.court != Self.hubCourt || record.action == .rotate else {
            throw EventError("410800 is enrolled once, by the first key-log record; its key changes only by a rotation signed by its old key (`courtsync hub rotate-key`)")
        }
        let current = courts[record.court]
        switch record.action {
        case .enroll:
            if let current, current.active {
                throw EventError("court \(record.court) is already enrolled with key \(fingerprint(current.publicKey)): a new key needs a rotation signed by the old key (`courtsync node rotate-request`, then `courtsync hub rotate`), or a revocation with a reason first (`courtsync hub revoke --reason`)")
            }
            try admissible(record.publicKey)
            if !record.isLegacy {
                guard let req = record.body["request"] else { throw EventError("key-log record \(record.n) enrolls \(record.court) without its enrollment request") }
                let request = try EnrollmentRequest(json: req)
                guard request.court == record.court, request.nodePublicKey == key else {
                    throw EventError("key-log record \(record.n): the enrollment request is not court \(record.court)'s request for key \(key.fingerprint)")
                }
            }
        case .rotate:
            guard let old = record.body["old_public_key"]?.stringValue, let current, current.active, current.publicKey == old else {
                throw EventError("court \(record.court) has no active key to rotate from as record \(record.n) claims")
            }
            try admissible(record.publicKey)
            guard let rot = record.body["rotation"] else { throw EventError("key-log record \(record.n) rotates without the court's rotation request") }
            let rotation = try RotationRequest(json: rot)
            guard rotation.court == record.court, rotation.oldPublicKey.hex == old, rotation.request.nodePublicKey == key else {
                throw EventError("key-log record \(record.n): the rotation request does not name this court, old key and new key")
            }
            guard record.body["from_seq"] == rotation.fromSeq.map(JSONValue.int) else {
                throw EventError("key-log record \(record.n): the record's from_seq is not the one the court's rotation request names: the hub must copy it unchanged")
            }
            retired[old] = "rotated out of \(record.court)"
            // 410800's own rotation, signed by its old key: the new key countersigns every later record.
            if record.court == Self.hubCourt { self.authority = key }
        case .revoke:
            guard let current, current.active, current.publicKey == record.publicKey else {
                throw EventError("court \(record.court) has no active key \(key.fingerprint) to revoke")
            }
            guard let reason = record.reason, !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw EventError("a revocation must give its reason: `courtsync hub revoke --reason \"…\"`")
            }
            retired[record.publicKey] = "revoked for \(record.court)"
            courts[record.court] = Court(publicKey: current.publicKey, courtName: current.courtName, active: false, n: record.n)
            activeKeys[current.publicKey] = nil
            if var held = history[record.court], !held.isEmpty {
                held[held.count - 1].status = .revoked
                held[held.count - 1].reason = reason
                history[record.court] = held
            }
            count = record.n
            return
        }
        if let current, current.active { activeKeys[current.publicKey] = nil }
        courts[record.court] = Court(publicKey: record.publicKey, courtName: record.courtName.isEmpty ? (current?.courtName ?? "") : record.courtName,
                                     active: true, n: record.n)
        activeKeys[record.publicKey] = record.court
        var held = (history[record.court] ?? []).map { key in
            var key = key
            if key.status == .active { key.status = .rotated }
            return key
        }
        held.append(HeldKey(publicKey: record.publicKey, fromRecord: record.n, fromSeq: record.action == .rotate ? record.fromSeq : nil, status: .active))
        history[record.court] = held
        count = record.n
    }

    /// `court`'s key history as a log verifier takes it (protocol §10), oldest first; empty when
    /// the key log never enrolled the court.
    public func courtKeys(of court: String) -> [CourtKey] {
        (history[court] ?? []).compactMap { held in
            (try? NodePublicKey(hex: held.publicKey)).map {
                CourtKey(key: $0, revokedFor: held.status == .revoked ? (held.reason ?? "no reason given") : nil, fromSeq: held.fromSeq)
            }
        }
    }

    /// The registry files the key log makes: `<court>.json` → its JSON (protocol §16.10).
    public var registry: [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for court in courts.keys { out[court] = registryEntry(of: court) }
        return out
    }

    /// One court's registry entry (`nodes/<court>.json`), nil when the key log never enrolled it:
    /// the only entry a record for that court changes.
    public func registryEntry(of court: String) -> JSONValue? {
        guard let c = courts[court] else { return nil }
        return ["court": .string(court), "court_name": .string(c.courtName), "public_key": .string(c.publicKey),
                "fingerprint": .string(fingerprint(c.publicKey)), "status": .string(c.active ? "active" : "revoked"), "key_log": .int(c.n),
                "keys": .array((history[court] ?? []).map { held in
                    var entry: [String: JSONValue] = ["public_key": .string(held.publicKey), "fingerprint": .string(fingerprint(held.publicKey)),
                                                      "from_record": .int(held.fromRecord), "status": .string(held.status.rawValue)]
                    if let reason = held.reason { entry["reason"] = .string(reason) }
                    if let from = held.fromSeq { entry["from_seq"] = .int(from) }
                    return .object(entry)
                })]
    }
}
