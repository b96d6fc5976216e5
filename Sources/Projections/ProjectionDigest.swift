import CanonicalJSON
import CourtLog
import Crypto

/// A fingerprint of the projections: equal digests mean equal counters, rosters and policy.
///
/// Independent of the order events were folded in and of when each store learned of them, so
/// an auditor's replay from zero and a hub's incremental projections can be compared.
public enum ProjectionDigest {
    public static func compute(counts: [CounterKey: Int64], rosters: [RosterEntry], policy: [(node: String, seq: Int64)]) -> String {
        let counters: [JSONValue] = counts.filter { $0.value != 0 }.sorted { $0.key < $1.key }.map { k, v in
            [.string(k.period), .string(k.unit), .string(k.measure), .int(Int64(k.bucket)), .int(v)]
        }
        // A role roster adds its role; rosters without one hash as before roles existed.
        let rosterValues: [JSONValue] = rosters.sorted { ($0.node, $0.seq) < ($1.node, $1.seq) }.map {
            .array([.string($0.node), .int($0.seq), .string($0.unit), .int($0.atUTC), .int($0.headcount)] + ($0.role.map { [.string($0)] } ?? []))
        }
        let policyValues: [JSONValue] = policy.sorted { ($0.node, $0.seq) < ($1.node, $1.seq) }.map { [.string($0.node), .int($0.seq)] }
        let doc: JSONValue = ["format": "courtsync-projection-digest/1", "counters": .array(counters),
                              "rosters": .array(rosterValues), "policy": .array(policyValues)]
        return Hex.encode(Array(SHA256.hash(data: CanonicalEncoder.encode(doc))))
    }
}
