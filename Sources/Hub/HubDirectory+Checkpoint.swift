import CanonicalJSON
import CourtLog
import Foundation
import Glibc
import NodeStore
import TransparencyLog

/// The hub's checkpoint key: an Ed25519 key of 410800 used only to sign checkpoints of its
/// transparency log (signed notes), kept apart from the event key so that the two kinds of
/// signature can never be confused. Its name is the log's origin.
extension HubDirectory {
    public static let checkpointKeyName = "checkpoint.key"

    /// The log's origin: `hub.json`'s `origin`, or `<host of url>/courtsync/410800` for a hub
    /// made before there was one.
    public var origin: String {
        if let data = FileManager.default.contents(atPath: "\(path)/hub.json"), let config = try? StrictJSONParser.parse(Array(data)),
           let origin = config["origin"]?.stringValue {
            return origin
        }
        return Self.defaultOrigin(url: url)
    }

    static func defaultOrigin(url: String) -> String {
        var host = url.hasPrefix("https://") ? String(url.dropFirst(8)) : url
        if let slash = host.firstIndex(of: "/") { host = String(host[..<slash]) }
        if let colon = host.lastIndex(of: ":"), !host.hasSuffix("]") { host = String(host[..<colon]) }
        return "\(host.isEmpty ? "localhost" : host)/courtsync/410800"
    }

    /// The checkpoint signer, making its key (mode 0600) the first time a hub needs it.
    public func checkpointSigner() throws -> NoteSigner {
        let file = "\(path)/\(Self.checkpointKeyName)"
        if FileManager.default.contents(atPath: file) == nil {
            let key = NodeKey()
            do { try KeptFile.create(file, bytes: Array((Hex.encode(key.seed) + "\n").utf8), mode: 0o600) } catch {
                // Another process made it first: read theirs below.
                guard error == .exists else { throw StoreError("cannot write \(file) (\(error)): check the directory's permissions and free space") }
            }
        }
        guard let data = FileManager.default.contents(atPath: file),
              let seed = Hex.decode(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines), count: 32) else {
            throw StoreError("\(file) is damaged: restore it from the hub's backup (without it the hub cannot sign checkpoints its nodes accept)")
        }
        do { return try NoteSigner(name: origin, seed: seed) } catch { throw StoreError("\(error)") }
    }

    /// `<origin>+<key id>+<base64(0x01 ‖ key)>`: what nodes, auditors and witnesses verify checkpoints with.
    public var checkpointVerifierKey: String { get throws { try checkpointSigner().verifier.encoded } }

    /// Brings the transparency log up to date (410800's own appends included) and returns the latest checkpoint.
    public func currentCheckpoint() throws -> (size: Int64, checkpoint: String) {
        let now = Int64(Date().timeIntervalSince1970)
        if let postgres { try publishOwnEvents(to: postgres, at: now) }
        return try log.updateTransparencyLog(signer: try checkpointSigner(), at: now)
    }

    /// On a PostgreSQL hub, 410800's own events (the plan, policy changes) are written to this
    /// directory's log first, then published to the shared log like any court's push.
    func publishOwnEvents(to postgres: PostgresHubStore, at now: Int64) throws {
        let court = node.court.code
        let signer = try checkpointSigner()
        while true {
            let published = try postgres.head(of: court).seq
            guard try store.head(of: court).seq > published else { return }
            let events = try store.events(of: court, from: published + 1, limit: 5_000)
            guard !events.isEmpty else { return }
            _ = try postgres.ingest(events, nodeHead: nil, recordedAt: now, checkpointSigner: signer)
        }
    }
}
