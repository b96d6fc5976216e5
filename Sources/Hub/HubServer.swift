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
    /// Each court's pushes in flight, committed in seq order.
    let pushes: PushSequencer
    /// Full replays (`as_of` and `checkpoint` queries) running at once, at most `COURTSYNC_MAX_REPLAYS`.
    let replays: ReplayGate
    /// The last few replays, answered again without replaying (`COURTSYNC_REPLAY_CACHE`).
    let replayCache: ReplayCache
    /// Where the caller's certificate comes from: the TLS handshake, or a router test's stand-in.
    let peerIdentity: CallerAuthentication.PeerIdentity

    public init(hub: HubDirectory, logger: Logger) {
        self.init(hub: hub, logger: logger, peerIdentity: CallerAuthentication.tlsPeer)
    }

    init(hub: HubDirectory, logger: Logger, peerIdentity: @escaping CallerAuthentication.PeerIdentity, replays: ReplayGate = .fromEnvironment(),
         replayCache: ReplayCache = .fromEnvironment(), pushes: PushSequencer = PushSequencer()) {
        self.hub = hub
        self.pushes = pushes
        self.logger = logger
        self.checkpointSigner = try? hub.checkpointSigner()
        self.peerIdentity = peerIdentity
        self.replays = replays
        self.replayCache = replayCache
    }

    /// The push path without HTTP.
    var ingest: IngestService { IngestService(hub: hub, checkpointSigner: checkpointSigner) }

    /// Who is calling.
    enum Caller: Sendable {
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
        // Every connection holds a descriptor: the soft open-file limit goes up to the hard one,
        // and the connections in all stay below it (OpenFileLimit.swift).
        let files = OpenFileLimit.raiseToHard()
        // Handshake and idle timeouts, a cap per client address and in all (ConnectionGuard.swift).
        let limits = ConnectionLimits.fromEnvironment(files: files)
        logger.info("\(files.description); this hub holds at most \(limits.total) (COURTSYNC_MAX_CONNECTIONS), \(limits.perAddress) from one address")
        if let advice = files.advice { logger.warning("\(advice)") }
        // Connections that send nothing wait in the kernel, and bursts are accepted in batches (ListeningSocket.swift).
        let listening = ListeningSocket.fromEnvironment()
        let logger = self.logger
        let app = Application(
            router: router(),
            server: try .guardedTLS(tlsConfiguration: tls, limits: limits, timeouts: RequestTimeouts.fromEnvironment(), counter: ConnectionCounter(), logger: logger),
            // The kernel keeps at most net.core.somaxconn of these waiting; the hub accepts at
            // once and makes room itself (ConnectionCounter), so a flood cannot fill the queue for long.
            configuration: .init(address: .hostname(host, port: port), serverName: "courtsync-hub", backlog: 4_096),
            onServerRunning: { channel in let said = await listening.apply(to: channel); logger.info("\(said)") },
            logger: logger)
        let witnesses = Task { await self.sendCheckpointsToWitnesses() }
        defer { witnesses.cancel() }
        // A replica of a PostgreSQL hub publishes 410800's new events written in its directory
        // (policy) and folds what the others accepted into its projections between requests
        // too, so that a query rarely has much to catch up. Open dashboards hear of every court
        // folded, whichever replica took the push (within about a second).
        let hub = self.hub
        let follower = hub.follower.map { follower in
            Task {
                var announced = (try? follower.projection.treeSize()) ?? 0
                while !Task.isCancelled {
                    let from = announced
                    do {
                        let copied = try await offload { _ = try hub.currentCheckpoint(); _ = try follower.catchUp(); return try follower.courtsCopied(since: from) }
                        for court in copied.courts { self.live.announce(court) }
                        announced = copied.size
                    } catch {
                        self.logger.warning("projection follower: \(LogText.escape("\(error)"))")
                    }
                    try? await Task.sleep(nanoseconds: 1_000_000_000)
                }
            }
        }
        defer { follower?.cancel() }
        try await app.runService()
    }

    func router() -> Router<HubContext> {
        let router = Router(context: HubContext.self)
        router.add(middleware: CallerAuthentication(store: hub.log, peer: peerIdentity))
        router.get(RouterPath(ApiPaths.health)) { _, _ in
            try self.json(["status": "ok", "court": .string(PolicyAuthority.intermediateCourt)])
        }
        router.get(RouterPath(ApiPaths.metrics)) { request, context in
            try await self.metricsReader(request, context)
            let store = self.hub.log
            let text = try await offload {
                let reports = try store.pushReports()
                let now = Int64(Date().timeIntervalSince1970)
                var lag: [(String, Int64, Int64)] = []
                for (court, r) in reports.sorted(by: { $0.key < $1.key }) {
                    // Clamped again here: a report stored before the hub clamped them may be absurd.
                    let behind = max(0, min(IngestService.maxReportedBacklog, r.nodeHead - (try store.head(of: court)).seq))
                    lag.append((court, behind, now - r.at))
                }
                return self.metrics.render(lag: lag.map { (court: $0.0, events: $0.1, seconds: $0.2) }, alarms: try store.alarms().count,
                                          replays: self.replayCache.counters)
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get(route(ApiPaths.cursor)) { request, context in
            let caller = try await self.caller(request, context)
            let court = try self.court(context)
            if case .node(let own) = caller, own != court, court != PolicyAuthority.intermediateCourt {
                throw self.refusal(.forbidden, "a node may read only its own cursor and the intermediate court's", reason: "forbidden")
            }
            let head = try await offload { try self.hub.log.head(of: court) }
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
            let events = try await offload { try self.hub.log.events(of: court, from: max(1, from), limit: max(1, limit)) }
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
                let hub = self.hub, replays = self.replays, cache = self.replayCache
                do {
                    let text = try await offload { () throws -> String in
                        let store = try hub.projectionStore()
                        let replay: (key: ReplayCache.Key, make: () throws -> ProjectionSource)
                        if let text = parameters["checkpoint"] {
                            // The log as it stood at a checkpoint this hub signed (protocol §16.12).
                            guard let size = Int64(text), size >= 1, size <= (try store.treeSize()), try store.checkpoint(size: size) != nil else {
                                throw EventError("checkpoint=\(text): this hub signed no checkpoint of that size; GET /checkpoint names the latest")
                            }
                            replay = (.checkpoint(treeSize: size), { try .checkpointed(store, treeSize: size) })
                        } else if let asOf = parameters["as_of"] {
                            let time = try ProjectionSource.recordTime(asOf)
                            replay = (.asOf(recordedBy: time, logLength: try store.logLength()), { try .replayed(store, recordedBy: time) })
                        } else {
                            return try answer(try .stored(store), parameters).render(format) + "\n"
                        }
                        if let kept = cache.source(for: replay.key) {
                            try store.requireComplete()
                            return try answer(kept, parameters).render(format) + "\n"
                        }
                        // A replay holds a whole projection in memory and a core: a bounded number at once.
                        guard replays.enter() else {
                            throw HubRefusal(.busy(retryAfter: ReplayGate.retryAfterSeconds),
                                             "the hub is already running \(replays.limit) replays (as-of or checkpoint queries): ask again in \(ReplayGate.retryAfterSeconds) s, or query without --as-of / --checkpoint")
                        }
                        defer { replays.leave() }
                        let source = try replay.make()
                        cache.keep(source, for: replay.key)
                        return try answer(source, parameters).render(format) + "\n"
                    }
                    return Response(status: .ok, headers: [.contentType: format == "json" ? "application/json" : "text/plain; charset=utf-8"],
                                    body: .init(byteBuffer: ByteBuffer(string: text)))
                } catch let refusal as HubRefusal {
                    throw self.refuse(refusal)
                } catch let e as IncompleteAfterRecovery {
                    // The courts re-push what the hub lost at their next sync (protocol §16.13).
                    throw self.refuse(HubRefusal(.busy(retryAfter: 60), e.description))
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

    /// The caller ``CallerAuthentication`` identified; a refused credential or none is 401/403.
    func caller(_ request: Request, _ context: HubContext) async throws -> Caller {
        if let caller = context.caller { return caller }
        if let refusal = context.callerRefusal { throw refuse(refusal) }
        throw refuse(HubRefusal(.unauthorized, "a client certificate (enrolled node) or an auditor token is required; anonymous callers may read /healthz only"))
    }

    /// POST a batch: the node's own, at most `maxPushBytes`; the ingest service does the rest.
    func push(_ request: Request, _ context: HubContext) async throws -> Response {
        let caller = try await self.caller(request, context)
        let court = try self.court(context)
        guard case .node(let own) = caller else { throw refuse(HubRefusal(.forbidden, "only the node itself may push its log")) }
        guard own == court else { throw refuse(HubRefusal(.wrongCourt, "node \(own) may push only its own log, not \(court)'s")) }
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: ApiPaths.maxPushBytes) } catch {
            throw refuse(HubRefusal(.tooLarge(limit: ApiPaths.maxPushBytes), "the batch is larger than \(ApiPaths.maxPushBytes) bytes: push fewer events at a time (`--batch`)"))
        }
        let nodeHead = request.headers[Self.nodeHeadHeader].flatMap { Int64($0) }
        let bytes = Array(buffer: body)
        let received = Int64(Date().timeIntervalSince1970)
        let ingest = self.ingest, store = hub.log
        // Parsed and verified on all cores while the court's batch before it (if one is in
        // flight) is being stored; committed after it, in seq order (PushSequencer).
        let parsed: IngestService.Batch
        do {
            parsed = try await offload { try ingest.parse(court: court, body: bytes) }
        } catch let refusal as HubRefusal {
            throw refuse(refusal, court: court)
        }
        let ticket = await pushes.arrive(court: court, first: parsed.first, last: parsed.last)
        let accepted: IngestService.Accepted
        do {
            let verified = try await offload { var batch = parsed; ingest.verifySignatures(&batch); return batch }
            try await pushes.turn(ticket) { try await offload { try store.head(of: court).seq } }
            accepted = try await offload { try ingest.commit(verified, nodeHead: nodeHead, receivedAt: received) }
            await pushes.leave(ticket)
        } catch {
            await pushes.leave(ticket)
            if let refusal = error as? HubRefusal { throw refuse(refusal, court: court) }
            throw error
        }
        metrics.ingested(accepted.stored, court: court)
        // On PostgreSQL the follower announces it once folded, on every replica (run(host:port:)).
        if accepted.stored > 0, hub.follower == nil { live.announce(court) }
        logger.info("push stored", metadata: ["court": "\(court)", "from": "\(accepted.fromSeq)", "to": "\(accepted.toSeq)", "stored": "\(accepted.stored)"])
        return try json(accepted.receipt.document.json)
    }

    /// The node's own head, sent with a push, for the lag metric.
    static let nodeHeadHeader = HTTPField.Name(ApiPaths.nodeHeadHeader)!

    func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(bytes: CanonicalEncoder.encode(value) + [0x0A])))
    }

    /// An error that becomes a JSON response with its status (the routes that predate
    /// ``HubRefusal``'s cases name the reason by its word).
    func refusal(_ status: HTTPResponse.Status, _ message: String, reason: String) -> HubRefusal {
        refuse(HubRefusal(HubRefusal.Reason(plain: reason) ?? .badRequest, message))
    }

    /// Counts and logs a refusal (request text escaped: it may carry anything), and returns it to throw.
    func refuse(_ refusal: HubRefusal, court: String? = nil) -> HubRefusal {
        metrics.refused(refusal.word)
        var metadata: Logger.Metadata = ["status": "\(refusal.statusCode)", "reason": "\(refusal.word)", "detail": "\(LogText.escape(refusal.message))"]
        if let court { metadata["court"] = "\(court)" }
        logger.warning("request refused", metadata: metadata)
        return refusal
    }
}

/// A refusal as Hummingbird answers it: its status, its JSON body (protocol §15.3), Retry-After
/// when the hub is busy, and a closed connection after a timeout.
extension HubRefusal: HTTPResponseError {
    public var status: HTTPResponse.Status { HTTPResponse.Status(code: statusCode) }

    public var headers: HTTPFields {
        var fields: HTTPFields = [.contentType: "application/json"]
        if case .busy(let seconds) = reason { fields[.retryAfter] = "\(seconds)" }
        if case .requestTimeout = reason { fields[.connection] = "close" }
        return fields
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: CanonicalEncoder.encode(json) + [0x0A])))
    }
}

/// Runs blocking work (SQLite, signature checks on all cores) off Swift's cooperative threads.
func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}
