import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL

/// `courtsync witness serve`: C2SP tlog-witness `POST /add-checkpoint` over HTTPS.
public struct WitnessServer: Sendable {
    public static let addCheckpointPath = "/add-checkpoint"
    public let directory: WitnessDirectory
    public let witness: Witness
    let logger: Logger

    public init(directory: WitnessDirectory, witness: Witness, logger: Logger) {
        self.directory = directory
        self.witness = witness
        self.logger = logger
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        let witness = self.witness
        router.post(RouterPath(Self.addCheckpointPath)) { request, _ -> Response in
            let body = try await request.body.collect(upTo: 64 * 1024)
            let bytes = Array(body.readableBytesView)
            let answer = try await withCheckedThrowingContinuation { (c: CheckedContinuation<Witness.Answer, Error>) in
                DispatchQueue.global().async { c.resume(returning: witness.addCheckpoint(bytes)) }
            }
            return Response(status: .init(code: answer.status), headers: [.contentType: answer.contentType],
                            body: .init(byteBuffer: ByteBuffer(string: answer.body)))
        }
        router.get("/healthz") { _, _ in "ok\n" }
        return router
    }

    /// Runs until SIGTERM or SIGINT.
    public func run(host: String, port: Int) async throws {
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(try directory.file("server.pem").utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(try directory.file("server.key").utf8), format: .pem)))
        tls.shutdownTimeout = .milliseconds(300)
        let app = Application(router: router(), server: try .tls(tlsConfiguration: tls),
                              configuration: .init(address: .hostname(host, port: port), serverName: "courtsync-witness"), logger: logger)
        try await app.runService()
    }
}
