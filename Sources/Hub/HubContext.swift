import Hummingbird
import NIOCore
import NIOSSL
import SyncProtocol

/// The request context of the hub: Hummingbird's core storage plus the connection, so that
/// a handler can read the client certificate the TLS handshake verified, and the caller that
/// ``CallerAuthentication`` identified.
struct HubContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel
    /// The node or auditor calling, once ``CallerAuthentication`` has run; nil when anonymous.
    var caller: HubServer.Caller?
    /// Why the caller's credentials were refused, if they were.
    var callerRefusal: HubRefusal?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The verified client certificate's common name (a court code) and serial, if any.
    func clientIdentity() async throws -> (commonName: String, serial: String)? {
        let channel = self.channel
        // No TLS handler (an in-process router test): no certificate.
        let der: [UInt8]? = try await channel.eventLoop.submit {
            guard let tls = try? channel.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self) else { return nil }
            return try tls.peerCertificate.map { try $0.toDERBytes() }
        }.get()
        guard let der else { return nil }
        return try HubCertificates.identity(ofDER: der)
    }
}
