import CanonicalJSON
import Foundation
import Hub
import NodeStore
import SyncProtocol
import TransparencyLog

/// What `hub status` says of the transparency log: its origin, size, latest checkpoint and
/// the verifier key nodes, auditors and witnesses check checkpoints with.
extension HubStatus {
    func printTransparencyStatus(_ hubDir: HubDirectory) throws {
        let (size, note) = try hubDir.currentCheckpoint()
        print("transparency log \(hubDir.origin): \(size) entries")
        print("  checkpoint verifier key  \(try hubDir.checkpointVerifierKey)")
        print("  latest checkpoint root   \(note.split(separator: "\n").dropFirst(2).first ?? "")")
    }

    func transparencyStatusJSON(_ hubDir: HubDirectory) throws -> String {
        let store = hubDir.store
        let (size, note) = try hubDir.currentCheckpoint()
        let reports = try store.pushReports()
        var nodes: [JSONValue] = []
        for n in try store.enrolledNodes() {
            var o: JSONValue = ["court": .string(n.court), "status": .string(n.status), "seq": .int(try store.head(of: n.court).seq)]
            if let r = reports[n.court] { o = o.with("node_reported", .int(r.nodeHead)) }
            nodes.append(o)
        }
        let alarms: [JSONValue] = try store.alarms().map { a in
            var o: JSONValue = ["kind": .string(a.kind), "court": .string(a.court), "detail": .string(a.detail), "at": .int(a.at)]
            if let seq = a.seq { o = o.with("seq", .int(seq)) }
            if let e = a.evidence { o = o.with("evidence", .string(e)) }
            return o
        }
        let doc: JSONValue = [
            "url": .string(hubDir.url), "court": "410800", "public_key": .string(hubDir.node.key.publicKey.hex),
            "origin": .string(hubDir.origin), "checkpoint_verifier_key": .string(try hubDir.checkpointVerifierKey),
            "tree_size": .int(size), "checkpoint": .string(note), "nodes": .array(nodes), "alarms": .array(alarms),
        ]
        return String(decoding: CanonicalEncoder.encode(doc), as: UTF8.self)
    }
}
