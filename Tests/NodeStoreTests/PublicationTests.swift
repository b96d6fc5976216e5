import Bulletins
import CanonicalJSON
import CourtLog
import CourtPlan
import Foundation
import Projections
import QueryViews
import Testing
import TransparencyLog
@testable import NodeStore

/// Protocol §16.12 on a real SQLite store: when the transparency log first published each event
/// decides which policy was retroactive and which usage was entered late. Checkpoint times are
/// given to the store (as the hub gives its clock), so every figure is computed by hand.
@Suite("first publication, retroactivity and late entries")
struct PublicationTests {
    // 2023-02-28T12:00:00+08:00: 2023-01-01 is day 19358 since 1970; + 31 + 27 = 19416 (Feb 28);
    // 19416 × 86400 = 1677542400, + 4 h (12:00 at UTC+8 is 04:00 UTC) = 1677556800.
    static let february28: Int64 = 1_677_556_800
    // 2023-05-10T10:00:00+08:00: May 10 is day 19358 + 31 + 28 + 31 + 30 + 9 = 19487;
    // 19487 × 86400 = 1683676800, + 2 h = 1683684000.
    static let may10: Int64 = 1_683_684_000
    // 2023-05-12T10:00:00+08:00 = may10 + 2 × 86400.
    static let may12: Int64 = 1_683_856_800

    func filing(_ i: Int, day: String, online: Bool) throws -> EventDraft {
        try EventDraft(id: "f-\(i)", type: "case.filed", at: EventTime(parsing: "\(day)T09:00:00+08:00"), dept: nil,
                       data: ["case_no": .string("(2023)豫08民初\(i)号"), "channel": online ? "online" : "offline"])
    }

    func threshold(_ id: String, indicator: String, per10k: Int64, effective: String, document: String) throws -> EventDraft {
        try EventDraft(id: id, type: "threshold.set", at: EventTime(parsing: "2023-05-10T09:00:00+08:00"), dept: nil,
                       data: ["indicator": .string(indicator), "per_10k": .int(per10k), "effective": .string(effective), "document": .string(document)])
    }

    @Test func aBackdatedThresholdMarksTheFiguresItFlippedAndLateUsageIsCounted() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-pub-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let hub = try NodeDirectory.create(at: path, court: Plan.shipped.court("410800"), role: .hub)
        let signer = try NoteSigner(name: "test.example/courtsync/410800", seed: Array(repeating: 7, count: 32))
        // February: 10 filings on Feb 1…10, 8 online; and 3 filings of January 5, entered late.
        var batch = try (1...10).map { try filing($0, day: "2023-02-\($0 < 10 ? "0" : "")\($0)", online: $0 <= 8) }
        batch += try (11...13).map { try filing($0, day: "2023-01-05", online: true) }
        _ = try hub.append(batch, recordedAt: Self.february28)
        _ = try hub.store.updateTransparencyLog(signer: signer, at: Self.february28)
        // In May, 410800 lowers 1a to 75% effective February 1 (backdated), and sets 2 from June 1 (timely).
        _ = try hub.append([try threshold("t-1", indicator: "online-filing", per10k: 7500, effective: "2023-02-01", document: "焦中法〔2023〕9号"),
                            try threshold("t-2", indicator: "online-payment", per10k: 8000, effective: "2023-06-01", document: "焦中法〔2023〕10号")],
                           recordedAt: Self.may10)
        _ = try hub.store.updateTransparencyLog(signer: signer, at: Self.may10)

        let source = try ProjectionSource.stored(hub.store)
        let retro = try source.publication(nil).retroactive(source.policy)
        // Only t-1: effective 2023-02-01, first published 2023-05-10 (hub time, no witness yet):
        // Feb 1 → May 10 = 27 (rest of Feb) + 31 + 30 + 10 = 98 days. t-2 takes effect after it was published.
        #expect(retro.map(\.document) == ["焦中法〔2023〕9号"])
        #expect(retro.first?.delayDays == 98 && retro.first?.published.witnessed == false)

        let feb = try rows(source, period: "2023-02")
        let city = try #require(feb.first { $0["unit"]?.stringValue == "city" })
        // 8 of 10 online = 80.00% ≥ 75.00% (the backdated threshold; under the plan's 99% it was 未达标): met, and marked.
        #expect(city["numerator"]?.intValue == 8 && city["denominator"]?.intValue == 10 && city["status"]?.stringValue == "met")
        #expect(city["threshold_per_10k"]?.intValue == 7500)
        let mark = try #require(city["retroactive"]?.arrayValue?.first)
        #expect(mark["document"]?.stringValue == "焦中法〔2023〕9号" && mark["delay_days"]?.intValue == 98 && mark["effective"]?.stringValue == "2023-02-01")
        // The timely threshold of indicator 2 marks nothing.
        #expect(try rows(source, period: "2023-02", indicator: "online-payment").allSatisfy { $0["retroactive"] == nil })
        // Late entries: Jan 5 09:00 → Feb 28 12:00 is 54 days > 30 (3 late, in January); Feb 1 09:00 → Feb 28 12:00 is 27 days (not late).
        #expect(try rows(source, period: "2023-01").first { $0["unit"]?.stringValue == "410800" }?["late_entries"]?.intValue == 3)
        #expect(city["late_entries"]?.intValue == 0)
        #expect(try rows(source, period: "2023-H1").first { $0["unit"]?.stringValue == "city" }?["late_entries"]?.intValue == 3)

