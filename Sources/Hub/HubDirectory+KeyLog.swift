import CanonicalJSON
import CourtLog
import CourtPlan
import Foundation
import NodeStore
import SyncProtocol
import TransparencyLog

/// The key log (protocol §16.10): every enrollment, rotation and revocation is a record in the
/// transparency log, checked by replaying the whole key log with the rules every auditor uses,
/// and written in the same transaction as the registry change, with a new checkpoint.
extension HubDirectory {
    /// The key log replayed from the hub's records; a record that breaks a rule means the
    /// database was altered.
    public func keyLog() throws -> KeyLog {
        var log = KeyLog()
        for bytes in try self.log.keyLogRecords() {
            guard let json = try? StrictJSONParser.parse(bytes) else { throw StoreError("a key-log record in the hub's database is damaged: restore the hub from a backup") }
            do { try log.apply(try KeyLogRecord(json: json)) } catch {
                throw StoreError("the hub's key log breaks its own rules (\(error)): its database was altered; restore it from a backup")
            }
        }
        return log
    }

    static func isoTime(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        return f.string(from: date)
    }

    /// Checks `record` against the key log and appends it with its registry change; returns the
    /// key log with it. With `requiringHead`, refused (nothing written) unless the court's log at
    /// the hub still ends at that seq when the record is written.
    @discardableResult
    func append(_ record: KeyLogRecord, to log: KeyLog, change: EventStore.RegistryChange, now: Date, first: Bool = false,
                requiringHead: (court: String, seq: Int64)? = nil) throws -> KeyLog {
        var next = log
        try next.apply(record)
        try self.log.appendKeyLog([EventStore.KeyLogAppend(n: record.n, court: record.court, action: record.action.rawValue, publicKey: record.publicKey,
                                                       record: CanonicalEncoder.encode(record.json), entry: record.entry, change: change)],
                               signer: try checkpointSigner(), at: Int64(now.timeIntervalSince1970), first: first, requiringHead: requiringHead)
        try? KeyLogRegistry.update(next, court: record.court, in: "\(path)/nodes")
        return next
    }

    /// Writes record 1 (410800's event key and checkpoint key) when the key log is empty. A hub
    /// made before the key log also gets a `legacy` enrollment for each court it enrolled, and a
    /// revocation for each key it revoked, appended after the entries its tree already holds.
    func ensureKeyLog(now: Date = Date()) throws {
        guard try self.log.keyLogRecords().isEmpty else { return }
        let key = node.key
        let at = Self.isoTime(now)
        var log = KeyLog()
        var records: [KeyLogRecord] = []
        func add(_ r: KeyLogRecord) {
            if (try? log.apply(r)) != nil { records.append(r) }
        }
        add(KeyLogRecord.make(n: 1, action: .enroll, court: PolicyAuthority.intermediateCourt,
                              courtName: (try? node.plan.court(PolicyAuthority.intermediateCourt).name) ?? "", publicKey: key.publicKey.hex, at: at,
                              fields: ["checkpoint_verifier_key": .string(try checkpointVerifierKey)], key: key))
        let name = { (court: String) in (try? self.node.plan.court(court).name) ?? "" }
        for revoked in try self.log.revokedKeys() {
            add(KeyLogRecord.make(n: log.count + 1, action: .enroll, court: revoked.court, courtName: name(revoked.court), publicKey: revoked.publicKey,
                                  at: at, fields: ["legacy": .bool(true)], key: key))
            add(KeyLogRecord.make(n: log.count + 1, action: .revoke, court: revoked.court, courtName: "", publicKey: revoked.publicKey,
                                  at: at, fields: ["reason": "revoked before the key log"], key: key))
        }
        for enrolled in try self.log.enrolledNodes() where enrolled.status == "active" {
            add(KeyLogRecord.make(n: log.count + 1, action: .enroll, court: enrolled.court, courtName: name(enrolled.court), publicKey: enrolled.publicKey,
                                  at: at, fields: ["legacy": .bool(true)], key: key))
        }
        let appends = records.map {
            EventStore.KeyLogAppend(n: $0.n, court: $0.court, action: $0.action.rawValue, publicKey: $0.publicKey,
                                    record: CanonicalEncoder.encode($0.json), entry: $0.entry, change: .none)
        }
        do {
            try self.log.appendKeyLog(appends, signer: try checkpointSigner(), at: Int64(now.timeIntervalSince1970), first: try self.log.treeSize() == 0, requiringHead: nil)
        } catch {
            // Another process wrote record 1 at the same moment: theirs stands.
            if try self.log.keyLogRecords().isEmpty { throw error }
        }
        try? writeRegistry(to: "\(path)/nodes")
    }

