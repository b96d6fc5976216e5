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
            let (entry, index, proof) = found
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

    typealias Fetch = (_ n: Int64, _ size: Int64) throws -> (entry: [UInt8], index: Int64, proof: [[UInt8]])?

    /// The checkpoint to prove against and a way to fetch record n with its inclusion proof.
    func sourceOfRecords() throws -> (String, Fetch) {
        if let hub {
            let dir = try HubDirectory.open(at: hub)
            let (_, note) = try dir.currentCheckpoint()
            return (note, { n, size in
                // The hub's tree, in SQLite or in PostgreSQL.
                guard let found = try dir.log.leafIndex(court: KeyLogRecord.treeName, seq: n), found.index < size else { return nil }
                return (found.entry, found.index, try dir.log.inclusionProof(index: found.index, size: size))
            })
        }
        let reply = try source.get(ApiPaths.checkpoint)
        guard reply.status == 200 else { try fail("the hub gave no checkpoint (\(reply.status)): \(reply.error)") }
        return (reply.text, { n, size in
            let answer = try source.get(ApiPaths.inclusionProof, query: ["court": KeyLogRecord.treeName, "seq": "\(n)", "size": "\(size)"])
            if answer.status == 404 { return nil }
            guard answer.status == 200, let json = answer.json, let index = json["leaf_index"]?.intValue,
                  let hex = json["entry"]?.stringValue, let entry = Hex.decode(hex, count: hex.utf8.count / 2) else {
                try fail("the hub gave no proof for key-log record \(n) (\(answer.status)): \(answer.error)")
            }
            return (entry, index, try hashes(json["inclusion"]))
        })
    }
}
