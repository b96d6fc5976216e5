import CourtLog
import NodeStore
import SyncProtocol
import TransparencyLog

/// A pushed batch from bytes to signed receipt, without HTTP (protocol §15.4): parse every line,
/// check the batch is the court's own and contiguous, verify signatures (stopping at the first
/// bad one) and links, then store, fold and checkpoint in one transaction, and sign the receipt.
/// Every refusal is a ``HubRefusal``; any other error is the store's (a full disk, say).
struct IngestService: Sendable {
    let hub: HubDirectory
    /// Signs the transparency log's checkpoint that includes the batch.
    let checkpointSigner: NoteSigner?

    /// A node may report a head at most this many events past what the hub holds after its
    /// batch: more than a whole city's year (843k events for Jiaozuo's eleven courts). A larger
    /// report is a bug or a forgery and would swamp the lag metric; it is clamped to this.
    static let maxReportedBacklog: Int64 = 1_000_000

    /// What a stored push gives back.
    struct Accepted: Sendable {
        let receipt: PushReceipt
        let stored: Int
        let fromSeq: Int64
        let toSeq: Int64
    }

    /// The head a node reported, made plausible for the lag metric: never below what the hub
    /// holds of it after the batch (`hubHead`), never more than ``maxReportedBacklog`` past it.
    static func plausibleNodeHead(_ reported: Int64?, hubHead: Int64) -> Int64 {
        guard let reported else { return hubHead }
        return max(hubHead, min(reported, hubHead + maxReportedBacklog))
    }

