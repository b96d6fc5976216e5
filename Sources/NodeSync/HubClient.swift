import AsyncHTTPClient
import CanonicalJSON
import CourtLog
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SyncProtocol

/// HTTPS to the hub: trusts only the hub's CA, presents the node's client certificate (or an
/// auditor's token), and gives every request a deadline.
public final class HubClient: Sendable {
    let client: HTTPClient
    let baseURL: String
    let token: String?

    /// A response the caller reads.
    public struct Reply: Sendable {
        public let status: Int
        public let body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
        public var json: JSONValue? { try? StrictJSONParser.parse(body) }
        /// The hub's one-line error, when it sent one.
        public var error: String { json?["error"]?.stringValue ?? text.trimmingCharacters(in: .whitespacesAndNewlines) }
        /// The hub's refusal, typed (protocol §15.3), when the answer is one.
        public var refusal: HubRefusal? { status >= 400 ? json.flatMap(HubRefusal.init(json:)) : nil }
        /// Worth asking again later: the hub failed, is busy, or cut a slow request.
        public var transient: Bool {
            switch refusal?.reason {
            case .busy?, .requestTimeout?: true
            default: status >= 500
            }
        }
    }

    public init(baseURL: String, caPEM: String, certificatePEM: String?, privateKeyPEM: String?, token: String? = nil) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8)))
        if let certificatePEM, let privateKeyPEM {
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8)).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem))
        }
        var config = HTTPClient.Configuration(tlsConfiguration: tls)
        config.timeout = .init(connect: .seconds(5), read: .seconds(120))
        config.connectionPool = .init(idleTimeout: .seconds(10))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
    }

    public func shutdown() async { try? await client.shutdown() }

    public func get(_ path: String, query: [String: String] = [:]) async throws -> Reply {
        try await send(.GET, path, query: query, body: nil, headers: [:])
    }

    public func post(_ path: String, body: [UInt8], headers: [String: String] = [:]) async throws -> Reply {
        try await send(.POST, path, query: [:], body: body, headers: headers)
    }

    func send(_ method: HTTPMethod, _ path: String, query: [String: String], body: [UInt8]?, headers: [String: String]) async throws -> Reply {
        var url = baseURL + path
        if !query.isEmpty {
            var allowed = CharacterSet.urlQueryAllowed
            allowed.remove(charactersIn: "&=+;")
            url += "?" + query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.value)" }.joined(separator: "&")
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/x-ndjson")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await client.execute(request, deadline: .now() + .seconds(120))
            let bytes = try await response.body.collect(upTo: 256 * 1024 * 1024)
            return Reply(status: Int(response.status.code), body: Array(buffer: bytes))
        } catch {
            throw HubClient.explain(error, url: baseURL)
        }
    }

    /// What went wrong below HTTP, by the error's type (never by its text).
    enum NetworkFailure: Equatable {
        /// The TLS handshake failed: the certificate chain or the client certificate.
        case tls
        /// No connection could be made: nothing listens, or the network is down.
        case unreachable
        /// Connected, but the answer did not come in time.
        case timeout
        /// The connection was cut mid-request.
        case cut
        case other
    }

    static func classify(_ error: any Error) -> NetworkFailure {
        switch error {
        case let e as HTTPClientError:
            if e == .connectTimeout { return .unreachable }
            if e == .readTimeout || e == .deadlineExceeded { return .timeout }
            if e == .remoteConnectionClosed { return .cut }
            return .other
        case let e as NIOSSLError:
            if case .uncleanShutdown = e { return .cut }
            return .tls
        case is BoringSSLError, is NIOSSLExtraError:
            return .tls
        case let e as NIOConnectionError:
            // Every address was tried; a TLS failure on one of them is still a TLS failure.
            let causes = e.connectionErrors.map { classify($0.error) }
            return causes.contains(.tls) ? .tls : .unreachable
        case let e as IOError:
            switch e.errnoCode {
            case ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, ETIMEDOUT, EADDRNOTAVAIL, ENETDOWN: return .unreachable
            case ECONNRESET, EPIPE: return .cut
            default: return .other
            }
        case let e as ChannelError:
            switch e {
            case .connectTimeout: return .unreachable
            case .ioOnClosedChannel, .eof, .outputClosed, .inputClosed, .alreadyClosed: return .cut
            default: return .other
            }
        default:
            return .other
        }
    }

    /// Network and TLS failures as sentences an administrator can act on.
    static func explain(_ error: any Error, url: String) -> SyncError {
        let text = String(describing: error)
        switch classify(error) {
        case .tls:
            return SyncError("TLS with \(url) failed (\(text)): the hub's certificate is not signed by the CA in this node's bundle, or the hub refused this node's certificate; check the bundle (`courtsync node join`)")
        case .unreachable:
            return SyncError("cannot reach the hub at \(url): is `courtsync hub serve` running and the network up? Nothing was lost; sync again later")
        case .timeout:
            return SyncError("the hub at \(url) did not answer in time: sync again later (nothing is stored twice)")
        case .cut:
            return SyncError("the connection to \(url) was cut mid-request: sync again (a batch is stored whole or not at all)")
        case .other:
            return SyncError("request to \(url) failed: \(text)")
        }
    }
}

/// A sync that could not finish, said plainly. Nothing half-done is left behind.
public struct SyncError: Error, CustomStringConvertible, Sendable {
    public let description: String
    /// Worth retrying later (hub unreachable, connection cut).
    public let transient: Bool
    public init(_ description: String, transient: Bool = true) {
        self.description = description
        self.transient = transient
    }
}
