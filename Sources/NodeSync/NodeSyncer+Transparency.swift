import CanonicalJSON
import CourtLog
import Foundation
import NodeStore
import SyncProtocol
import TransparencyLog

/// The node's side of the transparency log (protocol §16.6): it keeps the latest checkpoint it
/// verified (`checkpoint` in its directory) and accepts a newer one only with a consistency
/// proof from it, so a hub that rolled back, was restored from an old backup, or shows this
/// node a different log than others is refused, with the evidence kept in `evidence/`.
extension NodeSyncer {
    public static let checkpointName = "checkpoint"
    public static let evidenceDirectory = "evidence"

    /// The checkpoint this node holds, verified under `verifier`, if any.
    public static func heldCheckpoint(_ node: NodeDirectory, verifier: NoteVerifier) throws -> (note: String, checkpoint: Checkpoint)? {
        guard let data = FileManager.default.contents(atPath: "\(node.path)/\(checkpointName)") else { return nil }
        let note = String(decoding: data, as: UTF8.self)
        do { return (note, try verifier.verifyCheckpoint(note)) } catch {
            throw SyncError("\(node.path)/\(checkpointName) does not verify under the hub's checkpoint key (\(error)): restore it from the node's backup", transient: false)
        }
    }

    var checkpointVerifier: NoteVerifier? {
        get throws {
            guard let key = bundle.checkpointVerifierKey else { return nil }
            do { return try NoteVerifier(encoded: key) } catch { throw SyncError("the bundle's checkpoint_verifier_key is damaged (\(error)): install the bundle again", transient: false) }
        }
    }

    /// Moves the held checkpoint to `note` after checking its signature and, when the node
    /// held one, a consistency proof from it. Refuses (keeping the evidence) otherwise.
    @discardableResult
    func advance(to note: String, verifier: NoteVerifier) async throws -> Checkpoint {
        let new: Checkpoint
        do { new = try verifier.verifyCheckpoint(note) } catch {
            throw SyncError("the hub's checkpoint does not verify under the checkpoint key of the bundle (\(error)): stop and report this to 技术处", transient: false)
        }
        if let held = try Self.heldCheckpoint(node, verifier: verifier) {
            let old = held.checkpoint
            if new.size == old.size && new.root == old.root { return new }
            var proofText = ""
            var consistent = false
            if new.size > old.size {
                let reply = try await client.get(ApiPaths.consistencyProof, query: ["from": "\(old.size)", "to": "\(new.size)"])
                proofText = reply.text
                if reply.status == 200, case .array(let items)? = reply.json?["consistency"] {
                    let proof = items.compactMap { $0.stringValue.flatMap { Hex.decode($0, count: 32) } }
                    consistent = proof.count == items.count
                        && MerkleTree.verifyConsistency(old: old.size, new: new.size, oldRoot: old.root, newRoot: new.root, proof: proof)
                } else if reply.status >= 500 {
                    throw SyncError("the hub could not give a consistency proof (\(reply.status)): sync again later", transient: true)
                }
            }
            guard consistent else {
                let file = try keepEvidence(held: held.note, offered: note, proof: proofText)
                let what = new.size < old.size ? "holds \(new.size) entries, fewer than the \(old.size) of the checkpoint this node saw" : "cannot prove that its tree of \(new.size) entries extends the one of \(old.size) this node saw"
                throw SyncError("refusing the hub: its log \(what) — a rollback, a restored backup or a split view; nothing more was sent; evidence kept in \(file); report it to 技术处 and the auditors", transient: false)
            }
        }
        try write(note, to: "\(node.path)/\(Self.checkpointName)")
        return new
    }

