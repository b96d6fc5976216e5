import CanonicalJSON
import CourtLog
import Foundation
import NodeStore
import SyncProtocol
import TransparencyLog

/// 410800's event keys as the key log in the hub's tree says (protocol §16.10): the bundle's key
/// is the anchor (it must be one of 410800's keys in the key log), and a rotation of 410800's key — a record signed by
/// the old key, proven to be in the checkpoint this node verified — is how the node learns the
/// new one. Records are kept in `keylog.jsonl`, so each sync asks only for the next one.
extension NodeSyncer {
    public static let keyLogName = "keylog.jsonl"

    /// 410800's keys, oldest first (the current one last), after fetching the key-log records
    /// the held checkpoint has beyond those kept, each with its inclusion proof.
    func intermediateKeys(verifier: NoteVerifier) async throws -> [CourtKey] {
        let file = "\(node.path)/\(Self.keyLogName)"
        var (log, kept) = try Self.keptKeyLog(node)
        guard let held = try Self.heldCheckpoint(node, verifier: verifier) else { return [CourtKey(key: bundle.intermediatePublicKey)] }
        var fresh: [[UInt8]] = []
        let size = held.checkpoint.size
        for proof in try await keyLogProofs(from: Int64(log.count) + 1, size: size) {
            let n = proof.seq
            guard proof.isIncluded(size: size, root: held.checkpoint.root) else {
                throw SyncError("the hub's key-log record \(n) is not in its signed checkpoint: stop and report this to 技术处 and the auditors", transient: false)
            }
            let record: KeyLogRecord
            do { record = try KeyLogRecord(entry: proof.entry) } catch {
                throw SyncError("the hub's key-log record \(n) is damaged (\(error.description)): report this to 技术处", transient: false)
            }
            try apply(record, to: &log)
            fresh.append(CanonicalEncoder.encode(record.json))
        }
        if !fresh.isEmpty {
            let text = (kept + fresh).map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n") + "\n"
            try write(text, to: file)
        }
        return try Self.intermediateKeys(log, bundle: bundle)
    }

    /// Key-log records `from`, `from + 1`, … in the tree of `size` leaves, with their inclusion
    /// proofs (not yet checked): a thousand per request (`GET /v1/proof/keylog`), or, from a hub
    /// that does not serve that path yet (404), one request per record as before.
    func keyLogProofs(from: Int64, size: Int64) async throws -> [EntryProof] {
        var out: [EntryProof] = []
        while true {
            let next = from + Int64(out.count)
            let reply = try await client.get(ApiPaths.keyLogProofs, query: ["from": "\(next)", "size": "\(size)"])
            if reply.status == 404 && out.isEmpty { return try await keyLogProofsOneByOne(from: from, size: size) }
            guard reply.status == 200, let json = reply.json else {
                throw SyncError("the hub gave no key-log proofs from record \(next) (\(reply.status)): \(reply.error)", transient: reply.transient)
            }
            let answer: KeyLogProofs
            do { answer = try KeyLogProofs(json: json) } catch {
                throw SyncError("the hub's key-log proofs from record \(next) are malformed (\(error.description)): report this to 技术处", transient: false)
            }
            guard answer.from == next, answer.treeSize == size else {
                throw SyncError("the hub answered key-log proofs from record \(answer.from) in a tree of \(answer.treeSize) when asked from \(next) in \(size): report this to 技术处", transient: false)
            }
            out += answer.records
            if answer.records.count < ApiPaths.keyLogProofsLimit { return out }
        }
    }

    /// What ``keyLogProofs(from:size:)`` asks of a hub without the batch path: record n's
    /// inclusion proof (`GET /v1/proof/inclusion?court=keylog&seq=n&size=S`) until 404.
    func keyLogProofsOneByOne(from: Int64, size: Int64) async throws -> [EntryProof] {
        var out: [EntryProof] = []
        while true {
            let n = from + Int64(out.count)
            let reply = try await client.get(ApiPaths.inclusionProof, query: ["court": KeyLogRecord.treeName, "seq": "\(n)", "size": "\(size)"])
            if reply.status == 404 { return out }
            guard reply.status == 200, let json = reply.json else {
                throw SyncError("the hub gave no inclusion proof for key-log record \(n) (\(reply.status)): \(reply.error)", transient: reply.transient)
            }
            do { out.append(try EntryProof(json: json, seq: n)) } catch {
                throw SyncError("the hub's answer for key-log record \(n) is not an inclusion proof (\(error.reason)): stop and report this to 技术处 and the auditors", transient: false)
            }
        }
    }

    /// 410800's key history in `log`, which must hold the bundle's key (the node's anchor).
    static func intermediateKeys(_ log: KeyLog, bundle: EnrollmentBundle) throws -> [CourtKey] {
        let keys = log.courtKeys(of: PolicyAuthority.intermediateCourt)
        guard !keys.isEmpty else { return [CourtKey(key: bundle.intermediatePublicKey)] }
        guard keys.contains(where: { $0.key == bundle.intermediatePublicKey }) else {
            throw SyncError("the hub's key log never gave 410800 the key in this node's bundle (\(bundle.intermediatePublicKey.fingerprint)): a different hub; stop and report this to 技术处", transient: false)
        }
        return keys
    }

    /// The key-log records this node kept (each verified when fetched), replayed.
    static func keptKeyLog(_ node: NodeDirectory) throws -> (KeyLog, [[UInt8]]) {
        let file = "\(node.path)/\(keyLogName)"
        var log = KeyLog()
        var kept: [[UInt8]] = []
        guard let data = FileManager.default.contents(atPath: file) else { return (log, kept) }
        for line in data.split(separator: 0x0A) {
            guard let json = try? StrictJSONParser.parse(Array(line)), let record = try? KeyLogRecord(json: json), (try? log.apply(record)) != nil else {
                throw SyncError("\(file) is damaged: delete it, and the next sync fetches the key log again from the hub's tree", transient: false)
            }
            kept.append(Array(line))
        }
        return (log, kept)
    }

    /// 410800's keys as this node last learned them (no network): what `audit receipts` checks with.
    public static func keptIntermediateKeys(_ node: NodeDirectory, bundle: EnrollmentBundle) throws -> [CourtKey] {
        try intermediateKeys(try keptKeyLog(node).0, bundle: bundle)
    }

    /// Applies a record by the key log's rules.
    func apply(_ record: KeyLogRecord, to log: inout KeyLog) throws {
        do { try log.apply(record) } catch {
            throw SyncError("the hub's key log breaks its rules at record \(record.n) (\(error.description)): stop and report this to 技术处 and the auditors", transient: false)
        }
    }

    /// Whether a receipt is signed by one of 410800's keys that was never revoked: a receipt kept
    /// from before a rotation of 410800's key (what `audit receipts` checks).
    public static func isSignedByIntermediateCourt(_ receipt: PushReceipt, keys: [CourtKey]) -> Bool {
        keys.contains { $0.revokedFor == nil && receipt.document.isSigned(by: $0.key) }
    }

    /// Whether a receipt the hub gives now is signed by 410800's current key (the last of its
    /// history): a key rotated out signs nothing new.
    static func isSignedNow(_ receipt: PushReceipt, keys: [CourtKey]) -> Bool {
        keys.last.map { receipt.document.isSigned(by: $0.key) } ?? false
    }
}
