import CanonicalJSON
import CourtLog
import Foundation
import Hub
import NodeStore
@testable import NodeSync
import SyncProtocol
import Testing
import TransparencyLog

/// `GET /v1/proof/keylog` (protocol §16.4) on a real hub over HTTPS: the key-log records from
/// `from` on, each proven in the tree of the size asked, in one answer. A node's first sync in a
/// province made one request per court enrolled (179 courts: 32,000 requests for the province's
/// first sync, most of the hub's work); it now makes one.
@Suite("key-log records with their proofs in one request", .serialized)
struct KeyLogProofsTests {
    @Test func theHubAnswersEveryRecordFromFromWithItsProofAndRefusesBadQueries() throws {
        var h = try SyncHarness(); defer { h.remove() }
        try h.startHub()
        let jf = try h.enrolledNode("410802")
        _ = try h.enrolledNode("410803")
        _ = try h.enrolledNode("410804")
        try h.record(jf, court: "410802", count: 5, online: 4)
        #expect(try h.run(["node", "sync", "--dir", jf]).status == 0)

        let (status, note) = try h.curl("/checkpoint")
        #expect(status == 200)
        let verifier = try HubDirectory.open(at: h.hub).checkpointSigner().verifier
        let checkpoint = try verifier.verifyCheckpoint(note)
        // 410800's own record, then one per enrollment, in the order the hub enrolled them.
        let courts = ["410800", "410802", "410803", "410804"]
        let (whole, body) = try h.curl("/v1/proof/keylog?from=1&size=\(checkpoint.size)")
        #expect(whole == 200, "\(body)")
        let answer = try KeyLogProofs(json: try StrictJSONParser.parse(Array(body.utf8)))
        #expect(answer.from == 1 && answer.treeSize == checkpoint.size)
        #expect(answer.records.map(\.seq) == [1, 2, 3, 4])
        #expect(try answer.records.map { try KeyLogRecord(entry: $0.entry).court } == courts)
        #expect(answer.records.allSatisfy { $0.isIncluded(size: checkpoint.size, root: checkpoint.root) })
        let included = try answer.checkpoint.map { try verifier.verifyCheckpoint($0) }
        #expect(included == checkpoint, "the checkpoint of that size comes with it")
        // Each the same as the one-record answer of /v1/proof/inclusion.
        for record in answer.records {
            let (one, text) = try h.curl("/v1/proof/inclusion?court=keylog&seq=\(record.seq)&size=\(checkpoint.size)")
            let json = try StrictJSONParser.parse(Array(text.utf8))
            #expect(one == 200 && json["leaf_index"]?.intValue == record.leafIndex && json["entry"]?.stringValue == Hex.encode(record.entry)
                    && json["inclusion"] == .array(record.inclusion.map { .string(Hex.encode($0)) }), "record \(record.seq): \(text)")
        }
        // A proof altered in one byte no longer shows the record in the checkpoint.
        var altered = answer.records[2].inclusion
        altered[0][0] ^= 1
        #expect(!EntryProof(seq: 3, leafIndex: answer.records[2].leafIndex, entry: answer.records[2].entry, inclusion: altered)
            .isIncluded(size: checkpoint.size, root: checkpoint.root))

        // From the middle, past the end, and without a size (the latest checkpoint).
        let middle = try KeyLogProofs(json: try StrictJSONParser.parse(Array(try h.curl("/v1/proof/keylog?from=3&size=\(checkpoint.size)").1.utf8)))
        #expect(middle.records == Array(answer.records[2...]))
        let past = try h.curl("/v1/proof/keylog?from=5&size=\(checkpoint.size)")
        let none = try KeyLogProofs(json: try StrictJSONParser.parse(Array(past.1.utf8)))
        #expect(past.0 == 200 && none.records.isEmpty, "\(past.1)")
        let latest = try KeyLogProofs(json: try StrictJSONParser.parse(Array(try h.curl("/v1/proof/keylog?from=1").1.utf8)))
        #expect(latest.treeSize >= checkpoint.size && latest.records.count == 4 && latest.checkpoint != nil)
        // The tree as it stood when record 2 was its last leaf holds records 1 and 2 only.
        let small = try KeyLogProofs(json: try StrictJSONParser.parse(Array(try h.curl("/v1/proof/keylog?from=1&size=\(answer.records[1].leafIndex + 1)").1.utf8)))
        #expect(small.records.map(\.seq) == [1, 2])

        // Wrong input: a 4xx that says what to give, nothing else.
        for (query, want, words) in [("from=0", 400, "give from"), ("from=abc", 400, "give from"), ("size=3", 400, "give from"),
                                     ("from=1&size=-1", 400, "size must be a tree size"), ("from=1&size=x", 400, "size must be a tree size"),
                                     ("from=1&size=\(checkpoint.size + 1_000)", 404, "ask for a size at most")] {
            let (code, text) = try h.curl("/v1/proof/keylog?\(query)")
            #expect(code == want && text.contains(words), "\(query): \(code) \(text)")
        }
    }

    /// The node reads the key log a thousand records per request; from a hub that does not serve
    /// the path yet it asks one record at a time, as before, and gets the same proofs.
    @Test func aNodeGetsTheSameRecordsInOneRequestAsOneByOne() async throws {
        var h = try SyncHarness(); defer { h.remove() }
        try h.startHub()
        let jf = try h.enrolledNode("410802")
        for court in ["410803", "410804", "410811", "410821"] { _ = try h.enrolledNode(court) }
        #expect(try h.run(["node", "sync", "--dir", jf]).status == 0)
        let node = try NodeDirectory.open(at: jf)
        let syncer = try NodeSyncer(node: node)
        defer { Task { await syncer.client.shutdown() } }
        let verifier = try #require(try syncer.checkpointVerifier)
        let held = try #require(try NodeSyncer.heldCheckpoint(node, verifier: verifier))
        let size = held.checkpoint.size
        let batched = try await syncer.keyLogProofs(from: 1, size: size)
        let oneByOne = try await syncer.keyLogProofsOneByOne(from: 1, size: size)
        #expect(batched.map(\.seq) == [1, 2, 3, 4, 5, 6])
        #expect(batched == oneByOne)
        let fromFour = try await syncer.keyLogProofs(from: 4, size: size)
        #expect(fromFour == Array(oneByOne[3...]))
        // What the node kept after its sync is these records.
        let kept = try String(contentsOfFile: "\(jf)/\(NodeSyncer.keyLogName)", encoding: .utf8).split(separator: "\n")
        let keptNumbers = try kept.map { try KeyLogRecord(json: try StrictJSONParser.parse(Array($0.utf8))).n }
        #expect(keptNumbers == [1, 2, 3, 4, 5, 6])
    }

    /// The reader the node, `audit keys` and ``KeyLogProofs`` share: it gives back what the hub
    /// wrote, and names the field at fault in an answer that is not a proof.
    @Test func anEntryProofReadsBackAndRefusesAnswersThatAreNotProofs() throws {
        let proof = EntryProof(seq: 7, leafIndex: 41, entry: [0x01, 0xAB, 0xFF], inclusion: [[UInt8](repeating: 0x11, count: 32), [UInt8](repeating: 0xEE, count: 32)])
        #expect(try EntryProof(json: proof.json, seq: 7) == proof)
        // The per-record answer carries court and tree_size beside these: they are not in the way.
        #expect(try EntryProof(json: proof.json.with("court", .string("keylog")).with("tree_size", .int(50)), seq: 7) == proof)
        let cases: [(JSONValue, String)] = [
            (proof.json, "for seq 7, not 8"),
            (proof.json.with("leaf_index", .string("41")), "no leaf_index"),
            (proof.json.with("leaf_index", .int(-1)), "no leaf_index"),
            (proof.json.with("entry", .string("01a")), "no entry in hex"),
            (proof.json.with("entry", .string("zz")), "no entry in hex"),
            (proof.json.with("inclusion", .string("11")), "no inclusion proof"),
            (proof.json.with("inclusion", .array([.string(String(repeating: "1", count: 62))])), "not 64 hex digits"),
            (proof.json.with("inclusion", .array([.int(3)])), "not 64 hex digits"),
        ]
        for (i, (json, phrase)) in cases.enumerated() {
            let asked: Int64 = i == 0 ? 8 : 7
            #expect(throws: EventError.self) { try EntryProof(json: json, seq: asked) }
            do { _ = try EntryProof(json: json, seq: asked); Issue.record("case \(i) was read") } catch {
                #expect(error.reason.contains(phrase), "case \(i): \(error.reason)")
            }
        }
        // A batch answer whose record holds a bad hash names the record.
        let batch = KeyLogProofs(from: 7, treeSize: 50, records: [proof], checkpoint: nil).json
        let bad = batch.with("records", .array([proof.json.with("inclusion", .array([.string("00")]))]))
        do { _ = try KeyLogProofs(json: bad); Issue.record("a bad batch was read") } catch {
            #expect(error.reason.hasPrefix("key-log record 7:"), "\(error.reason)")
        }
        #expect(try KeyLogProofs(json: batch).records == [proof])
    }
}
