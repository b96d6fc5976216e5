import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import NodeStore
import TransparencyLog

/// The hub's side of C2SP tlog-witness (protocol §16.11): each checkpoint the hub signs is sent
/// to every standalone witness added with `hub witness add`, with a consistency proof from the
/// size the witness holds; the cosignatures come back next to the nodes' ones and count toward
/// `/v1/checkpoint/witnessed`.
extension HubServer {
    /// Runs until cancelled: once a second, sends the latest checkpoint to each witness that has
    /// not cosigned it yet. A witness that is down is tried again on the next round.
    func sendCheckpointsToWitnesses() async {
        var sent: [String: Int64] = [:]
        while !Task.isCancelled {
            let log = hub.log
            if let witnesses = try? await offload({ try log.witnesses() }), !witnesses.isEmpty, let latest = try? await offload({ try log.latestCheckpoint() }) {
                for w in witnesses where sent[w.name] != latest.size {
                    if await send(latest, to: w) { sent[w.name] = latest.size }
                }
            }
            try? await Task.sleep(nanoseconds: 1_000_000_000)
        }
    }

    /// One `add-checkpoint` exchange (retried once after a 409 names the witness's size).
    /// Returns whether the witness cosigned.
    func send(_ latest: (size: Int64, checkpoint: String), to w: EventStore.HubWitness) async -> Bool {
        guard let verifier = try? CosignatureVerifier(encoded: w.verifierKey), let checkpoint = try? Checkpoint(body: latest.checkpoint.components(separatedBy: "\n\n").first.map { $0 + "\n" } ?? "") else {
            logger.error("witness \(w.name): its verifier key or the hub's checkpoint is unreadable")
            return false
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        if let ca = w.caPEM, let roots = try? NIOSSLCertificate.fromPEMBytes(Array(ca.utf8)) { tls.trustRoots = .certificates(roots) }
        var config = HTTPClient.Configuration(tlsConfiguration: tls)
        config.timeout = .init(connect: .seconds(5), read: .seconds(30))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        defer { Task { try? await client.shutdown() } }
        var old = min(w.size, latest.size)
        for _ in 0..<2 {
            guard let proof = try? hub.log.consistencyProof(old: old, new: latest.size) else { return false }
            var body = "old \(old)\n"
            for h in proof { body += Data(h).base64EncodedString() + "\n" }
            body += "\n" + latest.checkpoint
            var request = HTTPClientRequest(url: (w.url.hasSuffix("/") ? String(w.url.dropLast()) : w.url) + "/add-checkpoint")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            request.body = .bytes(ByteBuffer(string: body))
            let status: Int, text: String
            do {
                let response = try await client.execute(request, deadline: .now() + .seconds(30))
                status = Int(response.status.code)
                text = String(buffer: try await response.body.collect(upTo: 64 * 1024))
            } catch {
                logger.warning("witness \(w.name) at \(w.url) is unreachable (\(error)); the checkpoint of size \(latest.size) is sent again in a second")
                return false
            }
            if status == 200 {
                let lines = text.split(separator: "\n").filter { verifier.verify(line: $0, body: checkpoint.body) != nil }
                guard let line = lines.first else {
                    logger.error("witness \(w.name) answered 200 without a valid cosignature by its key")
                    return false
                }
                _ = try? hub.log.addCosignature(size: latest.size, witness: w.name, line: String(line), at: Int64(Date().timeIntervalSince1970))
                try? hub.log.setWitnessSize(name: w.name, size: latest.size)
                return true
            }
            if status == 409, let held = Int64(text.trimmingCharacters(in: .whitespacesAndNewlines)), held != old {
                guard held <= latest.size else {
                    logger.error("witness \(w.name) holds a checkpoint of size \(held), larger than the hub's \(latest.size): the hub's log was rolled back")
                    return false
                }
                try? hub.log.setWitnessSize(name: w.name, size: held)
                old = held
                continue
            }
            logger.error("witness \(w.name) refused the checkpoint of size \(latest.size) from old size \(old): \(status) \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
            return false
        }
        return false
    }
}
