import CourtLog
import Foundation
import Hub
import NodeStore
import TransparencyLog

/// The checkpoint a report was made from (protocol §16.12): one the hub signed, verified under
/// the hub's checkpoint key and against the stored tree, with the witnesses of the largest
/// witnessed checkpoint that covers it.
struct CheckpointCitation {
    let origin: String
    let size: Int64
    /// The root hash, base64 as the checkpoint writes it.
    let root: String
    /// The largest checkpoint of at least this size cosigned by `quorum` witnesses, and who.
    let witnessedSize: Int64?
    let cosigners: [String]
    let quorum: Int

    static let defaultQuorum = 3

    /// The checkpoint of `size` leaves, refused in one line if the hub never signed one of that
    /// size, the tree is smaller, or the signature or root does not hold.
    static func verified(dir: String, store: EventStore, size: Int64, quorum: Int = defaultQuorum) throws -> CheckpointCitation {
        guard FileManager.default.fileExists(atPath: "\(dir)/\(HubDirectory.checkpointKeyName)") else {
            throw EventError("--checkpoint reads the hub's transparency log: \(dir) has no \(HubDirectory.checkpointKeyName); give the hub directory")
        }
        // On PostgreSQL, `store` is the directory's projections with their copy of the tree's
        // leaves, checkpoints and cosignatures; the root is recomputed from the tree in PostgreSQL.
        let hub = try HubDirectory.open(at: dir)
        let verifier = try hub.checkpointSigner().verifier
        let held = try store.treeSize()
        guard size >= 1, size <= held else {
            throw EventError("--checkpoint \(size): the hub's tree holds \(held) leaves; give a checkpoint size from 1 to \(held) (`courtsync hub status --dir \(dir)` shows the latest)")
        }
        guard let note = try store.checkpoint(size: size) else {
            let sizes = try store.checkpointSizes()
            let below = sizes.last { $0 < size }, above = sizes.first { $0 > size }
            let near = [below, above].compactMap { $0 }.map(String.init).joined(separator: " or ")
            throw EventError("--checkpoint \(size): the hub never signed a checkpoint of that size; the nearest it signed: \(near.isEmpty ? "none" : near)")
        }
        let checkpoint: Checkpoint
        do { checkpoint = try verifier.verifyCheckpoint(note) } catch {
            throw EventError("the stored checkpoint of size \(size) does not verify under the hub's checkpoint key (\(error)): the hub's database was altered; do not report from it")
        }
        guard try hub.log.treeRoot(size: size) == checkpoint.root else {
            throw EventError("the stored tree of \(size) leaves does not have the root the checkpoint signed: the hub's database was altered; do not report from it")
        }
        return try cite(checkpoint, store: store, quorum: quorum)
    }

    /// The latest checkpoint, when it covers every event the store holds (otherwise a report
    /// from the stored projections includes events no checkpoint holds yet, and cites none).
    static func latest(dir: String, store: EventStore, quorum: Int = defaultQuorum) throws -> CheckpointCitation? {
        guard FileManager.default.fileExists(atPath: "\(dir)/\(HubDirectory.checkpointKeyName)"),
              let latest = try store.latestCheckpoint(), try store.eventCount() == latest.size else { return nil }
        return try verified(dir: dir, store: store, size: latest.size, quorum: quorum)
    }

    static func cite(_ checkpoint: Checkpoint, store: EventStore, quorum: Int) throws -> CheckpointCitation {
        var witnessedSize: Int64? = nil
        var cosigners: [String] = []
        if let w = try store.witnessedCheckpoint(quorum: quorum), w.size >= checkpoint.size {
            witnessedSize = w.size
            cosigners = try store.cosigners(size: w.size)
        }
        return CheckpointCitation(origin: checkpoint.origin, size: checkpoint.size, root: Data(checkpoint.root).base64EncodedString(),
                                  witnessedSize: witnessedSize, cosigners: cosigners, quorum: quorum)
    }

    /// One line for standard error: what was verified.
    var verifiedLine: String {
        "checkpoint \(size) of \(origin) (root \(root)): signed by the hub's checkpoint key and equal to the stored tree"
            + (witnessedSize.map { "; witnessed at size \($0) by \(cosigners.count) (quorum \(quorum)): \(cosigners.joined(separator: ", "))" } ?? "; not yet witnessed by a quorum of \(quorum)")
    }

    /// The plain-Chinese sentence of the data note.
    var note: String {
        let witnessed = witnessedSize.map { "，已经\(cosigners.count)个法院节点见证签名（检查点 \($0)）" } ?? "，尚未经足够节点见证签名（需\(quorum)个）"
        return "本通报数据以中院公开日志第 \(size) 号检查点为准\(witnessed)。"
    }

    /// The appendix's detail: origin, size, root, witnesses.
    var detail: String {
        "日志检查点：\(origin)，树大小 \(size)，根哈希 \(root)（base64）。\n"
            + (witnessedSize.map { "见证：检查点 \($0) 由 \(cosigners.joined(separator: "、")) 共同签名（法定人数 \(quorum)）。" } ?? "见证：尚无达到法定人数 \(quorum) 的见证检查点覆盖本检查点。")
    }
}
