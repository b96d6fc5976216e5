import ArgumentParser
import CanonicalJSON
import CourtLog
import Dashboard
import Foundation
import NIOCore
import Hub
import Logging
import NodeStore
import QueryViews
import SyncProtocol
import TransparencyLog

struct HubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub",
        abstract: "汇总节点（中院技术处）：本院节点、CA、接入登记与 HTTPS 服务 (the hub: its node, CA, registry, HTTPS server and dashboard).",
        subcommands: [HubInit.self, HubEnroll.self, HubRotate.self, HubRotateKey.self, HubRevoke.self, HubAuditorCommand.self, HubWitnessCommand.self, HubStatus.self, HubRecover.self, HubServe.self])
}

struct HubOptions: ParsableArguments {
    @Option(help: "The hub directory (made by `courtsync hub init`).")
    var dir: String
}

struct HubInit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "初始化汇总节点 hub init — Make the hub: the intermediate court's node (410800) with the signed plan, a CA and a server certificate.")

    @Option(help: "The hub directory to create.")
    var dir: String

    @Option(help: "A DNS name the hub is reached by (repeatable).")
    var host: [String] = []

    @Option(help: "An IP address the hub is reached by (repeatable).")
    var ip: [String] = []

    @Option(help: "The port `hub serve` listens on.")
    var port: Int = 8443

    @Option(name: .customLong("tls-cert"), help: "The operator's server certificate (PEM) instead of the hub's own CA.")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "The operator's server private key (PEM).")
    var tlsKey: String?

    @Option(help: "The operator's CA certificate (PEM).")
    var ca: String?

    @Option(help: "Keep the hub's log in PostgreSQL instead of the hub directory's SQLite (a province or the nation): postgres://USER@HOST:PORT/DATABASE, an empty database. Several `hub serve` replicas can then share it.")
    var database: String?

    func run() throws {
        let hosts = host.isEmpty && ip.isEmpty ? ["localhost"] : host
        let ips = host.isEmpty && ip.isEmpty ? ["127.0.0.1"] : ip
        let url = try database.map { try DatabaseURL($0) }
        let hub = try HubDirectory.create(at: dir, hosts: hosts, ips: ips, port: port, operatorCertificate: tlsCert, operatorKey: tlsKey, operatorCA: ca, database: url)
        print("""
            hub created in \(dir)
              court        410800 焦作市中级人民法院 (its log starts with the signed plan)
              public key   \(hub.node.key.publicKey.hex)
              fingerprint  \(hub.node.key.publicKey.fingerprint)
              checkpoints  \(try hub.checkpointVerifierKey)
              url          \(hub.url)
              tls          \(dir)/tls/ (ca.key and server.key are mode 0600)
              database     \(url?.redacted ?? "\(dir) (SQLite)")
            next: courtsync hub serve --dir \(dir)
            """)
    }
}

struct HubEnroll: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: "登记法院节点并生成接入包 enroll — Record a node from its enrollment request and write the bundle it installs with `node join`.")

    @OptionGroup var hub: HubOptions

    @Option(help: "Where to write the bundle (default: <court>.bundle.json here).")
    var out: String?

    @Option(help: "Also mirror the public record into this registry directory (e.g. the repository's nodes/).")
    var registry: String?

    @Argument(help: "The request file from `courtsync node enroll-request`.")
    var request: String

    func run() throws {
        let hubDir = try HubDirectory.open(at: hub.dir)
        let (bundle, entry) = try hubDir.enroll(requestJSON: try EnrollmentFiles.request(at: request, madeBy: "node enroll-request"))
        let path = try EnrollmentFiles.write(bundle.json, to: out, default: "\(bundle.court).bundle.json")
        // The mirror is the whole registry the key log makes, 410800 included, so that it alone
        // verifies every export.
        if let registry { try hubDir.writeRegistry(to: registry) }
        print("enrolled \(bundle.court) \(entry["court_name"]?.stringValue ?? ""), key fingerprint \(entry["fingerprint"]?.stringValue ?? ""); bundle written to \(path) (carry it to the court)")
    }
}

struct HubRevoke: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "吊销节点 revoke — Revoke a court's key for good (a key-log record with the reason) and refuse its certificate from now on.")
    @OptionGroup var hub: HubOptions
    @Option(help: "Why the key is revoked (recorded in the key log for every auditor), e.g. \"node.key lost with the server's disk\".")
    var reason: String
    @Argument(help: "The court (code, slug or name).")
    var court: String

    func validate() throws {
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--reason must say why the key is revoked") }
    }

    func run() throws {
        let hubDir = try HubDirectory.open(at: hub.dir)
        let c = try hubDir.node.plan.court(court)
        let record = try hubDir.revoke(court: c.code, reason: reason)
        print("revoked \(c.code) \(c.name) (key-log record \(record.n)): its pushes and reads are refused; its key is never admitted again, the court may enroll a new key")
    }
}

