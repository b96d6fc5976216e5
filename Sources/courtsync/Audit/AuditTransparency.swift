import ArgumentParser
import CanonicalJSON
import CourtLog
import Foundation
import NodeStore
import NodeSync
import SyncProtocol
import TransparencyLog

/// Where an auditor's command gets the hub's checkpoint key and, when it must ask the hub for
/// a proof, a connection: an auditor credential, or a node directory (its bundle).
struct AuditSource: ParsableArguments {
    @Option(help: "An auditor credential (`courtsync hub auditor add`): the hub's URL, CA and checkpoint key.")
    var auditor: String?

    @Option(name: .customLong("node"), help: "A node directory whose bundle names the hub and its checkpoint key.")
    var nodeDir: String?

    @Option(help: "The hub's checkpoint verifier key (<origin>+<key id>+<base64>), as `hub init` printed it.")
    var key: String?

    func verifier() throws -> NoteVerifier {
        let text: String
        if let key { text = key } else if let auditor, let k = try credential(auditor)["checkpoint_verifier_key"]?.stringValue { text = k } else if let nodeDir,
                  let k = try NodeEnrollment.bundle(try NodeDirectory.open(at: nodeDir)).checkpointVerifierKey { text = k } else {
            throw ValidationError("give the hub's checkpoint key: --key, or --auditor FILE / --node DIR that holds it")
        }
        do { return try NoteVerifier(encoded: text) } catch { throw EventError("\(error)") }
    }

    func credential(_ file: String) throws -> JSONValue {
        guard let data = FileManager.default.contents(atPath: file), let json = try? StrictJSONParser.parse(Array(data)) else {
            throw EventError("\(file) is not an auditor credential: use the file `courtsync hub auditor add` wrote")
        }
        return json
    }

    /// A GET to the hub (the transparency endpoints are public; the credential gives URL and CA).
    func get(_ path: String, query: [String: String] = [:]) throws -> HubClient.Reply {
        let client: HubClient
        if let auditor {
            let c = try credential(auditor)
            guard let url = c["hub_url"]?.stringValue, let ca = c["ca_pem"]?.stringValue else { throw EventError("\(auditor) lacks hub_url or ca_pem") }
            client = try HubClient(baseURL: url, caPEM: ca, certificatePEM: nil, privateKeyPEM: nil, token: c["token"]?.stringValue)
        } else if let nodeDir {
            client = try NodeEnrollment.client(try NodeDirectory.open(at: nodeDir))
        } else {
            throw ValidationError("to ask the hub for a proof give --auditor FILE or --node DIR (or give the proof with --proof FILE)")
        }
        return try blocking {
            defer { Task { await client.shutdown() } }
            return try await client.get(path, query: query)
        }
    }

    func readCheckpoint(_ file: String) throws -> (note: String, checkpoint: Checkpoint) {
        guard let data = FileManager.default.contents(atPath: file) else { throw EventError("cannot read \(file): check the path") }
        let note = String(decoding: data, as: UTF8.self)
        do { return (note, try verifier().verifyCheckpoint(note)) } catch let e as TransparencyError {
            throw EventError("\(file): \(e.description)")
        }
    }
}

func hashes(_ value: JSONValue?) throws -> [[UInt8]] {
    guard case .array(let items)? = value else { throw EventError("the proof is missing its list of hashes") }
    return try items.map { item in
        guard let h = item.stringValue.flatMap({ Hex.decode($0, count: 32) }) else { throw EventError("a proof hash is not 64 hex digits") }
        return h
    }
}

func readJSON(_ file: String) throws -> JSONValue {
    guard let data = FileManager.default.contents(atPath: file), let json = try? StrictJSONParser.parse(Array(data)) else {
        throw EventError("\(file) is not a JSON file: give the answer the hub served (or `audit ... --save`)")
    }
    return json
}

func fail(_ message: String) throws -> Never {
    print("FAILED: \(message)")
    throw ExitCode(1)
}

