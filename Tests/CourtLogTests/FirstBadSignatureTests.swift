import CanonicalJSON
import Testing
@testable import CourtLog

/// A batch is refused at its first bad signature without verifying the rest (issue 13).
@Suite("signatures checked in windows, stopping at the first bad one")
struct FirstBadSignatureTests {
    static func filings(_ count: Int) throws -> [EventDraft] {
        try (1...count).map { i in
            try EventDraft(id: "f\(i)", type: "case.filed", at: try EventTime(parsing: "2022-09-01T09:00:00+08:00"), dept: nil,
                           data: ["case_no": .string("(2022)豫0802民初\(i)号"), "channel": "online"])
        }
    }

    @Test func findsTheFirstBadSeqAndStopsAfterItsWindow() throws {
        let key = NodeKey()
        let drafts = try Self.filings(1_000)
        let good = EventSealer(node: "410802", key: key).seal(drafts, after: .empty)
        let forged = EventSealer(node: "410802", key: NodeKey()).seal(drafts, after: .empty)
        // Seq 130 and 900 are signed by another key.
        var batch = good
        batch[129] = forged[129]
        batch[899] = forged[899]
        let found = LogVerifier.firstBadSignature(batch, key: key.publicKey, window: 100)
        // Windows of 100: seq 1…100 pass, 101…200 hold seq 130: 200 checked, not 1,000.
        #expect(found.seq == 130)
        #expect(found.checked == 200)
    }

    @Test func aGoodBatchIsCheckedWhole() throws {
        let key = NodeKey()
        let batch = EventSealer(node: "410802", key: key).seal(try Self.filings(300), after: .empty)
        let found = LogVerifier.firstBadSignature(batch, key: key.publicKey, window: 64)
        #expect(found.seq == nil)
        #expect(found.checked == 300)
        #expect(LogVerifier.firstBadSignature([], key: key.publicKey).checked == 0)
    }
}
