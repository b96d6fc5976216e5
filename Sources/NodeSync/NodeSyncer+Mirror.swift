import Foundation
import NodeStore
import SyncProtocol
import TransparencyLog

/// A court's own mirror of the hub's tiles (protocol §16.13), kept beside its log: the tiles of
/// exactly the checkpoint the node verified last, so that a hub restored from an old backup can be
/// rebuilt from a mirror no older than what this court saw (`courtsync hub recover --mirror
/// NODE/mirror`).
extension NodeSyncer {
    public static let mirrorDirectory = "mirror"

    /// Brings `mirror/` up to the checkpoint this node holds; nil when it already is (or the
    /// bundle predates the transparency log). Refuses, keeping the mirror as it was, when the hub's
    /// tiles do not make that checkpoint's root.
    public func updateMirror() async throws -> TileMirror.Update? {
        guard let verifier = try checkpointVerifier, let held = try Self.heldCheckpoint(node, verifier: verifier) else { return nil }
        let mirror = TileMirror(path: "\(node.path)/\(Self.mirrorDirectory)")
        if mirror.checkpointNote == held.note { return nil }
        let witnessed = try await client.get(ApiPaths.witnessedCheckpoint)
        do {
            return try await mirror.update(to: held.note, verifier: verifier, witnessed: witnessed.status == 200 ? witnessed.text : nil) { path in
                let reply = try await client.get("/" + path)
                return reply.status == 200 ? reply.body : nil
            }
        } catch let e as TransparencyError {
            throw SyncError("the hub's tiles for the checkpoint this node holds do not verify (\(e.description)): the mirror in \(mirror.path) was left as it was; report this to 技术处 and the auditors", transient: false)
        }
    }
}