    /// Records a node from its request (a key-log enrollment) and writes the bundle it takes home.
    public func enroll(requestJSON: JSONValue, now: Date = Date()) throws -> (bundle: EnrollmentBundle, registryEntry: JSONValue) {
        let request = try EnrollmentRequest(json: requestJSON)
        let court = try node.plan.court(request.court)
        guard court.code != PolicyAuthority.intermediateCourt else {
            throw StoreError("410800 is the hub itself: it needs no enrollment")
        }
        let log = try keyLog()
        let record = KeyLogRecord.make(n: log.count + 1, action: .enroll, court: court.code, courtName: court.name, publicKey: request.nodePublicKey.hex,
                                       at: Self.isoTime(now), fields: ["request": request.json], key: node.key)
        var check = log
        try check.apply(record)
        let cert = try issueClientCertificate(court: court.code, publicKeyPEM: request.tlsPublicKeyPEM, now: now)
        let next = try append(record, to: log, change: .enroll(court: court.code, publicKey: request.nodePublicKey.hex, tlsSerial: cert.serial), now: now)
        return (try bundle(court: court.code, certificate: cert.pem), try registryEntry(court.code, in: next))
    }

    /// Gives a court a new key from its rotation request (signed by its current key): a
    /// key-log rotation, a new client certificate, and the bundle for the node.
    public func rotate(requestJSON: JSONValue, now: Date = Date()) throws -> (bundle: EnrollmentBundle, registryEntry: JSONValue) {
        let rotation = try RotationRequest(json: requestJSON)
        let court = try node.plan.court(rotation.court)
        guard court.code != PolicyAuthority.intermediateCourt else {
            throw StoreError("410800 is the hub itself: rotate its key with `courtsync hub rotate-key`")
        }
        let log = try keyLog()
        // The new key signs from the seq after the last one the hub holds, exactly (protocol
        // §10): checked here, and again in the transaction that writes the record.
        let head = try self.log.head(of: court.code).seq
        guard let fromSeq = rotation.fromSeq, fromSeq == head + 1 else {
            throw RotationBoundaryRefusal(court: court.code, fromSeq: rotation.fromSeq, hubHead: head)
        }
        let record = KeyLogRecord.make(n: log.count + 1, action: .rotate, court: court.code, courtName: court.name,
                                       publicKey: rotation.request.nodePublicKey.hex, at: Self.isoTime(now),
                                       fields: ["old_public_key": .string(rotation.oldPublicKey.hex), "from_seq": .int(fromSeq), "rotation": rotation.json],
                                       key: node.key)
        var check = log
        try check.apply(record)
        let cert = try issueClientCertificate(court: court.code, publicKeyPEM: rotation.request.tlsPublicKeyPEM, now: now)
        let next = try append(record, to: log, change: .rotate(court: court.code, oldPublicKey: rotation.oldPublicKey.hex,
                                                              publicKey: rotation.request.nodePublicKey.hex, tlsSerial: cert.serial), now: now,
                              requiringHead: (court.code, head))
        return (try bundle(court: court.code, certificate: cert.pem), try registryEntry(court.code, in: next))
    }

