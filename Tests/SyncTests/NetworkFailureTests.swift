import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import Testing
@testable import NodeSync

/// A node's sync failure is explained by the error's type, not by searching its text: each
/// kind an administrator can act on gets its own sentence.
@Suite("network failures explained by type")
struct NetworkFailureTests {
    @Test func eachFailureKindIsClassifiedByItsType() {
        #expect(HubClient.classify(HTTPClientError.connectTimeout) == .unreachable)
        #expect(HubClient.classify(IOError(errnoCode: ECONNREFUSED, reason: "connect")) == .unreachable)
        #expect(HubClient.classify(ChannelError.connectTimeout(.seconds(5))) == .unreachable)
        #expect(HubClient.classify(HTTPClientError.readTimeout) == .timeout)
        #expect(HubClient.classify(HTTPClientError.deadlineExceeded) == .timeout)
        #expect(HubClient.classify(HTTPClientError.remoteConnectionClosed) == .cut)
        #expect(HubClient.classify(ChannelError.ioOnClosedChannel) == .cut)
        #expect(HubClient.classify(IOError(errnoCode: ECONNRESET, reason: "read")) == .cut)
        #expect(HubClient.classify(NIOSSLError.uncleanShutdown) == .cut)
        #expect(HubClient.classify(NIOSSLError.handshakeFailed(.sslError([]))) == .tls)
        // An error whose text mentions a certificate is not thereby a TLS failure.
        struct Other: Error, CustomStringConvertible { var description: String { "certificate handshake Connection refused" } }
        #expect(HubClient.classify(Other()) == .other)
    }

    @Test func theSentencesSayWhatToDo() {
        let url = "https://hub.example:8443"
        #expect(HubClient.explain(HTTPClientError.connectTimeout, url: url).description.contains("is `courtsync hub serve` running"))
        #expect(HubClient.explain(NIOSSLError.handshakeFailed(.sslError([])), url: url).description.contains("check the bundle"))
        #expect(HubClient.explain(HTTPClientError.readTimeout, url: url).description.contains("sync again later"))
        #expect(HubClient.explain(HTTPClientError.remoteConnectionClosed, url: url).description.contains("stored whole or not at all"))
    }
}