        // The bulletin says the same in its 记录时效 appendix, and its bound text (what an issue's digest binds) does not.
        var bulletin = try Bulletin.make(kind: .monthly, period: .month(year: 2023, month: 2), projection: source.projection, counts: source.counts, dataNote: "")
        bulletin.noteRecordTiming(try source.publication(.month(year: 2023, month: 2)), policy: source.policy)
        #expect(bulletin.recordTiming.contains { $0.contains("焦中法〔2023〕9号") && $0.contains("迟 98 天") })
        #expect(BulletinMarkdown.render(bulletin).contains("## 附：记录时效"))
        #expect(!BulletinMarkdown.render(bulletin.bound).contains("记录时效"))

        // A witness cosigns the May checkpoint on May 12: its signed time is preferred to the hub's own,
        // so the delay becomes Feb 1 → May 12 = 100 days.
        let note = try #require(try hub.store.latestCheckpoint())
        let body = try signer.verifier.verify(note: note.checkpoint)
        let witness = try Cosigner(name: "courtsync/witness/410802", seed: Array(repeating: 9, count: 32))
        _ = try hub.store.addCosignature(size: note.size, witness: witness.verifier.name, line: witness.cosign(body: body, time: UInt64(Self.may12)), at: Self.may12)
        let witnessed = try ProjectionSource.stored(hub.store)
        let again = try witnessed.publication(nil).retroactive(witnessed.policy)
        #expect(again.first?.delayDays == 100 && again.first?.published.witnessed == true)

        // At the February checkpoint (13 filings + genesis = 14 leaves) neither threshold exists yet: 8 of 10 against the plan's 99% is missed.
        let atFebruary = try ProjectionSource.checkpointed(hub.store, treeSize: 14)
        let old = try #require(try rows(atFebruary, period: "2023-02").first { $0["unit"]?.stringValue == "city" })
        #expect(old["status"]?.stringValue == "missed" && old["threshold_per_10k"]?.intValue == 9900 && old["retroactive"] == nil)
        #expect(throws: (any Error).self) { try ProjectionSource.checkpointed(hub.store, treeSize: 99) }

        // Policy may allow more than 30 days. Since the witness's cosignature, the January filings'
        // first publication is its signed time, May 12 10:00 (the hub's own Feb 28 checkpoint was
        // never cosigned): Jan 5 09:00 → May 12 10:00 = 26 + 28 + 31 + 30 + 12 = 127 days and 1 hour.
        // Under a late-entry limit of 150 days they are no longer late.
        _ = try hub.append([try EventDraft(id: "l-1", type: "loop_limit.set", at: EventTime(parsing: "2023-05-11T09:00:00+08:00"), dept: nil,
                                           data: ["limit": "late-entry", "days": .int(150), "effective": "2023-01-01", "document": "焦中法〔2023〕11号"])],
                           recordedAt: Self.may12)
        _ = try hub.store.updateTransparencyLog(signer: signer, at: Self.may12)
        let lenient = try ProjectionSource.stored(hub.store)
        #expect(lenient.policy.lateAfterDays(.month(year: 2023, month: 1)) == 150)
        #expect(try rows(lenient, period: "2023-01").first { $0["unit"]?.stringValue == "410800" }?["late_entries"]?.intValue == 0)
    }

    @Test func oneWitnessAloneCannotDateABackdatedThresholdEarly() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-pubq-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let hub = try NodeDirectory.create(at: path, court: Plan.shipped.court("410800"), role: .hub)
        let signer = try NoteSigner(name: "test.example/courtsync/410800", seed: Array(repeating: 7, count: 32))
        _ = try hub.append([try threshold("t-1", indicator: "online-filing", per10k: 7500, effective: "2023-02-01", document: "焦中法〔2023〕9号")],
                           recordedAt: Self.may10)
        _ = try hub.store.updateTransparencyLog(signer: signer, at: Self.may10)
        let note = try #require(try hub.store.latestCheckpoint())
        let body = try signer.verifier.verify(note: note.checkpoint)
        func cosign(_ seed: UInt8, _ court: String, at time: Int64) throws {
            let w = try Cosigner(name: "courtsync/witness/\(court)", seed: Array(repeating: seed, count: 32))
            _ = try hub.store.addCosignature(size: note.size, witness: w.verifier.name, line: w.cosign(body: body, time: UInt64(time)), at: time)
        }
        func delay(quorum: Int = Publication.defaultQuorum) throws -> Int? {
            let source = try ProjectionSource.stored(hub.store)
            return try hub.store.publication(quorum: quorum).retroactive(source.policy).first?.delayDays
        }
        // 410802 cosigns on May 12; 410803, on the hub's side, signs a time of Feb 2 10:00 (feb28 − 26 days − 2 h).
        let february2 = Self.february28 - 26 * 86400 - 7200
        try cosign(9, "410802", at: Self.may12)
        try cosign(10, "410803", at: february2)
        // Two witnesses, fewer than the quorum of 3: the later of the two, May 12: Feb 1 → May 12 = 27 + 31 + 30 + 12 = 100 days.
        #expect(try delay() == 100)
        // Had any one witness sufficed, 410803's Feb 2 would make it 1 day: the backdating hidden.
        #expect(try delay(quorum: 1) == 1)
        // 410804 on May 14 and 410811 on May 20: earliest times Feb 2, May 12, May 14, May 20; the third
        // smallest is May 14: Feb 1 → May 14 = 27 + 31 + 30 + 14 = 102 days.
        try cosign(11, "410804", at: Self.may12 + 2 * 86400)
        try cosign(12, "410811", at: Self.may12 + 8 * 86400)
        #expect(try delay() == 102)
    }

    func rows(_ source: ProjectionSource, period: String, indicator: String = "online-filing") throws -> [JSONValue] {
        try QueryViews.compliance(source, period: period, court: nil, dept: nil, indicator: indicator).json.arrayValue ?? []
    }
}