    /// Revokes a court's active key for good, with the reason, as a key-log record.
    public func revoke(court code: String, reason: String, now: Date = Date()) throws -> KeyLogRecord {
        let log = try keyLog()
        guard let current = log.courts[code], current.active else {
            throw StoreError("\(code) is not enrolled at this hub: nothing to revoke")
        }
        let record = KeyLogRecord.make(n: log.count + 1, action: .revoke, court: code, courtName: "", publicKey: current.publicKey,
                                       at: Self.isoTime(now), fields: ["reason": .string(reason)], key: node.key)
        try append(record, to: log, change: .revoke(court: code, publicKey: current.publicKey), now: now)
        return record
    }

    func bundle(court: String, certificate: String) throws -> EnrollmentBundle {
        EnrollmentBundle(court: court, hubURL: url, caPEM: try file("ca.pem"), clientCertificatePEM: certificate,
                         intermediatePublicKey: node.key.publicKey, checkpointVerifierKey: try checkpointVerifierKey)
    }

    func registryEntry(_ court: String, in log: KeyLog) throws -> JSONValue {
        guard let entry = log.registryEntry(of: court) else { throw StoreError("court \(court) is not in the key log") }
        return entry
    }

    /// Writes the registry the key log makes, one `<court>.json` per court, into `dir`.
    public func writeRegistry(to dir: String) throws {
        try KeyLogRegistry.write(try keyLog().registry, to: dir)
    }
}

/// Registry directories (`nodes/`) as the key log makes them (protocol §16.10).
public enum KeyLogRegistry {
    public static func write(_ registry: [String: JSONValue], to dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (court, entry) in registry { try write(entry, of: court, to: dir) }
    }

    /// One court's file, `<court>.json`: its entry's canonical JSON and a newline.
    static func write(_ entry: JSONValue, of court: String, to dir: String) throws {
        try HubDirectory.write(Data(CanonicalEncoder.encode(entry) + [0x0A]), to: "\(dir)/\(court).json", private: false)
    }

    /// Writes `court`'s entry after a record for it: the only file that record changes. When
    /// `dir` does not hold one file per court of the key log (a file lost, or a directory made
    /// before the key log), every file is written again.
    public static func update(_ log: KeyLog, court: String, in dir: String) throws {
        let held = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".json") && $0.count == 11 }
        // The court's own file may be new; every other court's must be there already.
        guard Set(held.map { String($0.prefix(6)) }).union([court]) == Set(log.courts.keys), let entry = log.registryEntry(of: court) else {
            try write(log.registry, to: dir)
            return
        }
        try write(entry, of: court, to: dir)
    }

    /// Every way `dir`'s files disagree with the key log's registry, one line each.
    public static func differences(_ registry: [String: JSONValue], in dir: String) -> [String] {
        var out: [String] = []
        let files = Set(((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".json") && $0.count == 11 })
        for (court, expected) in registry.sorted(by: { $0.key < $1.key }) {
            guard let data = FileManager.default.contents(atPath: "\(dir)/\(court).json"), let json = try? StrictJSONParser.parse(Array(data)) else {
                out.append("\(dir)/\(court).json is missing: the key log enrolls \(court)")
                continue
            }
            for member in ["public_key", "status"] where json[member] != expected[member] && !(member == "status" && json[member] == nil && expected[member] == "active") {
                out.append("\(dir)/\(court).json says \(member) \(json[member]?.stringValue ?? "(none)"), but the key log says \(expected[member]?.stringValue ?? "(none)")")
            }
            if json["keys"] != expected["keys"] {
                out.append("\(dir)/\(court).json says keys \(json["keys"] == nil ? "(none)" : "…"), but the key log's history of \(court)'s keys (rotations and revocations) differs: regenerate it with --out")
            }
        }
        for file in files.sorted() where registry[String(file.prefix(6))] == nil {
            out.append("\(dir)/\(file) names a court the key log never enrolled")
        }
        return out
    }
}