    /// Checks a receipt's checkpoint and the inclusion of (court, to_seq, head hash) in it, then advances to it.
    func verifyReceiptProof(_ receipt: PushReceipt, eventHash: EventHash, verifier: NoteVerifier) async throws {
        guard let note = receipt.checkpoint, let index = receipt.leafIndex, let proof = receipt.inclusion else {
            throw SyncError("the hub's receipt for seq \(receipt.fromSeq)…\(receipt.toSeq) carries no checkpoint and inclusion proof: stop and report this to 技术处", transient: false)
        }
        let checkpoint: Checkpoint
        do { checkpoint = try verifier.verifyCheckpoint(note) } catch {
            throw SyncError("the checkpoint in the hub's receipt does not verify (\(error)): stop and report this to 技术处", transient: false)
        }
        let leaf = LogEntry(court: receipt.court, seq: receipt.toSeq, eventHash: eventHash.bytes).leafHash
        guard MerkleTree.verifyInclusion(index: index, size: checkpoint.size, leafHash: leaf, proof: proof, root: checkpoint.root) else {
            throw SyncError("the hub's receipt for seq \(receipt.toSeq) does not prove that event is in its signed checkpoint: stop and report this to 技术处", transient: false)
        }
        try await advance(to: note, verifier: verifier)
    }

    /// Fetches and verifies the hub's latest checkpoint against the one this node holds.
    func checkHubLog(verifier: NoteVerifier) async throws -> Checkpoint {
        let reply = try await client.get(ApiPaths.checkpoint)
        guard reply.status == 200 else {
            throw SyncError("the hub refused its checkpoint (\(reply.status)): \(reply.error)", transient: reply.transient)
        }
        return try await advance(to: reply.text, verifier: verifier)
    }

    /// Asks the hub for a receipt of what it holds of this log beyond the last receipt kept
    /// (a sync killed after the hub committed), verifies it and keeps it.
    func recoverReceipts(cursor: Int64, hubHead: String, verifier: NoteVerifier, keys: [CourtKey], progress: @Sendable (String) -> Void) async throws {
        let own = node.court.code
        let receipted = lastReceiptedSeq()
        // A log that diverged from the hub's gets no receipt: the push that follows raises the fork.
        guard cursor > receipted, let event = try node.store.events(of: own, from: cursor, limit: 1).first, event.hash.hex == hubHead else { return }
        let reply = try await client.get(ApiPaths.path(ApiPaths.receipt, court: own), query: ["from": "\(receipted + 1)", "to": "\(cursor)"])
        guard reply.status == 200, let json = reply.json, let receipt = try? PushReceipt(json: json),
              Self.isSignedNow(receipt, keys: keys), receipt.court == own, receipt.toSeq == cursor,
              receipt.fromSeq == receipted + 1, receipt.headHash == event.hash.hex else {
            throw SyncError("the hub gave no valid receipt for seq \(receipted + 1)…\(cursor), which it holds (\(reply.status)): \(reply.error)", transient: reply.transient)
        }
        try await verifyReceiptProof(receipt, eventHash: event.hash, verifier: verifier)
        try appendReceipt(json)
        progress("recovered the receipt for seq \(receipted + 1)…\(cursor)")
    }

    /// Checks that the policy log this node holds ends in an entry of the held checkpoint: the
    /// hub cannot show this node a policy history that differs from the one in its tree.
    func checkPolicyInclusion(verifier: NoteVerifier) async throws {
        let ic = PolicyAuthority.intermediateCourt
        let head = try node.store.head(of: ic)
        guard head.seq > 0, let held = try Self.heldCheckpoint(node, verifier: verifier) else { return }
        let reply = try await client.get(ApiPaths.inclusionProof, query: ["court": ic, "seq": "\(head.seq)", "size": "\(held.checkpoint.size)"])
        if reply.status == 404 {
            // The policy head arrived after the checkpoint: move to the latest one and ask again.
            let latest = try await checkHubLog(verifier: verifier)
            let again = try await client.get(ApiPaths.inclusionProof, query: ["court": ic, "seq": "\(head.seq)", "size": "\(latest.size)"])
            try checkInclusion(again, head: head, checkpoint: latest)
            return
        }
        try checkInclusion(reply, head: head, checkpoint: held.checkpoint)
    }

