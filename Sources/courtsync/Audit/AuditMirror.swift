import ArgumentParser
import CourtLog
import Foundation
import NodeStore
import NodeSync
import SyncProtocol
import TransparencyLog

/// `courtsync audit mirror`: keeps a copy of the hub's public tiles (protocol §16.13), verified
/// against its checkpoint key and against the copy already held, so that a hub restored from an
/// old backup can be rebuilt from it (`courtsync hub recover`).
struct AuditMirror: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mirror",
        abstract: "镜像透明日志 mirror — Copy the hub's checkpoint, tiles and witnessed checkpoint into DIR (tlog-tiles layout, servable as static files), verifying each; run it again (e.g. every few minutes) to follow the log.")
    @OptionGroup var source: AuditSource
    @Option(help: "The hub's base URL, e.g. https://hub.jzfy.example:8443 (default: the one in --auditor or --node).")
    var hub: String?
    @Option(help: "The hub's CA certificate (PEM), with --hub (the hub's tls/ca.pem).")
    var ca: String?
    @Option(help: "The mirror directory (made if absent).")
    var out: String
    @Option(help: "Cosignatures for the witnessed checkpoint kept beside the latest one.")
    var quorum: Int = ApiPaths.defaultQuorum

    static let keyFile = "verifier-key"

    func run() async throws {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let mirror = TileMirror(path: out)
        let verifier = try mirrorVerifier(mirror)
        let client = try makeClient()
        let result: Result<TileMirror.Update, any Error>
        do { result = .success(try await fetch(into: mirror, verifier: verifier, client: client)) } catch { result = .failure(error) }
        await client.shutdown()
        let update: TileMirror.Update
        do { update = try result.get() } catch let e as TransparencyError { try fail(e.description) }
        try mirror.write(Array((verifier.encoded + "\n").utf8), to: Self.keyFile)
        let from = update.previousSize.map { $0 == update.size ? "(already) " : "from \($0) " } ?? ""
        let witnessedText = update.witnessedSize.map { "witnessed checkpoint of size \($0) (quorum \(quorum)) kept" } ?? "no witnessed checkpoint (quorum \(quorum)) yet"
        print("ok: mirrored \(verifier.name) \(from)to \(update.size) entries (\(update.fetched) tiles fetched, every tile verified against the signed root); \(witnessedText); \(out) can be served as static files")
    }

    func fetch(into mirror: TileMirror, verifier: NoteVerifier, client: HubClient) async throws -> TileMirror.Update {
        let checkpoint = try await client.get(ApiPaths.checkpoint)
        guard checkpoint.status == 200 else { throw EventError("the hub answered \(checkpoint.status) for its checkpoint: \(checkpoint.error)") }
        let witnessed = try await client.get(ApiPaths.witnessedCheckpoint, query: ["quorum": "\(quorum)"])
        return try await mirror.update(to: checkpoint.text, verifier: verifier, witnessed: witnessed.status == 200 ? witnessed.text : nil) { path in
            let reply = try await client.get("/" + path)
            return reply.status == 200 ? reply.body : nil
        }
    }

    /// The checkpoint key: given (--key, --auditor, --node), or the one this mirror was made with.
    func mirrorVerifier(_ mirror: TileMirror) throws -> NoteVerifier {
        if source.key != nil || source.auditor != nil || source.nodeDir != nil {
            let given = try source.verifier()
            if let kept = mirror.read(Self.keyFile).map({ String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }), kept != given.encoded {
                throw EventError("\(out) mirrors the log of key \(kept), not \(given.encoded): choose another --out")
            }
            return given
        }
        guard let kept = mirror.read(Self.keyFile) else {
            throw ValidationError("give the hub's checkpoint key the first time: --key (as `hub init` printed it), or --auditor FILE / --node DIR")
        }
        do { return try NoteVerifier(encoded: String(decoding: kept, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) } catch {
            throw EventError("\(out)/\(Self.keyFile) is damaged (\(error)): give the key again with --key")
        }
    }

    /// A connection to the hub; the tiles and checkpoints are public, so no credential is needed
    /// beyond the CA that signed the hub's certificate.
    func makeClient() throws -> HubClient {
        if let hub {
            guard let ca else { throw ValidationError("--hub needs --ca: the hub's CA certificate (its tls/ca.pem)") }
            guard let pem = FileManager.default.contents(atPath: ca) else { throw EventError("cannot read \(ca): give the hub's CA certificate (PEM)") }
            return try HubClient(baseURL: hub, caPEM: String(decoding: pem, as: UTF8.self), certificatePEM: nil, privateKeyPEM: nil)
        }
        if let auditor = source.auditor {
            let c = try source.credential(auditor)
            guard let url = c["hub_url"]?.stringValue, let pem = c["ca_pem"]?.stringValue else { throw EventError("\(auditor) lacks hub_url or ca_pem") }
            return try HubClient(baseURL: url, caPEM: pem, certificatePEM: nil, privateKeyPEM: nil)
        }
        if let nodeDir = source.nodeDir { return try NodeEnrollment.client(try NodeDirectory.open(at: nodeDir)) }
        throw ValidationError("say where the hub is: --hub URL --ca PEM, or --auditor FILE, or --node DIR")
    }
}
