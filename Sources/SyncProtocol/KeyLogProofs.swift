import CanonicalJSON
import CourtLog
import TransparencyLog

/// The answer of `GET /v1/proof/keylog?from=n&size=S` (protocol §16.4): key-log records n, n+1, …
/// (at most ``ApiPaths/keyLogProofsLimit``), each entry with its inclusion proof in the tree of
/// S leaves. Fewer than the limit means the tree of S leaves holds no record after the last one.
/// A node reads 410800's key history with one request where it would make one per record, which
/// for the first sync of a province's court was one per court enrolled.
public struct KeyLogProofs: Sendable, Equatable {
    public let from: Int64
    public let treeSize: Int64
    public let records: [EntryProof]
    /// The checkpoint of `treeSize`, when the hub signed one of that size.
    public let checkpoint: String?

    public init(from: Int64, treeSize: Int64, records: [EntryProof], checkpoint: String?) {
        self.from = from
        self.treeSize = treeSize
        self.records = records
        self.checkpoint = checkpoint
    }

    public var json: JSONValue {
        var out: JSONValue = [
            "from": .int(from), "tree_size": .int(treeSize),
            "records": .array(records.map(\.json)),
        ]
        if let checkpoint { out = out.with("checkpoint", .string(checkpoint)) }
        return out
    }

    /// Reads an answer; the records must be `from`, `from + 1`, … in order, each with a hex entry
    /// and 32-byte hashes.
    public init(json: JSONValue) throws(EventError) {
        guard let from = json["from"]?.intValue, let size = json["tree_size"]?.intValue, case .array(let items)? = json["records"] else {
            throw EventError("not a key-log proof answer (from, tree_size and records)")
        }
        var records: [EntryProof] = []
        for (i, item) in items.enumerated() {
            let seq = from + Int64(i)
            guard item["seq"]?.intValue == seq else { throw EventError("key-log proof \(i + 1) of the answer is not record \(seq)") }
            do { records.append(try EntryProof(json: item, seq: seq)) } catch { throw EventError("key-log record \(seq): \(error.reason)") }
        }
        self.init(from: from, treeSize: size, records: records, checkpoint: json["checkpoint"]?.stringValue)
    }
}
