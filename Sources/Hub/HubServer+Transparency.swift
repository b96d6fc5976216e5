import CanonicalJSON
import CourtLog
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NodeStore
import SyncProtocol
import TransparencyLog

/// The read side of the hub's transparency log (protocol §16): the checkpoint and tiles of
/// C2SP tlog-tiles, RFC 9162 proofs, and receipts for what the hub already holds.
///
/// The checkpoint, tiles and proofs are public (anonymous callers may read them): they hold
/// only hashes, court codes and seqs — no event content — and a tamper-evident log is worth
/// only as much as the number of people who can check it. Receipts are for the node itself
/// and auditors.
extension HubServer {
    func addTransparencyRoutes(_ router: Router<HubContext>) {
        router.get(RouterPath(ApiPaths.checkpoint)) { _, _ in
            let (_, note) = try await offload { try self.hub.currentCheckpoint() }
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-cache"],
                            body: .init(byteBuffer: ByteBuffer(string: note)))
        }
        router.get(RouterPath("/tile/**")) { _, context in
            let parts = context.parameters.getCatchAll()
            guard let tile = Self.parseTile(parts) else {
                throw self.refusal(.notFound, "not a tlog-tiles path: expected /tile/<L>/<N>[.p/<W>] or /tile/entries/<N>[.p/<W>]", reason: "not-found")
            }
            let store = self.hub.log
            let data = try await offload { () -> [UInt8]? in
                if let level = tile.level { return try store.tile(level: level, index: tile.index, width: tile.width) }
                return try store.entryBundle(index: tile.index, width: tile.width)
            }
            guard let data else { throw self.refusal(.notFound, "the tree does not hold this tile yet", reason: "not-found") }
            // A full tile never changes; a partial one is replaced by a wider one.
            let cache = tile.width == TilePath.width ? "public, max-age=31536000, immutable" : "no-cache"
            return Response(status: .ok, headers: [.contentType: "application/octet-stream", .cacheControl: cache],
                            body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.get(RouterPath(ApiPaths.inclusionProof)) { request, _ in
            let q = request.uri.queryParameters
            guard let court = q["court"].map(String.init), court.count == 6 || court == "keylog", let seq = q["seq"].flatMap({ Int64($0) }) else {
                throw self.refusal(.badRequest, "give court (6 digits, or keylog for key-log record seq) and seq; size is optional (default: the latest checkpoint)", reason: "bad-request")
            }
            let size = q["size"].flatMap { Int64($0) }
            let store = self.hub.log
            return try await self.answer {
                // With a size (a node's held checkpoint) there is nothing to sign or publish first.
                let latest = size == nil ? try self.hub.currentCheckpoint() : nil
                let n = size ?? latest?.size ?? 0
                guard let found = try store.leafIndex(court: court, seq: seq), found.index < n else {
                    throw StoreError("the hub's tree of \(n) leaves holds no entry for \(court) seq \(seq)")
                }
                let proven = EntryProof(seq: seq, leafIndex: found.index, entry: found.entry, inclusion: try store.inclusionProof(index: found.index, size: n))
                var out = proven.json.with("court", .string(court)).with("tree_size", .int(n))
                if let note = try latest?.checkpoint ?? store.checkpoint(size: n) { out = out.with("checkpoint", .string(note)) }
                return out
            }
        }
        router.get(RouterPath(ApiPaths.keyLogProofs)) { request, _ in
            let q = request.uri.queryParameters
            guard let from = q["from"].flatMap({ Int64($0) }), from >= 1 else {
                throw self.refusal(.badRequest, "give from (the first key-log record wanted, 1 or more) and optionally size (default: the latest checkpoint)", reason: "bad-request")
            }
            let asked: Int64?
            if let size = q["size"] {
                guard let n = Int64(size), n >= 0 else { throw self.refusal(.badRequest, "size must be a tree size (0 or more), not '\(LogText.escape(String(size)))'", reason: "bad-request") }
                asked = n
            } else {
                asked = nil
            }
            let store = self.hub.log
            return try await self.answer {
                // A node names the size of the checkpoint it holds: nothing to sign or publish first.
                let (size, latest) = try asked.map { ($0, nil as String?) } ?? { let c = try self.hub.currentCheckpoint(); return (c.size, c.checkpoint) }()
                let records = try store.entryProofs(name: KeyLogRecord.treeName, from: from, size: size, limit: ApiPaths.keyLogProofsLimit)
                return KeyLogProofs(from: from, treeSize: size, records: records, checkpoint: try latest ?? store.checkpoint(size: size)).json
            }
        }
        router.get(RouterPath(ApiPaths.consistencyProof)) { request, _ in
            let q = request.uri.queryParameters
            guard let from = q["from"].flatMap({ Int64($0) }) else {
                throw self.refusal(.badRequest, "give from (the smaller tree size) and optionally to (default: the latest checkpoint)", reason: "bad-request")
            }
            let to = q["to"].flatMap { Int64($0) }
            let store = self.hub.log
            return try await self.answer {
                let latest = try self.hub.currentCheckpoint()
                let n = to ?? latest.size
                let proof = try store.consistencyProof(old: from, new: n)
                var out: JSONValue = ["from": .int(from), "to": .int(n), "consistency": .array(proof.map { .string(Hex.encode($0)) })]
                if let note = n == latest.size ? latest.checkpoint : try store.checkpoint(size: n) { out = out.with("checkpoint", .string(note)) }
                return out
            }
        }
        router.post(route(ApiPaths.cosignature)) { request, context in
            let caller = try await self.caller(request, context)
            let court = try self.court(context)
            guard case .node(let own) = caller, own == court else {
                throw self.refusal(.forbidden, "only the node itself may cosign as its court's witness", reason: "forbidden")
            }
            let body = try await request.body.collect(upTo: 64 * 1024)
            guard let json = try? StrictJSONParser.parse(Array(buffer: body)), let size = json["size"]?.intValue,
                  let line = json["cosignature"]?.stringValue, !line.contains("\n") else {
                throw self.refusal(.badRequest, "expected {\"size\": N, \"cosignature\": \"— <name> <base64>\"}", reason: "bad-request")
            }
            let hub = self.hub
            let signer = self.checkpointSigner
            return try await self.answer {
                guard let note = try hub.log.checkpoint(size: size), let signer, let text = try? signer.verifier.verify(note: note),
                      let enrolled = try hub.log.enrolledNodes().first(where: { $0.court == court && $0.status == "active" }),
                      let key = try? NodePublicKey(hex: enrolled.publicKey) else {
                    throw StoreError("the hub signed no checkpoint of size \(size), or \(court) is not enrolled")
                }
                let witness = CosignatureVerifier(name: CosignatureVerifier.nodeWitnessName(court: court), publicKey: key.raw)
                guard witness.verify(line: Substring(line), body: text) != nil else {
                    throw StoreError("the cosignature does not verify as \(witness.name)'s over the checkpoint of size \(size)")
                }
                let count = try hub.log.addCosignature(size: size, witness: witness.name, line: line, at: Int64(Date().timeIntervalSince1970))
                return ["size": .int(size), "cosigners": .int(Int64(count))]
            }
        }
        router.get(RouterPath(ApiPaths.witnessedCheckpoint)) { request, _ in
            let quorum = request.uri.queryParameters["quorum"].flatMap { Int($0) } ?? ApiPaths.defaultQuorum
            let store = self.hub.log
            guard let witnessed = try await offload({ try store.witnessedCheckpoint(quorum: max(1, quorum)) }) else {
                throw self.refusal(.notFound, "no checkpoint is cosigned by \(quorum) witnesses yet", reason: "not-found")
            }
            let note = witnessed.checkpoint + witnessed.cosignatures.map { $0 + "\n" }.joined()
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-cache"],
                            body: .init(byteBuffer: ByteBuffer(string: note)))
        }
        router.get(route(ApiPaths.receipt)) { request, context in
            let caller = try await self.caller(request, context)
            let court = try self.court(context)
            if case .node(let own) = caller, own != court {
                throw self.refusal(.forbidden, "a node may fetch receipts only for its own log", reason: "forbidden")
            }
            let q = request.uri.queryParameters
            guard let from = q["from"].flatMap({ Int64($0) }), let to = q["to"].flatMap({ Int64($0) }), from >= 1, from <= to else {
                throw self.refusal(.badRequest, "give from and to, 1 ≤ from ≤ to: the range of the node's log to be receipted", reason: "bad-request")
            }
            let store = self.hub.log
            return try await self.answer {
                let head = try store.head(of: court)
                guard to <= head.seq, let last = try store.events(of: court, from: to, limit: 1).first else {
                    throw StoreError("the hub holds \(court) only up to seq \(head.seq): push the rest, then ask for its receipt")
                }
                let latest = try self.hub.currentCheckpoint()
                let proof = try self.receiptProof(court: court, seq: to, size: latest.size, checkpoint: latest.checkpoint)
                let receipt = PushReceipt.make(court: court, fromSeq: from, toSeq: to, stored: to - from + 1, headHash: last.hash.hex,
                                               receivedAt: Int64(Date().timeIntervalSince1970), proof: proof, key: self.hub.node.key)
                return receipt.document.json
            }
        }
    }

