import CourtLog
import Foundation
import NodeStore
import SyncProtocol
import TransparencyLog

/// A pushed batch from bytes to signed receipt, without HTTP (protocol §15.4): parse every line,
/// check the batch is the court's own and contiguous, verify signatures (stopping at the first
/// bad one) and links, then store, fold and checkpoint in one transaction, and sign the receipt.
/// Every refusal is a ``HubRefusal``; any other error is the store's (a full disk, say).
///
/// It runs in three steps so that the hub can overlap them across a court's pushes in flight
/// (``PushSequencer``): ``parse(court:body:)`` and ``verifySignatures(_:)`` need nothing the
/// previous batch changes and run on all cores while it is stored; ``commit(_:nodeHead:receivedAt:)``
/// reads the hub's head and stores, in seq order. The refusals come in the same order as when
/// the steps ran back to back: a malformed line, another court's events, a batch that is not
/// contiguous, a court not enrolled, a gap, a bad signature, a fork.
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

    /// A batch parsed and checked on its own, before the hub's head is read.
    struct Batch: Sendable {
        let court: String
        /// Contiguous, all of `court`, in seq order, not empty.
        let events: [SignedEvent]
        /// Each event's draft as the parse prepared it (content digest, stored columns): the store
        /// keeps them instead of computing them again.
        let prepared: [PreparedDraft]
        /// The court's enrolled key when the batch was parsed.
        let enrolledKey: String
        /// The first seq whose signature does not verify under `enrolledKey` (`.some(nil)`: all
        /// verify); nil until ``verifySignatures(_:)`` ran.
        var firstBadSignature: Int64??

        var first: Int64 { events[0].seq }
        var last: Int64 { events[events.count - 1].seq }
    }

    /// The head a node reported, made plausible for the lag metric: never below what the hub
    /// holds of it after the batch (`hubHead`), never more than ``maxReportedBacklog`` past it.
    static func plausibleNodeHead(_ reported: Int64?, hubHead: Int64) -> Int64 {
        guard let reported else { return hubHead }
        return max(hubHead, min(reported, hubHead + maxReportedBacklog))
    }

    /// Stores a batch of `court`'s log pushed by `court` itself (the caller has checked that):
    /// the three steps back to back.
    func ingest(court: String, body: [UInt8], nodeHead: Int64?, receivedAt: Int64) throws -> Accepted {
        var batch = try parse(court: court, body: body)
        verifySignatures(&batch)
        return try commit(batch, nodeHead: nodeHead, receivedAt: receivedAt)
    }

    /// Step 1: every line parsed and checked as an envelope on all cores (the first bad line, in
    /// order, refuses the batch), the batch the court's own and contiguous, the court enrolled.
    func parse(court: String, body: [UInt8]) throws -> Batch {
        let lines = Self.lines(of: body)
        guard !lines.isEmpty else { throw HubRefusal(.badRequest, "the batch is empty: push at least one event") }
        let events: [SignedEvent], prepared: [PreparedDraft]
        switch Parallel.mapPairs(count: lines.count, { i throws(EventError) -> (SignedEvent, PreparedDraft) in try SignedEvent.parsed(Array(body[lines[i]])) }) {
        case .success(let parsed):
            (events, prepared) = parsed
        case .failure(let failure):
            let located = failure.error.at(line: failure.index + 1)
            throw HubRefusal(.malformed(line: failure.index + 1, seq: failure.error.seq), "\(located.description): correct the event in the node's log source, then push again")
        }
        // By index, as below: iterating the events would copy each one.
        if let foreign = events.indices.first(where: { events[$0].node != court }) {
            throw HubRefusal(.wrongCourt, "the batch carries events of node \(events[foreign].node) (seq \(events[foreign].seq)): \(court) may push only its own")
        }
        for i in events.indices.dropFirst() where events[i].seq != events[i - 1].seq + 1 {
            throw HubRefusal(.badRequest, "the batch is not contiguous: seq \(events[i].seq) follows \(events[i - 1].seq); push consecutive events")
        }
        return Batch(court: court, events: events, prepared: prepared, enrolledKey: try enrolledKey(of: court))
    }

    /// Where each line of a pushed body stands, empty lines left out (they are not numbered),
    /// found with memchr rather than a byte-at-a-time split.
    static func lines(of body: [UInt8]) -> [Range<Int>] {
        body.withUnsafeBytes { raw -> [Range<Int>] in
            guard let base = raw.baseAddress else { return [] }
            var out: [Range<Int>] = []
            var start = 0
            while start < raw.count {
                let end = memchr(base + start, 0x0A, raw.count - start).map { base.distance(to: UnsafeRawPointer($0)) } ?? raw.count
                if end > start { out.append(start..<end) }
                start = end + 1
            }
            return out
        }
    }

    func enrolledKey(of court: String) throws -> String {
        guard let enrolled = try hub.log.enrolledNodes().first(where: { $0.court == court }) else {
            throw HubRefusal(.notEnrolled, "node \(court) is not enrolled: ask the intermediate court's 技术处 to enroll it")
        }
        return enrolled.publicKey
    }

    /// Step 2: the signatures under the enrolled key, in windows on all cores, stopping at the
    /// first bad one. Refuses nothing yet: a gap is reported before a bad signature.
    func verifySignatures(_ batch: inout Batch) {
        guard let key = try? NodePublicKey(hex: batch.enrolledKey) else { batch.firstBadSignature = .some(batch.first); return }
        batch.firstBadSignature = .some(LogVerifier.firstBadSignature(batch.events, key: key).seq)
    }

    /// Step 3: against the hub's head, in seq order: gap, signature verdict (under the court's key
    /// history when its current key does not verify), links and forks; then store, fold and
    /// checkpoint in one transaction and sign the receipt.
    func commit(_ parsed: Batch, nodeHead: Int64?, receivedAt: Int64) throws -> Accepted {
        var batch = parsed
        let store = hub.log
        let court = batch.court
        // The court's key changed since the batch was verified (enrolled again): verify again.
        let current = try enrolledKey(of: court)
        if current != batch.enrolledKey || batch.firstBadSignature == nil {
            batch = Batch(court: court, events: batch.events, prepared: batch.prepared, enrolledKey: current)
            verifySignatures(&batch)
        }
        let events = batch.events
        let key = try NodePublicKey(hex: current)
        let head = try store.head(of: court)
        if batch.first > head.seq + 1 {
            throw HubRefusal(.gap(cursor: head.seq), "gap: the hub holds node \(court) up to seq \(head.seq); resume from seq \(head.seq + 1)")
        }
        // Signatures before anything else, in order, stopping at the first bad one. A fork alarm
        // accuses the court of signing two events for one seq, so it is raised only on evidence:
        // a conflicting event validly signed by the court's enrolled key. A batch with a bad
        // signature is refused (422) and never raises an alarm, so whoever holds a node's TLS key
        // but not its event key can neither bury real alarms under false ones nor accuse a court.
        var verifier = LogVerifier(node: court, publicKey: key, after: head)
        if let bad = batch.firstBadSignature ?? nil, let e = events.first(where: { $0.seq == bad }) {
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
        // By index: a `for e in events` copies each event (a retain and release per member).
        for i in events.indices where events[i].seq > head.seq {
            // Decided on the data: a validly signed event whose prev is not the hash the hub
            // holds before it is a second history of this court.
            let forks = events[i].prev != verifier.head.hash
            let held = verifier.head.hash
            do throws(EventError) { try verifier.link(events[i]) } catch {
                let e = events[i]
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
            let reported = Self.plausibleNodeHead(nodeHead, hubHead: max(head.seq, batch.last))
            receipt = try store.ingest(events, prepared: batch.prepared, nodeHead: reported, recordedAt: receivedAt, checkpointSigner: checkpointSigner)
        } catch let fork as ForkError {
            let evidence = events.first { $0.seq == fork.seq }.map { String(decoding: $0.exportLine, as: UTF8.self) }
            try store.recordAlarm(court: court, seq: fork.seq, kind: "fork", detail: fork.description, evidence: evidence, at: receivedAt)
            throw HubRefusal(.fork(cursor: head.seq, seq: fork.seq, held: fork.held.hex), fork.description)
        }
        let from = batch.first, to = batch.last
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
    /// original leaf); anything else is refused, naming the hash the tree expects. Asked of the
    /// hub's log store (``HubTransparency``), SQLite or PostgreSQL, never of the local SQLite file.
    func checkExpected(court: String, events: [SignedEvent], head: Int64) throws {
        guard let last = events.last, last.seq > head else { return }
        let expected = try hub.log.expectedEntries(court: court, from: head + 1, to: last.seq)
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