    /// Stores a batch of `court`'s log pushed by `court` itself (the caller has checked that).
    func ingest(court: String, body: [UInt8], nodeHead: Int64?, receivedAt: Int64) throws -> Accepted {
        let store = hub.log
        let lines = body.split(separator: 0x0A).map(Array.init)
        guard !lines.isEmpty else { throw HubRefusal(.badRequest, "the batch is empty: push at least one event") }
        var events: [SignedEvent] = []
        for (i, line) in lines.enumerated() {
            do throws(EventError) { events.append(try SignedEvent(parsing: line)) } catch {
                let located = error.at(line: i + 1)
                throw HubRefusal(.malformed(line: i + 1, seq: error.seq), "\(located.description): correct the event in the node's log source, then push again")
            }
        }
        if let foreign = events.first(where: { $0.node != court }) {
            throw HubRefusal(.wrongCourt, "the batch carries events of node \(foreign.node) (seq \(foreign.seq)): \(court) may push only its own")
        }
        for (a, b) in zip(events, events.dropFirst()) where b.seq != a.seq + 1 {
            throw HubRefusal(.badRequest, "the batch is not contiguous: seq \(b.seq) follows \(a.seq); push consecutive events")
        }
        guard let enrolled = try store.enrolledNodes().first(where: { $0.court == court }) else {
            throw HubRefusal(.notEnrolled, "node \(court) is not enrolled: ask the intermediate court's 技术处 to enroll it")
        }
        let key = try NodePublicKey(hex: enrolled.publicKey)
        let head = try store.head(of: court)
        if let first = events.first, first.seq > head.seq + 1 {
            throw HubRefusal(.gap(cursor: head.seq), "gap: the hub holds node \(court) up to seq \(head.seq); resume from seq \(head.seq + 1)")
        }
        // Signatures before anything else, in order, stopping at the first bad one. A fork alarm
        // accuses the court of signing two events for one seq, so it is raised only on evidence:
        // a conflicting event validly signed by the court's enrolled key. A batch with a bad
        // signature is refused (422) and never raises an alarm, so whoever holds a node's TLS key
        // but not its event key can neither bury real alarms under false ones nor accuse a court.
        var verifier = LogVerifier(node: court, publicKey: key, after: head)
        if let bad = LogVerifier.firstBadSignature(events, key: key).seq, let e = events.first(where: { $0.seq == bad }) {
            // Events a court signed before it rotated its key may arrive after the rotation: the
            // batch is checked under the court's key history (protocol §10), continuing from the
            // key that signed the last event the hub holds, so a rotated-out key never signs after
            // its successor has.
            let history = try hub.keyLog().courtKeys(of: court)
            if history.count > 1 {
                let held = head.seq > 0 ? try store.events(of: court, from: head.seq, limit: 1).first : nil
                let previous = held.flatMap { LogVerifier.signer(of: $0, in: history) } ?? 0
                if let resent = events.first(where: { $0.seq <= head.seq && LogVerifier.signer(of: $0, in: history) == nil }) {
                    throw HubRefusal(.badSignature(seq: resent.seq), "the whole batch is refused: seq \(resent.seq): bad signature: not signed by any of node \(court)'s keys")
                }
                let unheld = events.filter { $0.seq > head.seq }
                if let refused = LogVerifier.firstRefusedSignature(unheld, node: court, history: history, previousKey: previous) {
                    throw HubRefusal(.badSignature(seq: refused.seq ?? bad), "the whole batch is refused: \(refused.description)")
                }
            } else {
                do throws(EventError) { try verifier.checkSignature(e) } catch {
                    throw HubRefusal(.badSignature(seq: bad), "the whole batch is refused: \(error.description)")
                }
            }
        }
        for e in events where e.seq > head.seq {
            // Decided on the data: a validly signed event whose prev is not the hash the hub
            // holds before it is a second history of this court.
            let forks = e.prev != verifier.head.hash
            let held = verifier.head.hash
            do throws(EventError) { try verifier.link(e) } catch {
                if forks {
                    try store.recordAlarm(court: court, seq: e.seq, kind: "fork", detail: error.reason,
                                          evidence: String(decoding: e.exportLine, as: UTF8.self), at: receivedAt)
                    throw HubRefusal(.fork(cursor: head.seq, seq: e.seq, held: held.hex), "fork: \(error.description)")
                }
                throw HubRefusal(.malformed(line: nil, seq: e.seq), "the whole batch is refused: \(error.description)")
            }
        }
        try checkExpected(court: court, events: events, head: head.seq)
        let receipt: EventStore.Receipt
        do {
            let reported = Self.plausibleNodeHead(nodeHead, hubHead: max(head.seq, events.last!.seq))
            receipt = try store.ingest(events, nodeHead: reported, recordedAt: receivedAt, checkpointSigner: checkpointSigner)
        } catch let fork as ForkError {
            let evidence = events.first { $0.seq == fork.seq }.map { String(decoding: $0.exportLine, as: UTF8.self) }
            try store.recordAlarm(court: court, seq: fork.seq, kind: "fork", detail: fork.description, evidence: evidence, at: receivedAt)
            throw HubRefusal(.fork(cursor: head.seq, seq: fork.seq, held: fork.held.hex), fork.description)
        }
        let from = events.first!.seq, to = events.last!.seq
        var proof: PushReceipt.Proof?
        if let size = receipt.treeSize, let checkpoint = receipt.checkpoint, let found = try store.leafIndex(court: court, seq: to) {
            proof = PushReceipt.Proof(checkpoint: checkpoint, leafIndex: found.index, inclusion: try store.inclusionProof(index: found.index, size: size))
        }
        let signed = PushReceipt.make(court: court, fromSeq: from, toSeq: to, stored: Int64(receipt.stored), headHash: receipt.head.hash.hex,
                                      receivedAt: receivedAt, proof: proof, key: hub.node.key)
        return Accepted(receipt: signed, stored: receipt.stored, fromSeq: from, toSeq: to)
    }

    /// After a recovery (protocol §16.13) the tree may hold entries for seqs the hub has no event
    /// of yet: an event there is taken only if it is the one the entry names (it then keeps its
    /// original leaf); anything else is refused, naming the hash the tree expects.
    func checkExpected(court: String, events: [SignedEvent], head: Int64) throws {
        guard let last = events.last, last.seq > head else { return }
        let expected = try hub.store.expectedEntries(court: court, from: head + 1, to: last.seq)
        guard !expected.isEmpty else { return }
        for e in events where e.seq > head {
            guard let entry = expected[e.seq] else { continue }
            let mine = LogEntry(court: court, seq: e.seq, eventHash: e.hash.bytes).bytes
            guard entry != mine else { continue }
            let held = Hex.encode(Array(entry.suffix(32)))
            throw HubRefusal(.notExpected(seq: e.seq, expected: held),
                             "seq \(e.seq) of \(court) is not the event the hub's recovered tree holds there (hash \(held.prefix(16))…, cosigned by its witnesses before the hub was restored): this node's log differs from what the hub accepted; nothing was stored; do not append, report it to 技术处 and the auditors")
        }
    }
}