struct AuditCheckpoint: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Check a checkpoint's signature under the hub's checkpoint key (the hub's latest when no FILE).")
    @OptionGroup var source: AuditSource
    @Option(help: "Also write the checkpoint checked to this file.")
    var save: String?
    @Option(help: "A registry directory (nodes/) whose courts' keys are the witnesses: count their cosignatures.")
    var registry: String?
    @Option(name: .customLong("witness"), help: "A standalone witness's verifier key (as `witness init` printed it) whose cosignature counts too (repeatable).")
    var witnesses: [String] = []
    @Option(help: "Cosignatures required for the checkpoint to count as witnessed (with --registry or --witness).")
    var quorum: Int = ApiPaths.defaultQuorum
    @Flag(help: "Fetch the hub's latest witnessed checkpoint (at least --quorum cosignatures) instead of its latest.")
    var witnessed = false
    @Argument(help: "A checkpoint file (signed note); default: fetch the hub's latest.")
    var file: String?

    func run() throws {
        let note: String
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else { throw EventError("cannot read \(file): check the path") }
            note = String(decoding: data, as: UTF8.self)
        } else {
            let reply = witnessed ? try source.get(ApiPaths.witnessedCheckpoint, query: ["quorum": "\(quorum)"]) : try source.get(ApiPaths.checkpoint)
            guard reply.status == 200 else { throw EventError("the hub answered \(reply.status): \(reply.error)") }
            note = reply.text
        }
        let verifier = try source.verifier()
        let checkpoint: Checkpoint
        do { checkpoint = try verifier.verifyCheckpoint(note) } catch { try fail("\(error)") }
        if let save { try note.write(toFile: save, atomically: true, encoding: .utf8) }
        print("ok: checkpoint of \(checkpoint.origin) signed by \(verifier.name) (key id \(Hex.encode(verifier.keyID))); size \(checkpoint.size) root \(Hex.encode(checkpoint.root))")
        if registry != nil || !witnesses.isEmpty { try countWitnesses(note: note, checkpoint: checkpoint, registry: registry) }
    }

    /// Counts valid cosignatures (C2SP tlog-cosignature) by the registry's courts as witnesses.
    func countWitnesses(note: String, checkpoint: Checkpoint, registry: String?) throws {
        let files = registry.flatMap { try? FileManager.default.contentsOfDirectory(atPath: $0) }?.filter { $0.hasSuffix(".json") && $0.count == 11 }.sorted() ?? []
        var cosigners: [String] = []
        for encoded in witnesses {
            let witness: CosignatureVerifier
            do { witness = try CosignatureVerifier(encoded: encoded) } catch { throw ValidationError("--witness: \(error)") }
            if !witness.cosignatures(in: note, body: checkpoint.body).isEmpty { cosigners.append(witness.name) }
        }
        for file in files {
            guard let registry else { break }
            guard let data = FileManager.default.contents(atPath: "\(registry)/\(file)"), let json = try? StrictJSONParser.parse(Array(data)),
                  let court = json["court"]?.stringValue, court != "410800", let hex = json["public_key"]?.stringValue,
                  let key = try? NodePublicKey(hex: hex) else { continue }
            let witness = CosignatureVerifier(name: CosignatureVerifier.nodeWitnessName(court: court), publicKey: key.raw)
            if !witness.cosignatures(in: note, body: checkpoint.body).isEmpty { cosigners.append(court) }
        }
        guard cosigners.count >= quorum else {
            try fail("the checkpoint of size \(checkpoint.size) is cosigned by \(cosigners.count) witness(es) (\(cosigners.joined(separator: ", "))), fewer than the quorum of \(quorum)")
        }
        print("ok: witnessed by \(cosigners.count) of the given witnesses (quorum \(quorum)): \(cosigners.joined(separator: ", "))")
    }
}

