import CanonicalJSON
import CourtLog
import CourtPlan
import Crypto
import Foundation
import NodeStore
import SyncProtocol

/// The intermediate court's hub on disk: its node (410800, with the plan's genesis and the
/// merged log of every court), `hub.json` (where it listens, and the PostgreSQL database when it
/// has one), `tls/` (its CA and server certificate), and `nodes/` (public records of enrolled nodes).
public struct HubDirectory: Sendable {
    public let path: String
    public let node: NodeDirectory
    public let url: String
    public let port: Int
    /// The hub's authoritative state: the node's SQLite database, or PostgreSQL when `hub.json`
    /// names one (then shared by every replica).
    public let log: any HubLogStore
    /// The PostgreSQL store and the follower that folds it into this directory's SQLite
    /// projections, for a hub made with `--database`.
    public let postgres: PostgresHubStore?
    public let follower: ProjectionFollower?

    /// The local SQLite database: 410800's own log and the projections queries read. On a
    /// PostgreSQL hub, call ``projectionStore()`` to read projections that are up to date.
    public var store: EventStore { node.store }

    /// The projections, caught up with every event the hub had accepted when the call began.
    /// On PostgreSQL after a recovery from a mirror, refused (``IncompleteAfterRecovery``) while
    /// a court still owes events the tree holds, as the SQLite hub's queries are.
    public func projectionStore() throws -> EventStore {
        guard let follower, let postgres else { return store }
        let owed = try postgres.owedEvents()
        guard owed.isEmpty else { throw IncompleteAfterRecovery(owed: owed) }
        try follower.catchUp()
        return follower.projection
    }

    /// This hub with its projections in their own SQLite file at `path` (made if missing): what
    /// each `hub serve` replica of a PostgreSQL hub keeps for itself. A SQLite hub has one store.
    public func replica(projection path: String) throws -> HubDirectory {
        guard let postgres else {
            throw StoreError("--projection is for a hub on PostgreSQL (hub init --database); this hub keeps its projections in its own database")
        }
        return HubDirectory(path: self.path, node: node, url: url, port: port, log: postgres, postgres: postgres,
                            follower: ProjectionFollower(source: postgres, projection: try EventStore(path: path, role: .hub)))
    }
    var tls: String { "\(path)/tls" }

    /// Makes the hub: the 410800 node with the signed plan, a CA and a server certificate for
    /// `hosts`/`ips` — or the operator's PEM files when given. `plan` is the genesis 410800
    /// signs (the shipped plan; a simulated province's in `bench province` and its tests).
    public static func create(at path: String, hosts: [String], ips: [String], port: Int,
                              operatorCertificate: String?, operatorKey: String?, operatorCA: String?, database: DatabaseURL? = nil,
                              plan: Plan = .shipped) throws -> HubDirectory {
        let fm = FileManager.default
        if fm.fileExists(atPath: "\(path)/hub.json") || fm.fileExists(atPath: "\(path)/\(NodeDirectory.manifestName)") {
            throw StoreError("\(path) already holds a hub or node: CourtSync never overwrites one; choose another directory")
        }
        // The database first: a bad URL, an unreachable server or a newer schema stops here,
        // before anything is written to disk.
        let postgres = try database.map { try PostgresHubStore(url: $0) }
        if let postgres, !(try postgres.isEmpty()) {
            throw StoreError("the database \(postgres.url.redacted) already holds a hub's log: give hub init an empty database (createdb), or run `courtsync hub serve` with the hub directory that was made with it")
        }
        let existed = Set((try? fm.contentsOfDirectory(atPath: path)) ?? [])
        let dirExisted = fm.fileExists(atPath: path)
        do {
            return try make(at: path, hosts: hosts, ips: ips, port: port, operatorCertificate: operatorCertificate, operatorKey: operatorKey,
                            operatorCA: operatorCA, database: database, plan: plan)
        } catch {
            // Nothing half-written: what this call made goes, on disk and in the database.
            if dirExisted {
                for item in ((try? fm.contentsOfDirectory(atPath: path)) ?? []) where !existed.contains(item) { try? fm.removeItem(atPath: "\(path)/\(item)") }
            } else {
                try? fm.removeItem(atPath: path)
            }
            try? postgres?.erase()
            throw error
        }
    }

    static func make(at path: String, hosts: [String], ips: [String], port: Int,
                     operatorCertificate: String?, operatorKey: String?, operatorCA: String?, database: DatabaseURL?, plan: Plan) throws -> HubDirectory {
        let fm = FileManager.default
        _ = try NodeDirectory.create(at: path, court: plan.court(PolicyAuthority.intermediateCourt), genesisPlan: plan, role: .hub)
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
        var config: JSONValue = ["format": "courtsync-hub/1", "url": .string("https://\(host):\(port)"), "port": .int(Int64(port)),
                                 "origin": .string(Self.defaultOrigin(url: "https://\(host)")),
                                 "hosts": .array(hosts.map { .string($0) }), "ips": .array(ips.map { .string($0) })]
        if let database { config = config.with("database", .string(database.text)) }
        // A URL may carry a password: then hub.json is readable by the hub's user only.
        try write(Data(CanonicalEncoder.encode(config) + [0x0A]), to: "\(path)/hub.json", private: database?.redacted != database?.text)
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
        do { try KeptFile.replace(file, bytes: Array(data), mode: isPrivate ? 0o600 : 0o644) } catch {
            throw StoreError("cannot write \(file) (\(error)): check that the directory is writable")
        }
    }

    /// Opens the hub at `path`. A hub whose database holds no key log yet gets its record 1
    /// written here, unless `recovering`: `hub recover` rebuilds the key log from a mirror instead.
    public static func open(at path: String, recovering: Bool = false) throws -> HubDirectory {
        guard let data = FileManager.default.contents(atPath: "\(path)/hub.json") else {
            throw StoreError("\(path) is not a hub directory (no hub.json): run `courtsync hub init --dir \(path)` first")
        }
        guard let config = try? StrictJSONParser.parse(Array(data)), let url = config["url"]?.stringValue, let port = config["port"]?.intValue else {
            throw StoreError("\(path)/hub.json is damaged: restore it from a backup")
        }
        var node = try NodeDirectory.open(at: path, role: .hub)
        // The courts that may enroll are those of the plan 410800 signed in its genesis: the
        // shipped plan's, or a simulated province's (`bench province`).
        if let genesis = try? node.store.measuresPlan(), genesis.courts != node.plan.courts {
            node = try NodeDirectory.open(at: path, plan: genesis, role: .hub)
        }
        let hub: HubDirectory
        if let text = config["database"]?.stringValue {
            let postgres = try PostgresHubStore(url: try DatabaseURL(text))
            hub = HubDirectory(path: path, node: node, url: url, port: Int(port), log: postgres, postgres: postgres,
                               follower: ProjectionFollower(source: postgres, projection: node.store))
        } else {
            hub = HubDirectory(path: path, node: node, url: url, port: Int(port), log: node.store, postgres: nil, follower: nil)
        }
        if !recovering { try hub.ensureKeyLog() }
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
        try log.addAuditor(name: name, token: token, role: role, at: Int64(Date().timeIntervalSince1970))
        return ["format": "courtsync-auditor/1", "name": .string(name), "role": .string(role), "hub_url": .string(url), "ca_pem": .string(try caPEM),
                "token": .string(token), "intermediate_public_key": .string(node.key.publicKey.hex),
                "checkpoint_verifier_key": .string(try checkpointVerifierKey)]
    }
}
