import CanonicalJSON
import CourtLog
import CourtPlan
import Crypto
import Foundation
import NodeStore
import SyncProtocol

/// The intermediate court's hub on disk: its node (410800, with the plan's genesis and the
/// merged log of every court), `hub.json` (where it listens), `tls/` (its CA and server
/// certificate), and `nodes/` (public records of enrolled nodes).
public struct HubDirectory: Sendable {
    public let path: String
    public let node: NodeDirectory
    public let url: String
    public let port: Int

    public var store: EventStore { node.store }
    var tls: String { "\(path)/tls" }

    /// Makes the hub: the 410800 node with the signed plan, a CA and a server certificate for
    /// `hosts`/`ips` — or the operator's PEM files when given.
    public static func create(at path: String, hosts: [String], ips: [String], port: Int,
                              operatorCertificate: String?, operatorKey: String?, operatorCA: String?) throws -> HubDirectory {
        let fm = FileManager.default
        if fm.fileExists(atPath: "\(path)/hub.json") || fm.fileExists(atPath: "\(path)/\(NodeDirectory.manifestName)") {
            throw StoreError("\(path) already holds a hub or node: CourtSync never overwrites one; choose another directory")
        }
        _ = try NodeDirectory.create(at: path, court: Plan.shipped.court(PolicyAuthority.intermediateCourt))
        let tls = "\(path)/tls"
        try fm.createDirectory(atPath: tls, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: "\(path)/nodes", withIntermediateDirectories: true)
        if let cert = operatorCertificate, let key = operatorKey, let ca = operatorCA {
            for (from, to) in [(cert, "server.pem"), (key, "server.key"), (ca, "ca.pem")] {
                guard let data = fm.contents(atPath: from) else { throw StoreError("cannot read \(from): check the path of the operator's PEM file") }
                try write(data, to: "\(tls)/\(to)", private: to.hasSuffix(".key"))
            }
        } else if operatorCertificate != nil || operatorKey != nil || operatorCA != nil {
            throw StoreError("give all of --tls-cert, --tls-key and --ca to use the operator's PEM files, or none to make the hub's own CA")
        } else {
            let authority = try HubCertificates.makeAuthority()
            let server = try HubCertificates.issueServer(authority: authority, hosts: hosts, ips: ips)
            try write(Data(authority.certificatePEM.utf8), to: "\(tls)/ca.pem", private: false)
            try write(Data((authority.privateKeyPEM ?? "").utf8), to: "\(tls)/ca.key", private: true)
            try write(Data(server.certificatePEM.utf8), to: "\(tls)/server.pem", private: false)
            try write(Data((server.privateKeyPEM ?? "").utf8), to: "\(tls)/server.key", private: true)
        }
        let host = hosts.first ?? ips.first ?? "localhost"
        let config: JSONValue = ["format": "courtsync-hub/1", "url": .string("https://\(host):\(port)"), "port": .int(Int64(port)),
                                 "origin": .string(Self.defaultOrigin(url: "https://\(host)")),
                                 "hosts": .array(hosts.map { .string($0) }), "ips": .array(ips.map { .string($0) })]
        try write(Data(CanonicalEncoder.encode(config) + [0x0A]), to: "\(path)/hub.json", private: false)
        // Opening writes the key log's record 1 (410800's key and checkpoint key) before the
        // plan's genesis enters the tree.
        let hub = try open(at: path)
        _ = try hub.currentCheckpoint()
        // The registry holds 410800 too: an auditor verifying the policy log (the plan, the
        // thresholds) needs the intermediate court's key beside the grassroots courts'.
        try hub.writeRegistry(to: "\(path)/nodes")
        return hub
    }

    static func write(_ data: Data, to file: String, private isPrivate: Bool) throws {
        guard FileManager.default.createFile(atPath: file, contents: data, attributes: [.posixPermissions: isPrivate ? 0o600 : 0o644]) else {
            throw StoreError("cannot write \(file): check that the directory is writable")
        }
    }

    public static func open(at path: String) throws -> HubDirectory {
        guard let data = FileManager.default.contents(atPath: "\(path)/hub.json") else {
            throw StoreError("\(path) is not a hub directory (no hub.json): run `courtsync hub init --dir \(path)` first")
        }
        guard let config = try? StrictJSONParser.parse(Array(data)), let url = config["url"]?.stringValue, let port = config["port"]?.intValue else {
            throw StoreError("\(path)/hub.json is damaged: restore it from a backup")
        }
        let hub = HubDirectory(path: path, node: try NodeDirectory.open(at: path), url: url, port: Int(port))
        try hub.ensureKeyLog()
        return hub
    }

    func issueClientCertificate(court: String, publicKeyPEM: String, now: Date) throws -> (pem: String, serial: String) {
        guard FileManager.default.fileExists(atPath: "\(tls)/ca.key") else {
            throw StoreError("this hub uses the operator's CA (no tls/ca.key): issue the node's client certificate with that CA")
        }
        let authority = HubCertificates.Issued(certificatePEM: try file("ca.pem"), privateKeyPEM: try file("ca.key"))
        let cert = try HubCertificates.issueClient(authority: authority, court: court, role: "node", publicKeyPEM: publicKeyPEM, now: now)
        return (cert, try HubCertificates.serial(ofPEM: cert))
    }

    func file(_ name: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: "\(tls)/\(name)") else {
            throw StoreError("\(tls)/\(name) is missing: restore the hub's TLS files from its backup")
        }
        return String(decoding: data, as: UTF8.self)
    }

    public var caPEM: String { get throws { try file("ca.pem") } }

    /// A new auditor credential: a random token, stored only as its hash.
    public func addAuditor(name: String, role: String = "auditor") throws -> JSONValue {
        var bytes = [UInt8](repeating: 0, count: 32)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
        let token = Hex.encode(bytes)
        try store.addAuditor(name: name, token: token, role: role, at: Int64(Date().timeIntervalSince1970))
        return ["format": "courtsync-auditor/1", "name": .string(name), "role": .string(role), "hub_url": .string(url), "ca_pem": .string(try caPEM),
                "token": .string(token), "intermediate_public_key": .string(node.key.publicKey.hex),
                "checkpoint_verifier_key": .string(try checkpointVerifierKey)]
    }
}
