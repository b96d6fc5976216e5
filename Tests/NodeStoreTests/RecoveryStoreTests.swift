import CourtLog
import CourtPlan
import Foundation
import QueryViews
import Testing
import TransparencyLog
@testable import NodeStore

/// Protocol §16.13 on real SQLite stores: a hub copied early (its backup) is rebuilt to the tree
/// of the hub that went on, its courts' events come back at the leaves the tree already holds,
/// and only the very event an entry names is taken there.
@Suite("a recovered hub's expected events")
struct RecoveryStoreTests {
    static let signer = try! NoteSigner(name: "test.example/courtsync/410800", seed: Array(repeating: 7, count: 32))

    func temp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-recovery-\(name)-\(UUID().uuidString.prefix(8))").path
    }

    func filings(_ range: ClosedRange<Int>, online: Bool = true) throws -> [EventDraft] {
        try range.map { i in
            try EventDraft(id: "f-\(i)\(online ? "" : "-offline")", type: "case.filed", at: EventTime(parsing: "2022-09-\(10 + i)T09:00:00+08:00"), dept: nil,
                           data: ["case_no": .string("(2022)豫0802民初\(i)号"), "channel": online ? "online" : "offline"])
        }
    }

    @Test func expectedEventsComeBackAtTheirLeavesAndOthersAreRefused() throws {
        let intactPath = temp("intact"), backupPath = temp("backup"), courtPath = temp("court"), otherPath = temp("other")
        defer { for p in [intactPath, backupPath, courtPath, otherPath] { try? FileManager.default.removeItem(atPath: p) } }
        let court = try NodeDirectory.create(at: courtPath, court: Plan.shipped.court("410802"))
        _ = try court.append(try filings(1...2), recordedAt: 1)
        let intact = try NodeDirectory.create(at: intactPath, court: Plan.shipped.court("410800"), role: .hub)
        _ = try intact.store.ingest(try court.store.events(of: "410802"), nodeHead: nil, recordedAt: 2, checkpointSigner: Self.signer)
        // The backup, and a copy of the court's node as it stood then.
        try FileManager.default.copyItem(atPath: intactPath, toPath: backupPath)
        try FileManager.default.copyItem(atPath: courtPath, toPath: otherPath)
        _ = try court.append(try filings(3...5), recordedAt: 3)
        let lost = try court.store.events(of: "410802", from: 3)
        let after = try intact.store.ingest(lost, nodeHead: nil, recordedAt: 4, checkpointSigner: Self.signer)
        let size = try #require(after.treeSize)
        #expect(size == 1 + 5, "410800's genesis and 410802's five filings")

        // Rebuild the backup's tree from the intact tree's entries (as from a mirror).
        let backup = try NodeDirectory.open(at: backupPath, role: .hub)
        let held = try backup.store.treeSize()
        #expect(held == 3)
        let entries = try intact.store.treeEntries()
        let leaves = try entries[Int(held)...].map { entry -> EventStore.RestoredLeaf in
            let e = try LogEntry(bytes: entry)
            return EventStore.RestoredLeaf(leaf: .init(node: e.court, seq: e.seq, entry: entry), keyLog: nil)
        }
        let note = try #require(try intact.store.checkpoint(size: size))
        let root = try Self.signer.verifier.verifyCheckpoint(note).root
        // A wrong root changes nothing.
        #expect(throws: StoreError.self) {
            try backup.store.restoreTree(heldSize: held, leaves: leaves, root: Array(repeating: 0, count: 32),
                                         checkpoints: [.init(size: size, note: note, at: 5, cosignatures: [])], at: 5)
        }
        #expect(try backup.store.treeSize() == held && backup.store.owedEvents().isEmpty)
        try backup.store.restoreTree(heldSize: held, leaves: leaves, root: root, checkpoints: [.init(size: size, note: note, at: 5, cosignatures: [])], at: 5)
        #expect(try backup.store.owedEvents() == [EventStore.OwedEvents(court: "410802", fromSeq: 3, toSeq: 5)])
        #expect(throws: IncompleteAfterRecovery.self) { _ = try ProjectionSource.stored(backup.store) }

        // Another seq 3, validly signed by the same court: refused, nothing stored.
        let other = try NodeDirectory.open(at: otherPath)
        _ = try other.append(try filings(3...3, online: false), recordedAt: 6)
        #expect(throws: StoreError.self) {
            _ = try backup.store.ingest(try other.store.events(of: "410802", from: 3), nodeHead: nil, recordedAt: 6, checkpointSigner: Self.signer)
        }
        #expect(try backup.store.head(of: "410802").seq == 2)

        // The very events come back: no new leaf, the same root, the same projections.
        let back = try backup.store.ingest(lost, nodeHead: nil, recordedAt: 7, checkpointSigner: Self.signer)
        #expect(back.treeSize == size && back.checkpoint == note)
        #expect(try backup.store.leafIndex(court: "410802", seq: 5)?.index == intact.store.leafIndex(court: "410802", seq: 5)?.index)
        #expect(try backup.store.owedEvents().isEmpty)
        #expect(try backup.store.replay().digest == intact.store.replay().digest)
        _ = try ProjectionSource.stored(backup.store)

        // New events go after the last restored entry.
        _ = try court.append(try filings(6...6), recordedAt: 8)
        let next = try backup.store.ingest(try court.store.events(of: "410802", from: 6), nodeHead: nil, recordedAt: 8, checkpointSigner: Self.signer)
        #expect(next.treeSize == size + 1)
    }
}
