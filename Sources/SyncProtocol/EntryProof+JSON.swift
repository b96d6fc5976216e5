import CanonicalJSON
import CourtLog
import TransparencyLog

/// A log entry with its inclusion proof as the hub serves it (protocol §16.4): the fields
/// `seq`, `leaf_index`, `entry` (hex) and `inclusion` (hex hashes) of an answer of
/// `GET /v1/proof/inclusion`, or of one record of `GET /v1/proof/keylog`.
extension EntryProof {
    public var json: JSONValue {
        ["seq": .int(seq), "leaf_index": .int(leafIndex), "entry": .string(Hex.encode(entry)),
         "inclusion": .array(inclusion.map { .string(Hex.encode($0)) })]
    }

    /// Reads entry `seq` with its proof from `json`; a `seq` in the answer must be the one asked for.
    public init(json: JSONValue, seq: Int64) throws(EventError) {
        if let given = json["seq"]?.intValue, given != seq { throw EventError("the answer is for seq \(given), not \(seq) as asked") }
        guard let index = json["leaf_index"]?.intValue, index >= 0 else { throw EventError("the answer for seq \(seq) has no leaf_index") }
        guard let hex = json["entry"]?.stringValue, hex.utf8.count % 2 == 0, let entry = Hex.decode(hex, count: hex.utf8.count / 2) else {
            throw EventError("the answer for seq \(seq) has no entry in hex")
        }
        guard case .array(let hashes)? = json["inclusion"] else { throw EventError("the answer for seq \(seq) has no inclusion proof") }
        var proof: [MerkleTree.Hash] = []
        proof.reserveCapacity(hashes.count)
        for h in hashes {
            guard let hash = h.stringValue.flatMap({ Hex.decode($0, count: 32) }) else {
                throw EventError("the inclusion proof for seq \(seq) holds a hash that is not 64 hex digits")
            }
            proof.append(hash)
        }
        self.init(seq: seq, leafIndex: index, entry: entry, inclusion: proof)
    }
}
