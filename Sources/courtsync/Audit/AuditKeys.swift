import ArgumentParser
import CanonicalJSON
import CourtLog
import Foundation
import Hub
import NodeStore
import SyncProtocol
import TransparencyLog

/// `audit keys`: the registry of court keys taken from the key log (protocol §16.10), each
/// record proven to be in a checkpoint signed by the hub's checkpoint key, replayed by the
/// key log's rules; written to a directory, or compared with one (the repository's `nodes/`).
struct AuditKeys: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "核验密钥日志 keys — Take the courts' keys from the hub's key log (each record proven in a signed checkpoint) and write or check a registry directory.",
        discussion: """
            From the hub (--auditor FILE or --node DIR) or from a hub directory (--hub DIR). With --out DIR
            the registry is written there (one <court>.json per court, 410800 included); with --check DIR
            every file that disagrees with the key log is reported and the command exits 1.
            """)
    @OptionGroup var source: AuditSource
    @Option(help: "A hub directory to read the key log from (instead of asking the hub over HTTPS).")
    var hub: String?
    @Option(help: "Write the registry the key log makes into this directory.")
    var out: String?
    @Option(help: "Compare this registry directory (e.g. nodes/) with the key log.")
    var check: String?

    func validate() throws {
        guard out != nil || check != nil else { throw ValidationError("give --out DIR to write the registry, or --check DIR to compare one with the key log") }
    }

    func run() throws {
        let (note, fetch) = try sourceOfRecords()
        let verifier: NoteVerifier
        if source.key == nil && source.auditor == nil && source.nodeDir == nil, let hub {
            verifier = try HubDirectory.open(at: hub).checkpointSigner().verifier
        } else {
            verifier = try source.verifier()
        }
        let checkpoint: Checkpoint
        do { checkpoint = try verifier.verifyCheckpoint(note) } catch { try fail("the hub's checkpoint: \(error)") }
        var log = KeyLog()
        var records: [UInt8] = []
        var n: Int64 = 1
        while let found = try fetch(n, checkpoint.size) {
            let (entry, index, proof) = (found.entry, found.leafIndex, found.inclusion)
            guard MerkleTree.verifyInclusion(index: index, size: checkpoint.size, leafHash: MerkleTree.leafHash(entry), proof: proof, root: checkpoint.root) else {
                try fail("key-log record \(n) is NOT proven to be in the checkpoint of size \(checkpoint.size): the hub altered it or its proof")
            }
            do {
                let record = try KeyLogRecord(entry: entry)
                try log.apply(record)
                records += CanonicalEncoder.encode(record.json) + [0x0A]
            } catch { try fail("key-log record \(n) (leaf \(index)): \(error)") }
            n += 1
        }
        guard log.authority != nil else { try fail("the checkpoint of size \(checkpoint.size) holds no key log: the hub predates it, or withheld it") }
        if let vkey = log.checkpointVerifierKey, vkey != verifier.encoded {
            try fail("the key log's record 1 names checkpoint key \(vkey), not \(verifier.encoded) that signed this checkpoint")
        }
        let registry = log.registry
        print("ok: \(log.count) key-log records, each proven in the checkpoint of size \(checkpoint.size) and valid by the key log's rules; \(registry.values.filter { $0["status"] == "active" }.count) active keys")
        if let out {
            try KeyLogRegistry.write(registry, to: out)
            // The records themselves, so that `protocol/tools/make_registry.py --check` can
            // regenerate the registry without Swift (and CI can catch a hand-edited file).
            try Data(records).write(to: URL(fileURLWithPath: "\(out)/keylog.jsonl"), options: .atomic)
            print("registry written to \(out)/ (\(registry.count) courts, and the records in keylog.jsonl)")
        }
        if let check {
            let problems = KeyLogRegistry.differences(registry, in: check)
            guard problems.isEmpty else {
                for p in problems { print("DISAGREES: \(p)") }
                try fail("\(problems.count) registry file(s) in \(check) disagree with the key log: regenerate them with `courtsync audit keys --out \(check)` and find out who edited them")
            }
            print("ok: \(check)/ agrees with the key log (\(registry.count) courts)")
        }
    }

    typealias Fetch = (_ n: Int64, _ size: Int64) throws -> EntryProof?

    /// The checkpoint to prove against and a way to fetch record n with its inclusion proof. The
    /// records are read a thousand at a time (`GET /v1/proof/keylog`, or the hub's store with
    /// --hub); a hub that does not serve that path (404) is asked one record at a time.
    func sourceOfRecords() throws -> (String, Fetch) {
        let batches = KeyLogBatches()
        if let hub {
            let dir = try HubDirectory.open(at: hub)
            let (_, note) = try dir.currentCheckpoint()
            return (note, { n, size in
                // The hub's tree, in SQLite or in PostgreSQL.
                try batches.record(n) { try dir.log.entryProofs(name: KeyLogRecord.treeName, from: n, size: size, limit: ApiPaths.keyLogProofsLimit) }
            })
        }
        let reply = try source.get(ApiPaths.checkpoint)
        guard reply.status == 200 else { try fail("the hub gave no checkpoint (\(reply.status)): \(reply.error)") }
        return (reply.text, { n, size in
            if !batches.oneByOne {
                let found = try batches.record(n) { () -> [EntryProof]? in
                    let answer = try source.get(ApiPaths.keyLogProofs, query: ["from": "\(n)", "size": "\(size)"])
                    if answer.status == 404 { return nil }
                    guard answer.status == 200, let json = answer.json else { try fail("the hub gave no key-log proofs from record \(n) (\(answer.status)): \(answer.error)") }
                    let proofs: KeyLogProofs
                    do { proofs = try KeyLogProofs(json: json) } catch { try fail("the hub's key-log proofs from record \(n): \(error)") }
                    guard proofs.from == n, proofs.treeSize == size else { try fail("the hub answered key-log proofs from record \(proofs.from) in a tree of \(proofs.treeSize), asked from \(n) in \(size)") }
                    return proofs.records
                }
                if !batches.oneByOne { return found }
            }
            let answer = try source.get(ApiPaths.inclusionProof, query: ["court": KeyLogRecord.treeName, "seq": "\(n)", "size": "\(size)"])
            if answer.status == 404 { return nil }
            guard answer.status == 200, let json = answer.json else {
                try fail("the hub gave no proof for key-log record \(n) (\(answer.status)): \(answer.error)")
            }
            do { return try EntryProof(json: json, seq: n) } catch { try fail("the hub's proof for key-log record \(n): \(error)") }
        })
    }
}

/// Key-log records fetched a batch at a time, handed out one by one in order.
final class KeyLogBatches {
    private var held: [Int64: EntryProof] = [:]
    /// The last batch asked for was short: no record after it.
    private var end: Int64?
    /// The hub does not serve the batch path: ask for one record at a time.
    var oneByOne = false

    /// Record `n`, from the batch held or from `fetch` (records n, n+1, …; nil: the source does
    /// not serve batches, and ``oneByOne`` is set).
    func record(_ n: Int64, fetch: () throws -> [EntryProof]?) throws -> EntryProof? {
        if held[n] == nil, end.map({ n < $0 }) ?? true {
            guard let batch = try fetch() else { oneByOne = true; return nil }
            held = Dictionary(uniqueKeysWithValues: batch.map { ($0.seq, $0) })
            if batch.count < ApiPaths.keyLogProofsLimit { end = n + Int64(batch.count) }
        }
        return held[n]
    }
}
