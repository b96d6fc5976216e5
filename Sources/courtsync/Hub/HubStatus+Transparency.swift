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
        print("  key log                  \(try hubDir.keyLog().count) records (protocol §16.10; `courtsync audit keys` checks them)")
        for o in try hubDir.recoveryTarget.owedEvents() {
            print("  owed since a recovery    \(o.court) seq \(o.fromSeq)…\(o.toSeq): in the tree, not yet back at the hub (queries and reports are refused until every court's are)")
        }
        for w in try hubDir.log.witnesses() {
            print("  witness                  \(w.name) at \(w.url), last cosigned size \(w.size)")
        }
    }
}
