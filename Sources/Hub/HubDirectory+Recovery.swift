import CanonicalJSON
import CourtLog
import Foundation
import NodeStore
import SyncProtocol
import TransparencyLog

/// Recovering a hub restored from an old backup (protocol §16.13): its tree is rebuilt, entry
/// for entry, to the checkpoint of a mirror of its tiles, so that the tree after recovery is the
/// one its nodes and witnesses already saw and every one of them simply continues. Key-log
/// records come back in full (their entry is the record); events come back as *expected*: their
/// courts re-push them, and 410800's own come from a node that pulled them.
extension HubDirectory {
    /// What a recovery did.
    public struct Recovery: Sendable {
        /// Entries the hub's tree held before, and after.
        public let heldSize: Int64
        public let size: Int64
        public let restoredEvents: Int
        public let restoredKeyLogRecords: Int
        /// The size of the mirror's witnessed checkpoint, when it holds one.
        public let witnessedSize: Int64?
        /// 410800's own events stored from `--policy-from`.
        public let restoredPolicyEvents: Int
        public let owed: [EventStore.OwedEvents]
    }

    /// Rebuilds the tree to the checkpoint of the mirror at `mirrorPath`, which must be signed by
    /// this hub's checkpoint key and extend the tree the hub holds; then stores those of
    /// `policyEvents` (410800's log, any range) that the recovered tree expects. Every check comes
    /// before the one transaction that writes; a refusal changes nothing.
    public func recover(mirror mirrorPath: String, policyEvents: [SignedEvent]? = nil, now: Date = Date()) throws -> Recovery {
        let target = recoveryTarget
        if let postgres, policyEvents != nil {
            throw StoreError("--policy-from is for a hub on SQLite: on PostgreSQL (\(postgres.url.redacted)) 410800's own events come back from this hub directory's own log when `hub serve` starts; run `hub recover` without it")
        }
        let mirror = TileMirror(path: mirrorPath)
        guard let note = mirror.checkpointNote else {
            throw StoreError("\(mirrorPath) holds no checkpoint: give the directory `courtsync audit mirror --out` keeps")
        }
        let verifier = try checkpointSigner().verifier
        let checkpoint = try Self.mirrorCheckpoint(note, file: mirror.file(TileMirror.checkpointFile), verifier: verifier)
        let tree: TreeLevels
        do { tree = try mirror.verify(checkpoint) } catch { throw StoreError("\(mirrorPath): \(error)") }
        let held = try target.treeEntries()
        let heldSize = Int64(held.count)
        guard heldSize <= checkpoint.size else {
            throw StoreError("the hub's tree holds \(heldSize) entries, more than the mirror's checkpoint of \(checkpoint.size): nothing to recover from this mirror; bring it up to date with `courtsync audit mirror`")
        }
        if let differs = held.indices.first(where: { held[$0] != tree.entries[$0] }) {
            if let postgres {
                throw StoreError("the database \(postgres.url.redacted) already holds a tree that differs from the mirror's at entry \(differs) (a hub was started on it after it was emptied, or it is another hub's, or a split view): nothing was changed; give an empty database (dropdb, createdb) or one restored from this hub's backup")
            }
            throw StoreError("the hub's tree differs from the mirror's at entry \(differs): the restored hub is not a prefix of the log its witnesses cosigned (a split view); nothing was changed; report it to the auditors")
        }
        // And as any verifier would see it: the hub's own latest checkpoint is consistent with
        // the mirror's (RFC 9162 proof from the mirror's tree).
        if let latest = try target.latestCheckpoint(), let own = try? verifier.verifyCheckpoint(latest.checkpoint), own.size == heldSize, heldSize > 0 {
            let proof = try MerkleTree.consistencyProof(old: heldSize, new: checkpoint.size, node: tree.node)
            guard MerkleTree.verifyConsistency(old: heldSize, new: checkpoint.size, oldRoot: own.root, newRoot: checkpoint.root, proof: proof) else {
                throw StoreError("the hub's own checkpoint of size \(heldSize) is not consistent with the mirror's of size \(checkpoint.size): a split view or a damaged tree; nothing was changed; report it to the auditors")
            }
        }
        var restoredEvents = 0, restoredRecords = 0
        var witnessedSize: Int64?
        if heldSize < checkpoint.size {
            let leaves = try restoredLeaves(Array(tree.entries[Int(heldSize)...]), held: held, firstIndex: heldSize)
            restoredRecords = leaves.filter { $0.keyLog != nil }.count
            restoredEvents = leaves.count - restoredRecords
            let at = Int64(now.timeIntervalSince1970)
            var checkpoints = [EventStore.RestoredCheckpoint(size: checkpoint.size, note: note, at: at, cosignatures: [])]
            if let witnessed = try witnessedCheckpoint(mirror, tree: tree, upTo: checkpoint.size, leaves: leaves, verifier: verifier, now: at) {
                witnessedSize = witnessed.size
                if witnessed.size == checkpoint.size { checkpoints = [witnessed] } else { checkpoints.append(witnessed) }
            }
            try target.restoreTree(heldSize: heldSize, leaves: leaves, root: checkpoint.root, checkpoints: checkpoints, at: at)
            // On PostgreSQL, 410800's own events are in this directory's log: published back now,
            // each at the leaf the tree holds for it.
            if let postgres { try publishOwnEvents(to: postgres, at: at) }
            try? writeRegistry(to: "\(path)/nodes")
        }
        var restoredPolicy = 0
        if let policyEvents { restoredPolicy = try restorePolicy(policyEvents, now: now) }
        return Recovery(heldSize: heldSize, size: checkpoint.size, restoredEvents: restoredEvents, restoredKeyLogRecords: restoredRecords,
                        witnessedSize: witnessedSize, restoredPolicyEvents: restoredPolicy, owed: try target.owedEvents())
    }

