import CanonicalJSON
import CourtLog
import CourtPlan
import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import NodeStore
import Projections
import QueryViews
import SyncProtocol
import TransparencyLog

/// `courtsync hub serve`: the HTTPS API of `protocol/openapi.yaml`.
///
/// Nodes authenticate with the client certificate their bundle holds (mutual TLS) and may push
/// only their own log and read the intermediate court's; auditors send their token and may
/// read everything; anonymous callers get /healthz only.
public struct HubServer: Sendable {
    public let hub: HubDirectory
    public let metrics = HubMetrics()
    /// Dashboard sessions and the live-update feed (HubServer+Dashboard.swift).
    let live = DashboardLive()
    let logger: Logger
    /// Signs the transparency log's checkpoints (nil only when the key file is unreadable: `run` refuses then).
    let checkpointSigner: NoteSigner?

    public init(hub: HubDirectory, logger: Logger) {
        self.hub = hub
        self.logger = logger
        self.checkpointSigner = try? hub.checkpointSigner()
    }

    /// Who is calling.
    enum Caller {
        case node(String)
        case auditor(String)
    }

    /// Runs until SIGTERM or SIGINT; a request in hand is finished before the process ends.
    public func run(host: String = "0.0.0.0", port: Int) async throws {
        _ = try hub.currentCheckpoint()
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(try hub.file("server.pem").utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(try hub.file("server.key").utf8), format: .pem)))
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(try hub.caPEM.utf8)))
        tls.certificateVerification = .optionalVerification
        tls.shutdownTimeout = .milliseconds(300)
        // Handshake and idle timeouts, a cap per client address and in all (ConnectionGuard.swift).
        let limits = ConnectionLimits.fromEnvironment()
        let app = Application(
            router: router(),
            server: try .guardedTLS(tlsConfiguration: tls, limits: limits, counter: ConnectionCounter(), logger: logger),
            configuration: .init(address: .hostname(host, port: port), serverName: "courtsync-hub",
                                 availableConnectionsDelegate: MaximumAvailableConnections(limits.total, logger: logger)),
            logger: logger)
        let witnesses = Task { await self.sendCheckpointsToWitnesses() }
        defer { witnesses.cancel() }
        try await app.runService()
    }

    func router() -> Router<HubContext> {
        let router = Router(context: HubContext.self)
        router.get(RouterPath(ApiPaths.health)) { _, _ in
            try self.json(["status": "ok", "court": .string(PolicyAuthority.intermediateCourt)])
        }
        router.get(RouterPath(ApiPaths.metrics)) { request, context in
            try await self.metricsReader(request, context)
            let store = self.hub.store
            let text = try await offload {
                let reports = try store.pushReports()
                let now = Int64(Date().timeIntervalSince1970)
                var lag: [(String, Int64, Int64)] = []
                for (court, r) in reports.sorted(by: { $0.key < $1.key }) {
                    lag.append((court, max(0, r.nodeHead - (try store.head(of: court)).seq), now - r.at))
                }
                return self.metrics.render(lag: lag.map { (court: $0.0, events: $0.1, seconds: $0.2) }, alarms: try store.alarms().count)
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get(route(ApiPaths.cursor)) { request, context in
            let caller = try await self.caller(request, context)
            let court = try self.court(context)
            if case .node(let own) = caller, own != court, court != PolicyAuthority.intermediateCourt {
                throw self.refusal(.forbidden, "a node may read only its own cursor and the intermediate court's", reason: "forbidden")
            }
            let head = try await offload { try self.hub.store.head(of: court) }
            return try self.json(["court": .string(court), "seq": .int(head.seq), "head": .string(head.hash.hex)])
        }
        router.get(route(ApiPaths.events)) { request, context in
            let caller = try await self.caller(request, context)
            let court = try self.court(context)
            if case .node(let own) = caller, own != court, court != PolicyAuthority.intermediateCourt {
                throw self.refusal(.forbidden, "a node may read only its own log and the intermediate court's (policy)", reason: "forbidden")
            }
            let from = Int64(request.uri.queryParameters["from"].map(String.init) ?? "1") ?? 1
            let limit = min(10_000, Int(request.uri.queryParameters["limit"].map(String.init) ?? "2000") ?? 2000)
            let events = try await offload { try self.hub.store.events(of: court, from: max(1, from), limit: max(1, limit)) }
            var body: [UInt8] = []
            for e in events { body += e.exportLine; body.append(0x0A) }
            return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        router.post(route(ApiPaths.events)) { request, context in
            try await self.push(request, context)
        }
        addTransparencyRoutes(router)
        for (path, answer) in queryRoutes() {
            router.get(RouterPath(path)) { request, context in
                _ = try await self.caller(request, context)
                let q = request.uri.queryParameters
                let parameters = Dictionary(q.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { a, _ in a })
                let format = parameters["format"] ?? "json"
                guard QueryAnswer.formats.contains(format) else { throw self.refusal(.badRequest, "format must be table, json or csv", reason: "bad-query") }
                let store = self.hub.store
                do {
                    let text = try await offload { () throws -> String in
                        let source: ProjectionSource
                        if let text = parameters["checkpoint"] {
                            // The log as it stood at a checkpoint this hub signed (protocol §16.12).
                            guard let size = Int64(text), size >= 1, size <= (try store.treeSize()), try store.checkpoint(size: size) != nil else {
                                throw EventError("checkpoint=\(text): this hub signed no checkpoint of that size; GET /checkpoint names the latest")
                            }
                            source = try .checkpointed(store, treeSize: size)
                        } else if let asOf = parameters["as_of"] {
                            source = try .replayed(store, recordedBy: try ProjectionSource.recordTime(asOf))
                        } else {
                            source = try .stored(store)
                        }
                        return try answer(source, parameters).render(format) + "\n"
                    }
                    return Response(status: .ok, headers: [.contentType: format == "json" ? "application/json" : "text/plain; charset=utf-8"],
                                    body: .init(byteBuffer: ByteBuffer(string: text)))
                } catch let e as PlanError {
                    throw self.refusal(.badRequest, e.message, reason: "bad-query")
                } catch let e as EventError {
                    throw self.refusal(.badRequest, e.description, reason: "bad-query")
                }
            }
        }
        addDashboardRoutes(to: router)
        return router
    }

    func queryRoutes() -> [(String, @Sendable (ProjectionSource, [String: String]) throws -> QueryAnswer)] {
        @Sendable func required(_ p: [String: String], _ key: String) throws -> String {
            guard let v = p[key] else { throw EventError("missing query parameter '\(key)'") }
            return v
        }
        return [
            (ApiPaths.compliance, { s, p in try QueryViews.compliance(s, period: try required(p, "period"), court: p["court"], dept: p["dept"], indicator: p["indicator"]) }),
            (ApiPaths.accountability, { s, p in try QueryViews.accountability(s, period: try required(p, "period"), on: try p["on"].map { try CivilDate(parsing: $0) }) }),
            (ApiPaths.trend, { s, p in
                try QueryViews.trend(s, indicator: try required(p, "indicator"), from: try required(p, "from"), to: try required(p, "to"),
                                     by: p["by"] ?? "month", court: p["court"], dept: p["dept"])
            }),
            (ApiPaths.assignments, { s, p in
                let day = try p["on"].map { try CivilDate(parsing: $0) } ?? CivilDate(utcSeconds: Int64(Date().timeIntervalSince1970) + 8 * 3600)
                return try QueryViews.assignments(s, dept: p["dept"], indicator: p["indicator"], on: day)
            }),
            (ApiPaths.suggestions, { s, p in
                let day = try p["on"].map { try CivilDate(parsing: $0) } ?? CivilDate(utcSeconds: Int64(Date().timeIntervalSince1970) + 8 * 3600)
                guard [nil, "true", "false"].contains(p["all"]) else { throw EventError("all must be true or false, not '\(p["all"] ?? "")'") }
                return try QueryViews.suggestions(s, on: day, all: p["all"] == "true", dept: p["dept"])
            }),
            (ApiPaths.scores, { s, p in
                try QueryViews.scores(s, period: try required(p, "period"), on: try p["on"].map { try CivilDate(parsing: $0) })
            }),
        ]
    }

    /// Hummingbird's path syntax for `{court}`.
    func route(_ template: String) -> RouterPath { RouterPath(template.replacingOccurrences(of: "{court}", with: ":court")) }

    func court(_ context: HubContext) throws -> String {
        guard let court = context.parameters.get("court"), court.count == 6, court.allSatisfy(\.isNumber) else {
            throw refusal(.badRequest, "the court in the path must be a 6-digit court code", reason: "bad-request")
        }
        return court
    }

    /// Identifies the caller: a node by its verified certificate (and the registry), an auditor
    /// by token. Anyone else gets 401.
    func caller(_ request: Request, _ context: HubContext) async throws -> Caller {
        if let identity = try await context.clientIdentity() {
            let nodes = try await offload { try self.hub.store.enrolledNodes() }
            guard let node = nodes.first(where: { $0.court == identity.commonName }) else {
                throw refusal(.forbidden, "certificate for \(identity.commonName) is not enrolled at this hub", reason: "not-enrolled")
            }
            guard node.status == "active" else {
                throw refusal(.forbidden, "node \(node.court) is revoked: ask the intermediate court's 技术处 to enroll it again", reason: "revoked")
            }
            guard node.tlsSerial == identity.serial else {
                throw refusal(.forbidden, "this certificate of \(node.court) was replaced by a newer enrollment: install the newest bundle", reason: "revoked")
            }
            return .node(node.court)
        }
        if let auth = request.headers[.authorization], auth.hasPrefix("Bearer ") {
            let token = String(auth.dropFirst(7))
            if let name = try await offload({ try self.hub.store.auditor(token: token) }) { return .auditor(name) }
            throw refusal(.unauthorized, "unknown auditor token: ask the hub's operator for a credential (`courtsync hub auditor add`)", reason: "unauthorized")
        }
        throw refusal(.unauthorized, "a client certificate (enrolled node) or an auditor token is required; anonymous callers may read /healthz only", reason: "unauthorized")
    }

    /// POST a batch: verify everything, then store it and fold it in one transaction.
    func push(_ request: Request, _ context: HubContext) async throws -> Response {
        let caller = try await self.caller(request, context)
        let court = try self.court(context)
        guard case .node(let own) = caller else { throw refusal(.forbidden, "only the node itself may push its log", reason: "forbidden") }
        guard own == court else {
            throw refusal(.forbidden, "node \(own) may push only its own log, not \(court)'s", reason: "wrong-court")
        }
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: ApiPaths.maxPushBytes) } catch {
            throw refusal(.contentTooLarge, "the batch is larger than \(ApiPaths.maxPushBytes) bytes: push fewer events at a time", reason: "too-large")
        }
        let nodeHead = request.headers[Self.nodeHeadHeader].flatMap { Int64($0) }
        let bytes = Array(buffer: body)
        let hub = self.hub
        let received = Int64(Date().timeIntervalSince1970)
        let signer = self.checkpointSigner
        let outcome: Result<(EventStore.Receipt, Int64, Int64), PushRefusal> = try await offload {
            let lines = bytes.split(separator: 0x0A).map(Array.init)
            guard !lines.isEmpty else { return .failure(PushRefusal(.badRequest, "the batch is empty", "bad-request")) }
            var events: [SignedEvent] = []
            for (i, line) in lines.enumerated() {
                do throws(EventError) { events.append(try SignedEvent(parsing: line)) } catch {
                    return .failure(PushRefusal(.badRequest, error.at(line: i + 1).description, "malformed"))
                }
            }
            if let foreign = events.first(where: { $0.node != court }) {
                return .failure(PushRefusal(.forbidden, "the batch carries events of node \(foreign.node) (seq \(foreign.seq)): \(court) may push only its own", "wrong-court"))
            }
            for (a, b) in zip(events, events.dropFirst()) where b.seq != a.seq + 1 {
                return .failure(PushRefusal(.badRequest, "the batch is not contiguous: seq \(b.seq) follows \(a.seq)", "bad-request"))
            }
            guard let enrolled = try hub.store.enrolledNodes().first(where: { $0.court == court }) else {
                return .failure(PushRefusal(.forbidden, "node \(court) is not enrolled", "not-enrolled"))
            }
            let key = try NodePublicKey(hex: enrolled.publicKey)
            let head = try hub.store.head(of: court)
            if let first = events.first, first.seq > head.seq + 1 {
                return .failure(PushRefusal(.conflict, "gap: the hub holds node \(court) up to seq \(head.seq); resume from seq \(head.seq + 1)", "gap", cursor: head.seq))
            }
            // Every signature first, on all cores. A fork alarm accuses the court of signing two
            // events for one seq, so it is raised only on evidence: a conflicting event validly
            // signed by the court's enrolled key. A batch with any bad signature is refused (422)
            // and never raises an alarm, so whoever holds a node's TLS key but not its event key
            // can neither bury real alarms under false ones nor accuse a court of equivocating.
            var verifier = LogVerifier(node: court, publicKey: key, after: head)
            let bad = Parallel.map(events) { e in key.verifies(signature: e.sig, of: e.hash) ? nil : e.seq }
            if let first = bad.lazy.compactMap({ $0 }).first, let e = events.first(where: { $0.seq == first }) {
                do throws(EventError) { try verifier.checkSignature(e) } catch {
                    return .failure(PushRefusal(.unprocessableContent, "the whole batch is refused: \(error.description)", "invalid"))
                }
            }
            for e in events where e.seq > head.seq {
                // Decided on the data: a validly signed event whose prev is not the hash the hub
                // holds before it is a second history of this court.
                let forks = e.prev != verifier.head.hash
                do throws(EventError) { try verifier.link(e) } catch {
                    if forks, let seq = error.seq {
                        try hub.store.recordAlarm(court: court, seq: seq, kind: "fork", detail: error.reason,
                                                  evidence: String(decoding: e.exportLine, as: UTF8.self), at: received)
                        return .failure(PushRefusal(.conflict, "fork: \(error.description)", "fork", cursor: head.seq))
                    }
                    return .failure(PushRefusal(.unprocessableContent, "the whole batch is refused: \(error.description)", "invalid"))
                }
            }
            do {
                let receipt = try hub.store.ingest(events, nodeHead: nodeHead, recordedAt: received, checkpointSigner: signer)
                return .success((receipt, events.first!.seq, events.last!.seq))
            } catch let e as EventError where e.reason.hasPrefix("fork") {
                let evidence = events.first { $0.seq == e.seq }.map { String(decoding: $0.exportLine, as: UTF8.self) }
                try hub.store.recordAlarm(court: court, seq: e.seq, kind: "fork", detail: e.reason, evidence: evidence, at: received)
                return .failure(PushRefusal(.conflict, e.description, "fork", cursor: head.seq))
            }
        }
        switch outcome {
        case .failure(let refusal):
            metrics.refused(refusal.reason)
            logger.warning("push refused", metadata: ["court": "\(court)", "reason": "\(refusal.reason)", "detail": "\(refusal.message)"])
            var extra: [String: JSONValue] = [:]
            if let c = refusal.cursor { extra["cursor"] = .int(c) }
            return try errorResponse(refusal.status, refusal.message, reason: refusal.reason, extra: extra)
        case .success(let (receipt, from, to)):
            metrics.ingested(receipt.stored, court: court)
            if receipt.stored > 0 { live.announce(court) }
            logger.info("push stored", metadata: ["court": "\(court)", "from": "\(from)", "to": "\(to)", "stored": "\(receipt.stored)", "known": "\(receipt.known)"])
            let proof = try await offload { try self.receiptProof(court: court, seq: to, size: receipt.treeSize, checkpoint: receipt.checkpoint) }
            let signed = PushReceipt.make(court: court, fromSeq: from, toSeq: to, stored: Int64(receipt.stored), headHash: receipt.head.hash.hex,
                                          receivedAt: received, proof: proof, key: hub.node.key)
            return try json(signed.document.json)
        }
    }

    /// The node's own head, sent with a push, for the lag metric.
    static let nodeHeadHeader = HTTPField.Name(ApiPaths.nodeHeadHeader)!

    struct PushRefusal: Error {
        let status: HTTPResponse.Status
        let message: String
        let reason: String
        let cursor: Int64?
        init(_ status: HTTPResponse.Status, _ message: String, _ reason: String, cursor: Int64? = nil) {
            self.status = status
            self.message = message
            self.reason = reason
            self.cursor = cursor
        }
    }

    func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(bytes: CanonicalEncoder.encode(value) + [0x0A])))
    }

    func errorResponse(_ status: HTTPResponse.Status, _ message: String, reason: String, extra: [String: JSONValue] = [:]) throws -> Response {
        var o = extra
        o["error"] = .string(message)
        o["reason"] = .string(reason)
        return try json(.object(o), status: status)
    }

    /// An error that becomes a JSON response with its status.
    func refusal(_ status: HTTPResponse.Status, _ message: String, reason: String) -> HubRefusal {
        metrics.refused(reason)
        logger.warning("request refused", metadata: ["status": "\(status.code)", "reason": "\(reason)", "detail": "\(message)"])
        return HubRefusal(status: status, message: message, reason: reason)
    }
}

/// A refused request: status, one-line message, and a stable reason for metrics.
struct HubRefusal: HTTPResponseError {
    let status: HTTPResponse.Status
    let message: String
    let reason: String
    var headers: HTTPFields { [.contentType: "application/json"] }
    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body: JSONValue = ["error": .string(message), "reason": .string(reason)]
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: CanonicalEncoder.encode(body) + [0x0A])))
    }
}

/// Runs blocking work (SQLite, signature checks on all cores) off Swift's cooperative threads.
func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}
