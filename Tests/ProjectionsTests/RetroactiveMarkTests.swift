import CourtLog
import Testing
@testable import Projections

/// Which figures a retroactive policy event changed (protocol §16.12): only figures judged against
/// the threshold or review limit it set, for periods that ended before it was first published.
@Suite("retroactive marks")
struct RetroactiveMarkTests {
    // A threshold of 410800 seq 7, effective 2023-02-01, first published 2023-05-10 (hub time).
    let event = RetroactivePolicy(node: "410800", seq: 7, type: "threshold.set", document: "焦中法〔2023〕9号",
                                  effective: try! CivilDate(parsing: "2023-02-01"),
                                  published: Publication.Time(seconds: 1_683_684_000, witnessed: false))

    func row(_ period: String, _ status: ComplianceStatus, source: Int64? = 7) -> ComplianceRow {
        ComplianceRow(period: period, indicator: "online-filing", indicatorName: "网上立案率", indicatorCode: "1a", unit: "410802",
                      unitName: "解放区人民法院", unitKind: "court", stage: nil, numerator: 8, denominator: 10, unitOfMeasure: "percent",
                      thresholdPer10k: 7500, thresholdDocument: "焦中法〔2023〕9号", reviewLimitHours: nil, status: status, problem: nil,
                      thresholdSource: source.map { Publication.EventRef(node: "410800", seq: $0) })
    }

    @Test func onlyJudgedFiguresOfClosedPeriodsFromThisEventAreChanged() {
        // Feb 1 → May 10 = 27 + 31 + 30 + 10 = 98 days.
        #expect(event.delayDays == 98)
        #expect(event.changed(row("2023-02", .met)))
        #expect(event.changed(row("2023-04", .missed)))             // April ended before May 10
        #expect(!event.changed(row("2023-05", .met)))               // May ends after it was published
        #expect(!event.changed(row("2023-02", .met, source: 8)))    // another event set the threshold
        for status in [ComplianceStatus.noData, .notAssessed, .dataProblem] {
            #expect(!event.changed(row("2023-02", status)), "a figure \(status) was judged against no threshold")
        }
    }
}
