import Foundation
import TransparencyLog

/// A standalone witness (C2SP tlog-witness, protocol §16.11): for each log it is configured
/// with, it cosigns a checkpoint only when the checkpoint is signed by the log's key and is
/// consistent with the last one it cosigned.
public struct Witness: Sendable {
    public let cosigner: Cosigner
    /// Trusted checkpoint keys, by origin.
    public let logs: [String: [NoteVerifier]]
    public let state: WitnessState
    /// Where requests whose proof fails are kept as evidence of the log's misbehaviour.
    public let evidenceDirectory: String?

    public init(cosigner: Cosigner, logs: [NoteVerifier], state: WitnessState, evidenceDirectory: String? = nil) {
        self.cosigner = cosigner
        self.logs = Dictionary(grouping: logs, by: \.name)
        self.state = state
        self.evidenceDirectory = evidenceDirectory
    }

    /// The answer to an `add-checkpoint` request: HTTP status, content type and body.
    public struct Answer: Sendable, Equatable {
        public let status: Int
        public let contentType: String
        public let body: String
        public init(status: Int, contentType: String, body: String) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }
        static func text(_ status: Int, _ body: String) -> Answer { Answer(status: status, contentType: "text/plain; charset=utf-8", body: body + "\n") }
        static func conflict(_ size: Int64) -> Answer { Answer(status: 409, contentType: "text/x.tlog.size", body: "\(size)\n") }
    }

    /// Handles `POST /add-checkpoint` with this body (`old N`, proof lines, an empty line, the note).
    public func addCheckpoint(_ bytes: [UInt8], now: UInt64 = UInt64(Date().timeIntervalSince1970)) -> Answer {
        guard let body = String(validating: bytes, as: UTF8.self), let blank = body.range(of: "\n\n") else {
            return .text(400, "the body must be `old <size>`, consistency proof lines, an empty line and a signed checkpoint (C2SP tlog-witness)")
        }
        let head = body[..<blank.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
        let note = String(body[blank.upperBound...])
        guard let first = head.first, first.hasPrefix("old "), let old = Int64(first.dropFirst(4)), old >= 0, String(old) == first.dropFirst(4) else {
            return .text(400, "the first line must be `old <size>` in decimal without leading zeroes")
        }
        var proof: [[UInt8]] = []
        for line in head.dropFirst() {
            guard let h = Data(base64Encoded: String(line)), h.count == 32 else { return .text(400, "a consistency proof line is not a base64 SHA-256 hash") }
            proof.append(Array(h))
        }
        guard proof.count <= 63 else { return .text(400, "more than 63 consistency proof lines") }
        let origin = String(note.prefix(while: { $0 != "\n" }))
        guard let verifiers = logs[origin] else { return .text(404, "this witness does not witness the log '\(origin)'") }
        var checkpoint: Checkpoint?
        for v in verifiers { if let c = try? v.verifyCheckpoint(note) { checkpoint = c; break } }
        guard let checkpoint else { return .text(403, "the checkpoint carries no valid signature by a key this witness trusts for '\(origin)'") }
        guard old <= checkpoint.size else { return .text(400, "old size \(old) is larger than the checkpoint's size \(checkpoint.size)") }
        guard old > 0 || proof.isEmpty else { return .text(400, "the consistency proof must be empty when old is 0") }
        do {
            return try state.update(origin: origin) { held -> (record: (checkpoint: Checkpoint, note: String)?, answer: Answer) in
                let heldSize = held?.size ?? 0
                guard old == heldSize else { return (nil, .conflict(heldSize)) }
                if let held, old == checkpoint.size {
                    guard held.root == checkpoint.root else { return (nil, .conflict(heldSize)) }
                } else if let held, old > 0,
                          !MerkleTree.verifyConsistency(old: old, new: checkpoint.size, oldRoot: held.root, newRoot: checkpoint.root, proof: proof) {
                    keepEvidence(bytes, origin: origin)
                    return (nil, .text(422, "the consistency proof from \(old) to \(checkpoint.size) does not verify: this checkpoint does not extend the one this witness cosigned"))
                }
                let line = cosigner.cosign(body: checkpoint.body, time: now)
                return (record: (checkpoint: checkpoint, note: note), answer: Answer(status: 200, contentType: "text/plain; charset=utf-8", body: line + "\n"))
            }
        } catch {
            return .text(500, "the witness could not record the checkpoint: \(error)")
        }
    }

    func keepEvidence(_ bytes: [UInt8], origin: String) {
        guard let evidenceDirectory else { return }
        try? FileManager.default.createDirectory(atPath: evidenceDirectory, withIntermediateDirectories: true)
        let name = "\(Int64(Date().timeIntervalSince1970))-\(UUID().uuidString.prefix(8)).txt"
        _ = FileManager.default.createFile(atPath: "\(evidenceDirectory)/\(name)", contents: Data(bytes))
    }
}