struct HubRotate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "更换节点密钥 rotate — Give a court a new key from its rotation request (signed by its current key); writes the new bundle.")
    @OptionGroup var hub: HubOptions
    @Option(help: "Where to write the bundle (default: <court>.bundle.json here).")
    var out: String?
    @Option(help: "Also write the key log's registry into this directory (e.g. the repository's nodes/).")
    var registry: String?
    @Argument(help: "The rotation request from `courtsync node rotate-request`.")
    var request: String

    func run() throws {
        let hubDir = try HubDirectory.open(at: hub.dir)
        let (bundle, entry) = try hubDir.rotate(requestJSON: try EnrollmentFiles.request(at: request, madeBy: "node rotate-request"))
        let path = try EnrollmentFiles.write(bundle.json, to: out, default: "\(bundle.court).bundle.json")
        if let registry { try hubDir.writeRegistry(to: registry) }
        print("rotated \(bundle.court) to key fingerprint \(entry["fingerprint"]?.stringValue ?? ""); the old key is retired for good; bundle written to \(path) (carry it to the court: `courtsync node join`)")
    }
}

struct HubRotateKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-key",
        abstract: "更换本院事件密钥 rotate-key — Give 410800 a new event key: a key-log record signed by the old key; the new key signs policy events, receipts and key-log records from then on (nodes learn it from the key log at their next sync). The checkpoint key does not change. Stop `hub serve` first.")
    @OptionGroup var hub: HubOptions

    func run() throws {
        let hubDir = try HubDirectory.open(at: hub.dir)
        let r = try hubDir.rotateOwnKey()
        let what = r.record.map { "key-log record \($0.n), signed by the old key" } ?? "the key log already held the rotation; the key files are now swapped"
        print("rotated 410800's event key from \(r.old.fingerprint) to \(r.new.fingerprint) (\(what)); the old key is kept as node.retired-\(r.old.fingerprint).key and is never admitted again; the checkpoint key is unchanged")
    }
}

struct HubAuditorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "auditor", abstract: "审计与监控凭据 (auditor and metrics credentials).", subcommands: [HubAuditorAdd.self])
}

struct HubAuditorAdd: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "发放只读凭据 auditor add — Make a read-only credential for an auditor (written once; the hub keeps only its hash).")
    @OptionGroup var hub: HubOptions
    @Option(help: "Where to write the credential file (default: <name>.auditor.json).")
    var out: String?
    @Option(help: "auditor (reads everything: queries, logs, the dashboard) or metrics (a Prometheus scraper: /metrics only).")
    var role: String = "auditor"
    @Argument(help: "The auditor's name.")
    var name: String

    func validate() throws {
        guard ["auditor", "metrics"].contains(role) else { throw ValidationError("--role must be auditor or metrics") }
    }

    func run() throws {
        guard !name.isEmpty, name.count <= 64 else { throw ValidationError("the auditor's name must be 1-64 characters") }
        let hubDir = try HubDirectory.open(at: hub.dir)
        let credential = try hubDir.addAuditor(name: name, role: role)
        let path = out ?? "\(name).auditor.json"
        do { try KeptFile.replace(path, bytes: CanonicalEncoder.encode(credential) + [0x0A], mode: 0o600) } catch {
            throw EventError("cannot write \(path) (\(error)): choose a writable path with --out")
        }
        print("auditor \(name) added; credential written to \(path) (mode 0600; give it to the auditor by hand)")
    }
}

