import HTTPTypes
import Hummingbird
import NodeStore
import SyncProtocol

/// Identifies every request's caller once, before any route runs (protocol §15.3): a node by its
/// verified client certificate and the registry, an auditor by token. It refuses nobody itself —
/// /healthz, the public transparency routes and the dashboard's login are open — but records the
/// caller, or why its credentials were refused, in the context, where `HubServer.caller` reads it.
struct CallerAuthentication: RouterMiddleware {
    typealias Context = HubContext
    /// The peer's verified certificate: the TLS handshake's, or a test's stand-in (router tests
    /// in process have no TLS).
    typealias PeerIdentity = @Sendable (Request, HubContext) async throws -> (commonName: String, serial: String)?

    let store: any HubLogStore
    let peer: PeerIdentity

    static let tlsPeer: PeerIdentity = { _, context in try await context.clientIdentity() }

    func handle(_ request: Request, context: HubContext, next: (Request, HubContext) async throws -> Response) async throws -> Response {
        var context = context
        do {
            context.caller = try await identify(request, context)
        } catch let refusal as HubRefusal {
            context.callerRefusal = refusal
        }
        return try await next(request, context)
    }

    func identify(_ request: Request, _ context: HubContext) async throws -> HubServer.Caller? {
        let store = self.store
        if let identity = try await peer(request, context) {
            let nodes = try await offload { try store.enrolledNodes() }
            guard let node = nodes.first(where: { $0.court == identity.commonName }) else {
                throw HubRefusal(.notEnrolled, "certificate for \(identity.commonName) is not enrolled at this hub")
            }
            guard node.status == "active" else {
                throw HubRefusal(.revoked, "node \(node.court) is revoked: ask the intermediate court's 技术处 to enroll it again")
            }
            // A court whose enrollment came back in a recovery (protocol §16.13): the key log
            // holds its event key, not the serial of the certificate the hub issued it.
            guard node.tlsSerial == identity.serial || node.tlsSerial == EventStore.restoredEnrollmentSerial else {
                throw HubRefusal(.revoked, "this certificate of \(node.court) was replaced by a newer enrollment: install the newest bundle")
            }
            return .node(node.court)
        }
        if let auth = request.headers[.authorization], auth.hasPrefix("Bearer ") {
            let token = String(auth.dropFirst(7))
            if let name = try await offload({ try store.auditor(token: token) }) { return .auditor(name) }
            // A metrics scraper's token is not a caller's; /metrics checks it itself.
            if try await offload({ try store.scraper(token: token) }) != nil { return nil }
            throw HubRefusal(.unauthorized, "unknown auditor token: ask the hub's operator for a credential (`courtsync hub auditor add`)")
        }
        return nil
    }
}