struct AuditInclusion: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inclusion",
        abstract: "Prove that an event (court, seq, hash) is in a checkpoint of the hub's log.")
    @OptionGroup var source: AuditSource
    @Option(help: "The court whose event it is.") var court: String
    @Option(help: "The event's seq.") var seq: Int64
    @Option(help: "The event's hash (64 hex), from the court's own log or export.") var hash: String
    @Option(help: "The checkpoint file to prove against (default: the one served with the proof).") var checkpoint: String?
    @Option(help: "A saved proof (the JSON of /v1/proof/inclusion) instead of asking the hub.") var proof: String?

    func run() throws {
        guard let eventHash = Hex.decode(hash, count: 32) else { throw ValidationError("--hash must be 64 lowercase hex digits") }
        let held = try checkpoint.map { try source.readCheckpoint($0) }
        let answer: JSONValue
        if let proof { answer = try readJSON(proof) } else {
            var q = ["court": court, "seq": "\(seq)"]
            if let held { q["size"] = "\(held.checkpoint.size)" }
            let reply = try source.get(ApiPaths.inclusionProof, query: q)
            guard reply.status == 200, let json = reply.json else { try fail("the hub gave no inclusion proof (\(reply.status)): \(reply.error)") }
            answer = json
        }
        let cp: Checkpoint
        if let held { cp = held.checkpoint } else {
            guard let note = answer["checkpoint"]?.stringValue else { throw EventError("the proof names no checkpoint: give --checkpoint FILE") }
            do { cp = try source.verifier().verifyCheckpoint(note) } catch { try fail("\(error)") }
        }
        guard let index = answer["leaf_index"]?.intValue else { try fail("the proof has no leaf_index") }
        let leaf = LogEntry(court: court, seq: seq, eventHash: eventHash).leafHash
        guard MerkleTree.verifyInclusion(index: index, size: cp.size, leafHash: leaf, proof: try hashes(answer["inclusion"]), root: cp.root) else {
            try fail("\(court) seq \(seq) with hash \(hash.prefix(16))… is NOT proven to be in the checkpoint of size \(cp.size): the proof or the event was altered, or the hub does not hold this event")
        }
        print("ok: \(court) seq \(seq) is leaf \(index) of the checkpoint of size \(cp.size) (root \(Hex.encode(cp.root).prefix(16))…)")
    }
}

struct AuditConsistency: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consistency",
        abstract: "Prove that a later checkpoint of the hub's log extends an earlier one (nothing removed or rewritten).")
    @OptionGroup var source: AuditSource
    @Option(help: "A saved proof (the JSON of /v1/proof/consistency) instead of asking the hub.") var proof: String?
    @Argument(help: "The earlier checkpoint file.") var old: String
    @Argument(help: "The later checkpoint file (default: the hub's latest).") var new: String?

    func run() throws {
        let a = try source.readCheckpoint(old)
        var b: Checkpoint
        let answer: JSONValue
        if let proof { answer = try readJSON(proof) } else {
            var q = ["from": "\(a.checkpoint.size)"]
            if let new { q["to"] = "\(try source.readCheckpoint(new).checkpoint.size)" }
            let reply = try source.get(ApiPaths.consistencyProof, query: q)
            guard reply.status == 200, let json = reply.json else { try fail("the hub gave no consistency proof from size \(a.checkpoint.size) (\(reply.status)): \(reply.error)") }
            answer = json
        }
        if let new { b = try source.readCheckpoint(new).checkpoint } else {
            guard let note = answer["checkpoint"]?.stringValue else { throw EventError("the proof names no checkpoint: give the later checkpoint file") }
            do { b = try source.verifier().verifyCheckpoint(note) } catch { try fail("\(error)") }
        }
        guard MerkleTree.verifyConsistency(old: a.checkpoint.size, new: b.size, oldRoot: a.checkpoint.root, newRoot: b.root, proof: try hashes(answer["consistency"])) else {
            try fail("the checkpoint of size \(b.size) does NOT extend the one of size \(a.checkpoint.size): the hub's log was rolled back, rewritten or split")
        }
        print("ok: the checkpoint of size \(b.size) extends the one of size \(a.checkpoint.size)")
    }
}