    func checkInclusion(_ reply: HubClient.Reply, head: LogHead, checkpoint: Checkpoint) throws {
        let ic = PolicyAuthority.intermediateCourt
        guard reply.status == 200, let json = reply.json, let index = json["leaf_index"]?.intValue, case .array(let items)? = json["inclusion"] else {
            throw SyncError("the hub gave no inclusion proof for 410800's seq \(head.seq) (\(reply.status)): \(reply.error)", transient: reply.transient)
        }
        let proof = items.compactMap { $0.stringValue.flatMap { Hex.decode($0, count: 32) } }
        let leaf = LogEntry(court: ic, seq: head.seq, eventHash: head.hash.bytes).leafHash
        guard proof.count == items.count, MerkleTree.verifyInclusion(index: index, size: checkpoint.size, leafHash: leaf, proof: proof, root: checkpoint.root) else {
            let file = (try? keepEvidence(held: "", offered: "", proof: reply.text)) ?? "?"
            throw SyncError("the intermediate court's log served to this node (seq \(head.seq)) is not the one in the hub's signed tree: a split view; evidence kept in \(file); report it to 技术处 and the auditors", transient: false)
        }
    }

    /// As its court's witness (C2SP tlog-cosignature), cosigns the checkpoint it holds — it has
    /// just checked that checkpoint's consistency with every one it held before — and gives the
    /// cosignature to the hub. A refusal is reported, never fatal: the sync itself is done.
    func cosign(verifier: NoteVerifier, progress: @Sendable (String) -> Void) async {
        guard let held = try? Self.heldCheckpoint(node, verifier: verifier),
              let cosigner = try? Cosigner(name: CosignatureVerifier.nodeWitnessName(court: node.court.code), seed: node.key.seed) else { return }
        let line = cosigner.cosign(body: held.checkpoint.body, time: UInt64(Date().timeIntervalSince1970))
        let body: JSONValue = ["size": .int(held.checkpoint.size), "cosignature": .string(line)]
        let reply = try? await client.post(ApiPaths.path(ApiPaths.cosignature, court: node.court.code), body: CanonicalEncoder.encode(body))
        progress(reply?.status == 200 ? "cosigned the checkpoint of size \(held.checkpoint.size)" : "the hub did not take this node's cosignature: \(reply?.error ?? "unreachable")")
    }

    /// The highest to_seq of the receipts kept.
    func lastReceiptedSeq() -> Int64 {
        guard let data = FileManager.default.contents(atPath: "\(node.path)/\(NodeEnrollment.receiptsName)") else { return 0 }
        var best: Int64 = 0
        for line in data.split(separator: 0x0A) {
            if let json = try? StrictJSONParser.parse(Array(line)), let to = json["body"]?["to_seq"]?.intValue { best = max(best, to) }
        }
        return best
    }

    func keepEvidence(held: String, offered: String, proof: String) throws -> String {
        let dir = "\(node.path)/\(Self.evidenceDirectory)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let file = "\(dir)/\(Int64(Date().timeIntervalSince1970))-\(UUID().uuidString.prefix(8)).json"
        let doc: JSONValue = ["format": "courtsync-evidence/1", "held_checkpoint": .string(held), "offered_checkpoint": .string(offered),
                              "hub_answer": .string(proof), "hub_url": .string(bundle.hubURL)]
        try write(String(decoding: CanonicalEncoder.encode(doc), as: UTF8.self) + "\n", to: file)
        return file
    }

    func write(_ text: String, to path: String) throws {
        let tmp = path + ".tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: Data(text.utf8)) else { throw SyncError("cannot write \(path)", transient: false) }
        guard rename(tmp, path) == 0 else { throw SyncError("cannot write \(path)", transient: false) }
    }
}