    /// The store a recovery rebuilds and `hub status` asks what is owed: the hub's log, in
    /// PostgreSQL when `hub.json` names a database, else the directory's SQLite.
    public var recoveryTarget: any HubRecoveryTarget {
        if let postgres { return postgres }
        return store
    }

    /// The mirror's checkpoint, of this hub's origin and signed by its checkpoint key.
    static func mirrorCheckpoint(_ note: String, file: String, verifier: NoteVerifier) throws -> Checkpoint {
        if let split = note.range(of: "\n\n"), let body = try? Checkpoint(body: String(note[..<split.lowerBound]) + "\n"), body.origin != verifier.name {
            throw StoreError("\(file) is a checkpoint of log '\(body.origin)', not of this hub's '\(verifier.name)': give a mirror of this hub")
        }
        do { return try verifier.verifyCheckpoint(note) } catch {
            throw StoreError("\(file) is not signed by this hub's checkpoint key (\(error)): the mirror was altered or is of another hub; nothing was changed")
        }
    }

    /// The leaves beyond the hub's tree, checked: each court's event entries continue its seqs
    /// without a gap, and each key-log record follows the key log's rules (protocol §16.10),
    /// replayed from the hub's own records.
    func restoredLeaves(_ entries: [[UInt8]], held: [[UInt8]], firstIndex: Int64) throws -> [EventStore.RestoredLeaf] {
        var treeHeads: [String: Int64] = [:]
        for entry in held where entry.first == LogEntry.eventKind {
            if let e = try? LogEntry(bytes: entry) { treeHeads[e.court] = max(treeHeads[e.court] ?? 0, e.seq) }
        }
        var log = try keyLog()
        var out: [EventStore.RestoredLeaf] = []
        for (offset, entry) in entries.enumerated() {
            let index = firstIndex + Int64(offset)
            switch entry.first ?? 0 {
            case LogEntry.eventKind:
                let e: LogEntry
                do { e = try LogEntry(bytes: entry) } catch { throw StoreError("the mirror's entry \(index) is damaged (\(error)): nothing was changed") }
                let expected = (treeHeads[e.court] ?? 0) + 1
                guard e.seq == expected else {
                    throw StoreError("the mirror's entry \(index) is \(e.court) seq \(e.seq), but that court's next entry must be seq \(expected): the mirror is not a CourtSync hub's log; nothing was changed")
                }
                treeHeads[e.court] = e.seq
                out.append(EventStore.RestoredLeaf(leaf: EventStore.ExtraLeaf(node: e.court, seq: e.seq, entry: entry), keyLog: nil))
            case KeyLogRecord.entryKind:
                let record: KeyLogRecord
                do {
                    record = try KeyLogRecord(entry: entry)
                    guard record.entry == entry else { throw EventError("its JSON is not canonical") }
                    try log.apply(record)
                } catch {
                    throw StoreError("the mirror's entry \(index), key-log record, breaks the key log's rules (\(error)): nothing was changed")
                }
                let change: EventStore.RegistryChange
                switch record.action {
                case .enroll where record.n == 1 && record.court == PolicyAuthority.intermediateCourt:
                    // Record 1 names 410800's own key and checkpoint key: no registry row, as when the hub wrote it.
                    change = .none
                case .enroll: change = .enroll(court: record.court, publicKey: record.publicKey, tlsSerial: EventStore.restoredEnrollmentSerial)
                case .rotate: change = .rotate(court: record.court, oldPublicKey: record.body["old_public_key"]?.stringValue ?? "",
                                               publicKey: record.publicKey, tlsSerial: EventStore.restoredEnrollmentSerial)
                case .revoke: change = .revoke(court: record.court, publicKey: record.publicKey)
                }
                let append = EventStore.KeyLogAppend(n: record.n, court: record.court, action: record.action.rawValue, publicKey: record.publicKey,
                                                     record: CanonicalEncoder.encode(record.json), entry: entry, change: change)
                out.append(EventStore.RestoredLeaf(leaf: EventStore.ExtraLeaf(node: KeyLogRecord.treeName, seq: record.n, entry: entry), keyLog: append))
            default:
                throw StoreError("the mirror's entry \(index) is of no kind this protocol knows (first byte \(entry.first.map { String($0) } ?? "none")): nothing was changed")
            }
        }
        return out
    }