    /// The checkpoint, leaf index and inclusion proof of (court, seq) for a receipt.
    func receiptProof(court: String, seq: Int64, size: Int64?, checkpoint: String?) throws -> PushReceipt.Proof? {
        guard let size, let checkpoint, let found = try hub.log.leafIndex(court: court, seq: seq) else { return nil }
        return PushReceipt.Proof(checkpoint: checkpoint, leafIndex: found.index, inclusion: try hub.log.inclusionProof(index: found.index, size: size))
    }

    /// Runs a JSON answer off the event loop; a store refusal (a size or seq the tree does not hold) is 404.
    func answer(_ body: @escaping @Sendable () throws -> JSONValue) async throws -> Response {
        do {
            return try json(try await offload(body))
        } catch let e as StoreError {
            throw refusal(.notFound, e.description, reason: "not-found")
        }
    }

    /// `<L>/<N...>[.p/<W>]` or `entries/<N...>[.p/<W>]`.
    static func parseTile(_ parts: [Substring]) -> (level: Int?, index: Int64, width: Int64)? {
        guard parts.count >= 2 else { return nil }
        let level: Int?
        if parts[0] == "entries" { level = nil } else {
            guard let l = Int(parts[0]), l >= 0, l <= 7, String(l) == parts[0] else { return nil }
            level = l
        }
        var rest = Array(parts.dropFirst())
        var width = TilePath.width
        if rest.count >= 2, let last = rest.last, let w = Int64(last), rest[rest.count - 2].hasSuffix(".p") {
            guard w >= 1, w < TilePath.width, String(w) == last else { return nil }
            width = w
            rest.removeLast()
            rest[rest.count - 1] = rest[rest.count - 1].dropLast(2)
        }
        guard let index = TilePath.parseIndex(rest) else { return nil }
        return (level, index, width)
    }
}
