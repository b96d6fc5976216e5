import CanonicalJSON
import CourtLog
import Crypto
import Foundation
import NodeStore
import SyncProtocol

/// A rotation of 410800's own event key (protocol §16.10): a key-log record signed by the old
/// key, carrying the rotation request the old key signed for the new one. From that record on the
/// new key signs 410800's events, receipts and key-log records; nodes learn it from the key log
/// in the tree. The checkpoint key is a separate key and does not change.
extension HubDirectory {
    /// Makes the new key (`node.next.key`, kept if a previous run made it), records the rotation,
    /// then signs with the new key. A run interrupted after the record only finishes the swap.
    public func rotateOwnKey(now: Date = Date()) throws -> (record: KeyLogRecord?, old: NodePublicKey, new: NodePublicKey) {
        let ic = PolicyAuthority.intermediateCourt
        let nextPath = "\(path)/\(NodeDirectory.nextKeyName)"
        let next: NodeKey
        if let data = FileManager.default.contents(atPath: nextPath),
           let seed = Hex.decode(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines), count: 32) {
            next = try NodeKey(seed: seed)
        } else {
            next = NodeKey()
            do { try KeptFile.replace(nextPath, bytes: Array((Hex.encode(next.seed) + "\n").utf8), mode: 0o600) } catch {
                throw StoreError("cannot write \(nextPath) (\(error)): check that the hub directory is writable")
            }
        }
        let old = node.key.publicKey
        let log = try keyLog()
        if log.authority == next.publicKey {
            // The record is in the key log already: only the key files were not swapped yet.
            _ = try node.adoptNextKey()
            return (nil, old, next.publicKey)
        }
        guard log.authority == old else {
            throw StoreError("the key log's authority is not this hub's node.key: restore node.key from the hub's backup before rotating")
        }
        let at = Self.isoTime(now)
        let name = (try? node.plan.court(ic).name) ?? ""
        // The request's TLS key proves nothing here (410800 has no client certificate): a fresh one.
        let request = try EnrollmentRequest.make(court: ic, courtName: name, key: next, tlsKey: P256.Signing.PrivateKey(), now: at)
        // The new key signs 410800's events from the one after its head (`hub serve` is stopped).
        // On PostgreSQL the shared log must hold every event the old key signed before the record.
        if let postgres { try publishOwnEvents(to: postgres, at: Int64(now.timeIntervalSince1970)) }
        let head = try self.log.head(of: ic).seq
        let rotation = RotationRequest.make(oldKey: node.key, request: request, fromSeq: head + 1, now: at)
        let record = KeyLogRecord.make(n: log.count + 1, action: .rotate, court: ic, courtName: name, publicKey: next.publicKey.hex, at: at,
                                       fields: ["old_public_key": .string(old.hex), "from_seq": .int(head + 1), "rotation": rotation.json], key: node.key)
        try append(record, to: log, change: .none, now: now, requiringHead: (ic, head))
        _ = try node.adoptNextKey()
        try? writeRegistry(to: "\(path)/nodes")
        return (record, old, next.publicKey)
    }
}
