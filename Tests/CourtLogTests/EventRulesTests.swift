import CanonicalJSON
import Testing
@testable import CourtLog

@Suite("event rules: times, periods, catalog")
struct EventRulesTests {
    @Test func timesCarryTheirOffsetIntoUTCAndTheBeijingMonth() throws {
        let t = try EventTime(parsing: "2022-08-31T23:30:00+08:00")
        #expect(t.utcSeconds == 1_661_959_800)
        #expect(t.beijingMonth == 202208)
        // 16:30Z on the 31st is 00:30 on 1 September in UTC+08:00.
        #expect(try EventTime(parsing: "2022-08-31T16:30:00Z").beijingMonth == 202209)
        #expect(try EventTime(parsing: "2024-02-29T00:00:00-05:00").utcSeconds == 1_709_182_800)
    }

    @Test(arguments: ["2022-08-01T09:30:00", "2022-08-01 09:30:00+08:00", "2022-02-29T00:00:00Z", "2022-08-01T24:00:00Z",
                      "2022-08-01T09:30:00.5+08:00", "2022-08-01t09:30:00z", "2022-08-01T09:30:00+8:00"])
    func refusesTimesThatAreNotRFC3339WithOffset(text: String) {
        #expect(throws: EventError.self) { try EventTime(parsing: text) }
    }

    @Test func periodsParseAndCoverTheirMonths() throws {
        #expect(try Period(parsing: "2023-H1").monthRange == 202301...202306)
        #expect(try Period(parsing: "2022").lastDay == CivilDate(year: 2022, month: 12, day: 31))
        #expect(try Period(parsing: "2022-02").lastDay == CivilDate(year: 2022, month: 2, day: 28))
        #expect(try Period(parsing: "2023-01").previous == .month(year: 2022, month: 12))
        #expect(throws: EventError.self) { try Period(parsing: "2022-13") }
        #expect(throws: EventError.self) { try Period(parsing: "2022-H3") }
    }

    @Test func catalogRefusesUnknownMissingAndMistypedFields() throws {
        let c = EventCatalog.shipped
        // 15 usage types and system.used; 6 policy types with indicator.defined and indicator.retired; explanation.filed.
        #expect(c.types.count == 36)
        #expect(throws: EventError.self) { try c.validate(type: "system.used", data: ["case_no": "x"]) }
        #expect(throws: EventError.self) { try c.validate(type: "case.filed", data: ["case_no": "x", "channel": "online", "x": 1]) }
        #expect(throws: EventError.self) { try c.validate(type: "case.filed", data: ["case_no": "x"]) }
        #expect(throws: EventError.self) { try c.validate(type: "roster.set", data: ["headcount": -1]) }
        #expect(throws: EventError.self) { try c.validate(type: "staff.active", data: ["staff_id": "s", "app": "oa", "day": "2022-02-30"]) }
        try c.validate(type: "threshold.set", data: ["indicator": "online-petition", "effective": "2023-01-01", "document": "焦中法〔2023〕1号"])
    }

    @Test func projectionColumnsFollowTheDocumentedRule() throws {
        let review = ProjectionColumns(type: "file_review.decided", data: [
            "request_id": "r", "case_no": "c", "channel": "online", "decision": "approved",
            "submitted_at": "2022-08-01T09:00:00+08:00", "decided_at": "2022-08-02T10:00:00+08:00"])
        #expect(review == ProjectionColumns(subject: "c", channel: "online", ok: true, delaySeconds: 25 * 3600))
        let hearing = ProjectionColumns(type: "hearing.held", data: ["case_no": "c", "mode": "offline", "streamed": true])
        #expect(hearing == ProjectionColumns(subject: "c", channel: "offline", ok: true))
    }
}
