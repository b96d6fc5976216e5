import CanonicalJSON
import CourtLog
import CourtPlan
import Foundation
import Projections
import Testing
@testable import NodeStore

/// A replay that writes its distinct subjects to spill files and counts them a slice at a time
/// gives the same projections as one that holds every set in memory.
@Suite("replay with spilled distinct sets")
struct SpilledReplayTests {
    /// A hub holding 410800 (with departments) and 410811: service acts on cases that recur
    /// across months and years, staff who are active in many months. Two nodes fold on two
    /// cores into tallies with different unit numbering, so the merge of spills is exercised.
    @Test func aSpilledReplayGivesTheDigestOfTheInMemoryOne() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-spill-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let hub = try NodeDirectory.create(at: "\(root)/hub", court: Plan.shipped.court("410800"), role: .hub)
        let court = try NodeDirectory.create(at: "\(root)/shanyang", court: Plan.shipped.court("410811"))
        let depts = ["case-filing", "civil-1", "criminal-1"]
        func drafts(_ node: String, count: Int) throws -> [EventDraft] {
            try (0..<count).map { i in
                // Months 2022-08 … 2023-07 in turn; case i % 250 recurs in other months and years.
                let month = 8 + i % 12, year = month > 12 ? 2023 : 2022, m = month > 12 ? month - 12 : month
                let day = String(format: "%04d-%02d-%02d", year, m, 1 + i % 28)
                let at = try EventTime(parsing: "\(day)T10:00:00+08:00")
                let dept = node == "410800" ? depts[i % 3] : nil
                if i % 4 == 3 {
                    return try EventDraft(id: "s\(i)", type: "staff.active", at: at, dept: dept,
                                          data: ["staff_id": .string("staff-\(i % 37)"), "app": .string(i % 2 == 0 ? "oa" : "mobile"), "day": .string(day)])
                }
                return try EventDraft(id: "d\(i)", type: "service.delivered", at: at, dept: dept,
                                      data: ["case_no": .string("(2022)豫\(node.suffix(4))民初\(i % 250)号"), "method": .string(i % 3 == 0 ? "postal" : "electronic")])
            }
        }
        let recorded = try EventTime(parsing: "2023-08-01T10:00:00+08:00").utcSeconds
        _ = try hub.append(try drafts("410800", count: 1500), recordedAt: recorded)
        _ = try court.append(try drafts("410811", count: 1200), recordedAt: recorded)
        _ = try hub.store.ingest(try court.store.events(of: "410811"), nodeHead: nil, recordedAt: recorded)

        let inMemory = try hub.store.replay(distinctBudget: Int.max)
        // 2,700 events > 64 / 16: spilled; each partition holds hundreds of pairs, so it is read
        // again for each slice of at most 64 pairs.
        let spilled = try hub.store.replay(distinctBudget: 64)
        #expect(spilled.digest == inMemory.digest)
        #expect(spilled.tally.counts == inMemory.tally.counts)
        #expect(try hub.store.storedDigest() == spilled.digest)

        // One count worked out apart from the fold: 410811's 2022 e-service coverage
        // denominator is the number of different case numbers served in Aug–Dec 2022, i.e. of
        // i % 250 over the service acts (i % 4 ≠ 3) with i % 12 ≤ 4.
        let cases2022 = Set((0..<1200).filter { $0 % 4 != 3 && $0 % 12 <= 4 }.map { $0 % 250 }).count
        #expect(spilled.tally.counts(of: "2022").count(unit: "410811", measure: "e-service-coverage/den") == Int64(cases2022))
        // The spill files are gone.
        let left = try FileManager.default.contentsOfDirectory(atPath: "\(root)/hub").filter { $0.contains("replay-spill") }
        #expect(left.isEmpty)
    }
}