struct AuditReceipts: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receipts",
        abstract: "Check that everything the hub receipted to a node is still in the hub's latest checkpoint.")
    @Option(help: "The node directory (its receipts.jsonl, bundle and log).") var dir: String

    func run() throws {
        let node = try NodeDirectory.open(at: dir)
        let bundle = try NodeEnrollment.bundle(node)
        let source = try AuditSource.parse(["--node", dir])
        let verifier = try source.verifier()
        guard let data = FileManager.default.contents(atPath: "\(dir)/\(NodeEnrollment.receiptsName)") else {
            throw EventError("\(dir) holds no receipts.jsonl: it has never synced")
        }
        let reply = try source.get(ApiPaths.checkpoint)
        guard reply.status == 200 else { try fail("the hub gave no checkpoint (\(reply.status)): \(reply.error)") }
        let latest: Checkpoint
        do { latest = try verifier.verifyCheckpoint(reply.text) } catch { try fail("the hub's checkpoint: \(error)") }
        var checked = 0, covered: Int64 = 0
        // 410800's keys as the node learned them from the key log (a rotation of 410800's own key).
        let keys = try NodeSyncer.keptIntermediateKeys(node, bundle: bundle)
        for (i, line) in data.split(separator: 0x0A).enumerated() {
            guard let json = try? StrictJSONParser.parse(Array(line)), let receipt = try? PushReceipt(json: json),
                  NodeSyncer.isSignedByIntermediateCourt(receipt, keys: keys) else {
                try fail("receipt \(i + 1) is not a receipt signed by 410800's key")
            }
            guard let hash = Hex.decode(receipt.headHash, count: 32) else { try fail("receipt \(i + 1) has no head hash") }
            if let note = receipt.checkpoint, let index = receipt.leafIndex, let proof = receipt.inclusion {
                guard let cp = try? verifier.verifyCheckpoint(note),
                      MerkleTree.verifyInclusion(index: index, size: cp.size, leafHash: LogEntry(court: receipt.court, seq: receipt.toSeq, eventHash: hash).leafHash,
                                                 proof: proof, root: cp.root) else {
                    try fail("receipt \(i + 1) (seq \(receipt.toSeq)): its checkpoint or inclusion proof does not verify")
                }
            }
            let answer = try source.get(ApiPaths.inclusionProof, query: ["court": receipt.court, "seq": "\(receipt.toSeq)", "size": "\(latest.size)"])
            guard answer.status == 200, let json = answer.json, let index = json["leaf_index"]?.intValue,
                  MerkleTree.verifyInclusion(index: index, size: latest.size, leafHash: LogEntry(court: receipt.court, seq: receipt.toSeq, eventHash: hash).leafHash,
                                             proof: try hashes(json["inclusion"]), root: latest.root) else {
                try fail("the hub receipted \(receipt.court) seq \(receipt.fromSeq)…\(receipt.toSeq) but its latest checkpoint (size \(latest.size)) does not include seq \(receipt.toSeq) with that hash: it dropped or rewrote a receipted event")
            }
            checked += 1
            covered = max(covered, receipt.toSeq)
        }
        print("ok: \(checked) receipts (seq 1…\(covered)) all included in the hub's latest checkpoint (size \(latest.size))")
    }
}

struct AuditSplitView: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split-view",
        abstract: "Check that checkpoints gathered from several nodes (their `checkpoint` files) are views of one log.")
    @OptionGroup var source: AuditSource
    @Argument(help: "Checkpoint files, or node directories holding one.") var checkpoints: [String]

    func validate() throws {
        guard checkpoints.count >= 2 else { throw ValidationError("give at least two checkpoints to compare") }
    }

    func run() throws {
        var seen: [(String, Checkpoint)] = []
        for path in checkpoints {
            var isDir: ObjCBool = false
            let file = FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue ? "\(path)/\(NodeSyncer.checkpointName)" : path
            seen.append((path, try source.readCheckpoint(file).checkpoint))
        }
        seen.sort { $0.1.size < $1.1.size }
        for (a, b) in zip(seen, seen.dropFirst()) {
            if a.1.size == b.1.size {
                guard a.1.root == b.1.root else {
                    try fail("SPLIT VIEW: \(a.0) and \(b.0) hold checkpoints of size \(a.1.size) with different roots, both signed by the hub: it showed them two different logs")
                }
                continue
            }
            let reply = try source.get(ApiPaths.consistencyProof, query: ["from": "\(a.1.size)", "to": "\(b.1.size)"])
            let proof = reply.status == 200 ? (try? hashes(reply.json?["consistency"])) : nil
            guard let proof, MerkleTree.verifyConsistency(old: a.1.size, new: b.1.size, oldRoot: a.1.root, newRoot: b.1.root, proof: proof) else {
                try fail("SPLIT VIEW: the checkpoint of \(b.0) (size \(b.1.size)) does not extend the one of \(a.0) (size \(a.1.size)): the hub showed them different logs")
            }
        }
        print("ok: \(seen.count) checkpoints (sizes \(seen.map { String($0.1.size) }.joined(separator: ", "))) are all views of one log")
    }
}