struct HubStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "汇总节点状态：计划内每个法院（已接入或未接入）的最后推送、滞后与告警，及透明日志 (every court of the plan, last push, lag, alarms, and the transparency log).")
    @OptionGroup var hub: HubOptions
    @Option(help: "table or json.")
    var format: String = "table"

    func validate() throws {
        guard ["table", "json"].contains(format) else { throw ValidationError("--format must be table or json") }
    }

    func run() throws {
        let hubDir = try HubDirectory.open(at: hub.dir)
        // On PostgreSQL, 410800's events written here are published first, so the table counts them.
        if hubDir.postgres != nil { _ = try hubDir.currentCheckpoint() }
        let store = hubDir.log
        let states = try hubDir.syncStates()
        let alarms = try store.alarms()
        let now = nowSeconds
        if format == "json" {
            let courts: [JSONValue] = states.map { s in
                var o: [String: JSONValue] = [
                    "court": .string(s.court), "court_name": .string(s.name), "enrollment": s.enrollment.map { .string($0) } ?? .string("not-enrolled"),
                    "held_seq": .int(s.heldSeq), "lag_events": .int(s.lagEvents), "alarms": .int(Int64(s.alarms)),
                ]
                if let r = s.reportedSeq { o["reported_seq"] = .int(r) }
                if let t = s.lastPush { o["last_push"] = .string(EventTime(beijing: t).text); o["last_push_age_seconds"] = .int(max(0, now - t)) }
                return .object(o)
            }
            let (size, note) = try hubDir.currentCheckpoint()
            let value: JSONValue = [
                "hub": .string(hubDir.url), "fingerprint": .string(hubDir.node.key.publicKey.fingerprint), "courts": .array(courts),
                "public_key": .string(hubDir.node.key.publicKey.hex), "origin": .string(hubDir.origin),
                "checkpoint_verifier_key": .string(try hubDir.checkpointVerifierKey), "tree_size": .int(size), "checkpoint": .string(note),
                "key_log_records": .int(try hubDir.keyLog().count),
                "owed": .array(try hubDir.recoveryTarget.owedEvents().map { ["court": .string($0.court), "from_seq": .int($0.fromSeq), "to_seq": .int($0.toSeq)] }),
                "witnesses": .array(try store.witnesses().map { ["name": .string($0.name), "url": .string($0.url), "verifier_key": .string($0.verifierKey), "cosigned_size": .int($0.size)] }),
                "alarms": .array(alarms.map { a in
                    var o: [String: JSONValue] = ["court": .string(a.court), "kind": .string(a.kind), "detail": .string(a.detail), "at": .string(EventTime(beijing: a.at).text)]
                    if let seq = a.seq { o["seq"] = .int(seq) }
                    if let e = a.evidence { o["evidence"] = .string(e) }
                    return .object(o)
                }),
            ]
            print(String(decoding: CanonicalEncoder.encode(value), as: UTF8.self))
            return
        }
        print("hub \(hubDir.url), court 410800 key \(hubDir.node.key.publicKey.fingerprint)")
        var table = TextTable(["法院 court", "接入 enrollment", "已收到 held", "节点报告 reported", "滞后 lag", "最后推送 last push (北京时间)", "距今 age", "告警 alarms"])
        for s in states {
            table.add(["\(s.court) \(s.name)", "\(s.enrollmentText) \(s.enrollment ?? "not-enrolled")", "\(s.heldSeq)", s.reportedSeq.map(String.init) ?? "—",
                       "\(s.lagEvents)", s.lastPush.map(CourtSyncState.beijing) ?? "—", s.court == hubDir.node.court.code ? "（本节点 this hub）" : s.sinceText(now: now),
                       "\(s.alarms)"])
        }
        print(table.render())
        print("alarms: \(alarms.count)")
        for a in alarms {
            print("  ALARM \(a.kind) node \(a.court) seq \(a.seq.map(String.init) ?? "?"): \(a.detail)")
            if let evidence = a.evidence { print("    evidence (the conflicting event, validly signed): \(evidence)") }
        }
        try printTransparencyStatus(hubDir)
    }
}

struct HubServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "提供 HTTPS 接口与数据看板 /dashboard (serve the API, mutual TLS for nodes, and the web dashboard); SIGTERM finishes the request in hand and stops.")
    @OptionGroup var hub: HubOptions
    @Option(help: "The port (default: the one given at hub init).")
    var port: Int?
    @Option(help: "The address to listen on.")
    var host: String = "0.0.0.0"
    @Option(help: "A hub on PostgreSQL only: this replica's own SQLite file for the projections it answers queries from (made if missing; default: the hub directory's database).")
    var projection: String?

    func run() async throws {
        var hubDir = try HubDirectory.open(at: hub.dir)
        if let projection { hubDir = try hubDir.replica(projection: projection) }
        let port = self.port ?? hubDir.port
        var logger = Logger(label: "courtsync.hub")
        logger.logLevel = .info
        do {
            try await HubServer(hub: hubDir, logger: logger).run(host: host, port: port)
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw EventError("port \(port) is already in use on \(host): stop what listens there, or choose another with --port")
        }
    }
}

struct HubWitnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "witness", abstract: "独立见证 witnesses — Standalone witnesses the hub sends its checkpoints to.", subcommands: [HubWitnessAdd.self])
}

struct HubWitnessAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a standalone witness: `hub serve` sends it each new checkpoint and keeps its cosignature (counted by /v1/checkpoint/witnessed).")
    @OptionGroup var hub: HubOptions
    @Option(help: "The witness's base URL, e.g. https://witness.hncourt.example:8444.") var url: String
    @Option(name: .customLong("verifier-key"), help: "The witness's verifier key, as `witness init` printed it.") var verifierKey: String
    @Option(help: "The CA certificate (PEM) of the witness's HTTPS certificate (its tls/ca.pem).") var ca: String?

    func run() throws {
        let witness: CosignatureVerifier
        do { witness = try CosignatureVerifier(encoded: verifierKey) } catch { throw ValidationError("--verifier-key: \(error)") }
        guard url.hasPrefix("https://") else { throw ValidationError("--url must be https://…: the witness serves HTTPS") }
        var caPEM: String?
        if let ca {
            guard let data = FileManager.default.contents(atPath: ca) else { throw EventError("cannot read \(ca): give the witness's tls/ca.pem") }
            caPEM = String(decoding: data, as: UTF8.self)
        }
        let hubDir = try HubDirectory.open(at: hub.dir)
        try hubDir.log.addWitness(name: witness.name, url: url, verifierKey: verifierKey, caPEM: caPEM, at: Int64(Date().timeIntervalSince1970))
        print("witness \(witness.name) added (\(url)); `hub serve` sends it each new checkpoint")
    }
}
