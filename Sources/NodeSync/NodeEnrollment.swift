import CanonicalJSON
import CourtLog
import Crypto
import Foundation
import NodeStore
import SyncProtocol

/// The node's side of enrollment: its TLS key and request, and the bundle it installs.
public enum NodeEnrollment {
    public static let tlsKeyName = "tls.key"
    public static let bundleName = "bundle.json"
    public static let receiptsName = "receipts.jsonl"

    /// Makes (once) the node's TLS key and writes a signed enrollment request.
    public static func request(_ node: NodeDirectory) throws -> EnrollmentRequest {
        let keyPath = "\(node.path)/\(tlsKeyName)"
        let tlsKey: P256.Signing.PrivateKey
        if let pem = FileManager.default.contents(atPath: keyPath) {
            tlsKey = try P256.Signing.PrivateKey(pemRepresentation: String(decoding: pem, as: UTF8.self))
        } else {
            tlsKey = P256.Signing.PrivateKey()
            do { try KeptFile.create(keyPath, bytes: Array(tlsKey.pemRepresentation.utf8), mode: 0o600) } catch {
                throw SyncError("cannot write \(keyPath) (\(error)): check that the node directory is writable", transient: false)
            }
        }
        return try EnrollmentRequest.make(court: node.court.code, courtName: node.court.name, key: node.key, tlsKey: tlsKey,
                                          now: ISO8601DateFormatter().string(from: Date()))
    }

    public static let nextKeyName = NodeDirectory.nextKeyName

    /// Makes (once) the node's next event key, `node.next.key` (mode 0600), and a rotation
    /// request for it signed by the current key (protocol §16.10), for the new key to sign from
    /// the seq after the node's head. The request is also kept as `node.next.rotation.json`: until
    /// the rotated bundle is joined, the node appends nothing (the old key must not sign there).
    public static func rotationRequest(_ node: NodeDirectory) throws -> RotationRequest {
        let keyPath = "\(node.path)/\(nextKeyName)"
        let next: NodeKey
        if let data = FileManager.default.contents(atPath: keyPath),
           let seed = Hex.decode(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines), count: 32) {
            next = try NodeKey(seed: seed)
        } else {
            next = NodeKey()
            do { try KeptFile.replace(keyPath, bytes: Array((Hex.encode(next.seed) + "\n").utf8), mode: 0o600) } catch {
                throw SyncError("cannot write \(keyPath) (\(error)): check that the node directory is writable", transient: false)
            }
        }
        guard let pem = FileManager.default.contents(atPath: "\(node.path)/\(tlsKeyName)") else {
            throw SyncError("this node has no TLS key: it was never enrolled; use `courtsync node enroll-request` instead", transient: false)
        }
        let tlsKey = try P256.Signing.PrivateKey(pemRepresentation: String(decoding: pem, as: UTF8.self))
        let now = ISO8601DateFormatter().string(from: Date())
        let request = try EnrollmentRequest.make(court: node.court.code, courtName: node.court.name, key: next, tlsKey: tlsKey, now: now)
        let rotation = RotationRequest.make(oldKey: node.key, request: request, fromSeq: try node.store.head(of: node.court.code).seq + 1, now: now)
        let kept = "\(node.path)/\(NodeDirectory.nextRotationName)"
        do { try KeptFile.replace(kept, bytes: CanonicalEncoder.encode(rotation.json) + [0x0A], mode: 0o600) } catch {
            throw SyncError("cannot write \(kept) (\(error)): check that the node directory is writable", transient: false)
        }
        return rotation
    }

    /// Installs a bundle after checking it is for this node and matches its TLS key. With
    /// `rotated`, the bundle is the one `hub rotate` wrote: the node then signs with its next key.
    public static func join(_ node: NodeDirectory, bundleJSON: JSONValue, rotated: Bool = false) throws -> EnrollmentBundle {
        if rotated, !FileManager.default.fileExists(atPath: "\(node.path)/\(nextKeyName)") {
            throw SyncError("this node has no \(nextKeyName): make a rotation request with `courtsync node rotate-request` first (or join without --rotated)", transient: false)
        }
        let bundle = try EnrollmentBundle(json: bundleJSON)
        guard bundle.court == node.court.code else {
            throw SyncError("this bundle is for court \(bundle.court), but this node is \(node.court.code): use the bundle made from this node's request", transient: false)
        }
        guard FileManager.default.fileExists(atPath: "\(node.path)/\(tlsKeyName)") else {
            throw SyncError("this node has no TLS key: run `courtsync node enroll-request` here first, then have the hub enroll that request", transient: false)
        }
        // The hub recorded the new key as signing from the request's from_seq: the node's next
        // event must be that one (a request made before from_seq existed: the next event).
        var fromSeq: Int64? = nil
        if rotated {
            let next = try node.store.head(of: node.court.code).seq + 1
            fromSeq = node.pendingRotationFromSeq() ?? next
            if let fromSeq, fromSeq != next {
                throw SyncError("this node's rotation request made the new key sign from seq \(fromSeq), but the node's next event is seq \(next): events were added after the request under the old key, which the hub's key log retires from seq \(fromSeq), so the hub would refuse them; nothing was changed: keep this node as it is and tell the hub's operator", transient: false)
            }
        }
        do { try KeptFile.replace("\(node.path)/\(bundleName)", bytes: CanonicalEncoder.encode(bundle.json) + [0x0A], mode: 0o644) } catch {
            throw SyncError("cannot write \(node.path)/\(bundleName) (\(error)): check that the node directory is writable; the bundle was not installed", transient: false)
        }
        if rotated {
            _ = try node.adoptNextKey(fromSeq: fromSeq)
            try? FileManager.default.removeItem(atPath: "\(node.path)/\(NodeDirectory.nextRotationName)")
        }
        return bundle
    }

    public static func bundle(_ node: NodeDirectory) throws -> EnrollmentBundle {
        guard let data = FileManager.default.contents(atPath: "\(node.path)/\(bundleName)") else {
            throw SyncError("\(node.path) has not joined a hub (no \(bundleName)): run `courtsync node enroll-request`, have the hub run `courtsync hub enroll`, then `courtsync node join`", transient: false)
        }
        guard let json = try? StrictJSONParser.parse(Array(data)) else { throw SyncError("\(node.path)/\(bundleName) is damaged: join again", transient: false) }
        return try EnrollmentBundle(json: json)
    }

    /// A client for this node's hub.
    public static func client(_ node: NodeDirectory) throws -> HubClient {
        let bundle = try bundle(node)
        guard let key = FileManager.default.contents(atPath: "\(node.path)/\(tlsKeyName)") else {
            throw SyncError("\(node.path)/\(tlsKeyName) is missing: the node cannot prove who it is; enroll again", transient: false)
        }
        return try HubClient(baseURL: bundle.hubURL, caPEM: bundle.caPEM, certificatePEM: bundle.clientCertificatePEM,
                             privateKeyPEM: String(decoding: key, as: UTF8.self))
    }
}