    /// The mirror's witnessed checkpoint (hub-signed, within the restored tree) with the
    /// cosignature lines that verify under a witness the hub knows: a court of the key log as it
    /// stands after the restored records, or a standalone witness. It is known to have existed by
    /// the earliest time a witness signed (never earlier than the truth: first publication, §16.12,
    /// stays conservative for the events whose own checkpoints the backup lost).
    func witnessedCheckpoint(_ mirror: TileMirror, tree: TreeLevels, upTo size: Int64, leaves: [EventStore.RestoredLeaf],
                             verifier: NoteVerifier, now: Int64) throws -> EventStore.RestoredCheckpoint? {
        guard let note = mirror.witnessedNote, let w = try? verifier.verifyCheckpoint(note), w.size <= size, tree.root(size: w.size) == w.root else { return nil }
        var log = try keyLog()
        for leaf in leaves { if let record = try? KeyLogRecord(entry: leaf.leaf.entry) { try? log.apply(record) } }
        var witnesses: [CosignatureVerifier] = log.courts.compactMap { court, c in
            (try? NodePublicKey(hex: c.publicKey)).map { CosignatureVerifier(name: CosignatureVerifier.nodeWitnessName(court: court), publicKey: $0.raw) }
        }
        witnesses += try self.log.witnesses().compactMap { try? CosignatureVerifier(encoded: $0.verifierKey) }
        var cosignatures: [(witness: String, line: String)] = []
        var earliest = now
        var hubLine: Substring?
        for line in note.split(separator: "\n") where line.hasPrefix("\u{2014} ") {
            if let witness = witnesses.first(where: { $0.verify(line: line, body: w.body) != nil }), let time = witness.verify(line: line, body: w.body) {
                cosignatures.append((witness.name, String(line)))
                earliest = min(earliest, Int64(time))
            } else if hubLine == nil, line.dropFirst(2).hasPrefix("\(verifier.name) ") {
                hubLine = line
            }
        }
        guard let hubLine else { return nil }
        return EventStore.RestoredCheckpoint(size: w.size, note: w.body + "\n" + String(hubLine) + "\n", at: earliest, cosignatures: cosignatures)
    }

    /// Stores those of `events` (410800's own log) that the recovered tree expects, after
    /// verifying them under 410800's key from the hub's head on.
    func restorePolicy(_ events: [SignedEvent], now: Date) throws -> Int {
        let ic = PolicyAuthority.intermediateCourt
        let head = try store.head(of: ic)
        guard let owed = try store.owedEvents().first(where: { $0.court == ic }) else { return 0 }
        let wanted = events.filter { $0.node == ic && $0.seq >= owed.fromSeq && $0.seq <= owed.toSeq }.sorted { $0.seq < $1.seq }
        guard wanted.first?.seq == owed.fromSeq else {
            throw StoreError("the copy of 410800's log given does not hold seq \(owed.fromSeq)…\(owed.toSeq), which the recovered tree expects: give a node directory that pulled them (its policy log) or a fuller export")
        }
        // Under 410800's key history (a rotation of its own key may be among the restored records),
        // from the key that signed the last event the hub holds.
        var history = try keyLog().courtKeys(of: ic)
        if history.isEmpty { history = [CourtKey(key: node.key.publicKey)] }
        let last = head.seq > 0 ? try store.events(of: ic, from: head.seq, limit: 1).first : nil
        let from = last.flatMap { LogVerifier.signer(of: $0, in: history) } ?? 0
        var verifier = LogVerifier(node: ic, history: Array(history[from...]), after: head)
        do { try verifier.verify(wanted) } catch {
            throw StoreError("the copy of 410800's log given does not verify under 410800's key (\(error.description)): nothing was stored")
        }
        return try store.restoreExpected(wanted, recordedAt: Int64(now.timeIntervalSince1970))
    }
}
