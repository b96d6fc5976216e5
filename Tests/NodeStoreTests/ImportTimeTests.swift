import CourtLog
import Testing
@testable import NodeStore

@Suite("import times: office forms read as RFC 3339 in 北京时间")
struct ImportTimeTests {
    @Test(arguments: [
        ("2022-08-01T09:30:00+08:00", "2022-08-01T09:30:00+08:00"),
        ("2022-08-01T01:30:00Z", "2022-08-01T01:30:00Z"),
        ("2022-08-01 09:30", "2022-08-01T09:30:00+08:00"),
        ("2022-08-01 09:30:05", "2022-08-01T09:30:05+08:00"),
        ("2022-08-01T09:30", "2022-08-01T09:30:00+08:00"),
        ("2022-08-01T09:30:00", "2022-08-01T09:30:00+08:00"),
        ("2022/8/1", "2022-08-01T00:00:00+08:00"),
        ("2022/8/1 9:30", "2022-08-01T09:30:00+08:00"),
        ("2022年8月1日 9:30", "2022-08-01T09:30:00+08:00"),
        ("2022-08-01", "2022-08-01T00:00:00+08:00"),
        (" 2022-08-01 09:30 ", "2022-08-01T09:30:00+08:00"),
        ("2022-08-01 09:30+07:00", "2022-08-01T09:30:00+07:00"),
        ("44774.395833333336", "2022-08-01T09:30:00+08:00"),
        ("44774", "2022-08-01T00:00:00+08:00"),
    ])
    func acceptedFormsBecomeTheSignedForm(input: String, expected: String) throws {
        #expect(try ImportTime.normalize(input) == expected)
        // What is produced is what the protocol accepts.
        _ = try EventTime(parsing: expected)
    }

    @Test(arguments: [
        ("2022-02-30", "not a real date"),
        ("2022-08-01 24:00", "not a real time of day"),
        ("Aug 1 2022", "is not understood: write it as 2022-08-01T09:30:00+08:00"),
        ("2022-8", "is not understood"),
        ("2022-08-01 9", "is not understood"),
        ("", "is not understood"),
    ])
    func otherFormsAreRefusedWithTheFormsThatAreAccepted(input: String, phrase: String) {
        do {
            _ = try ImportTime.normalize(input)
            Issue.record("'\(input)' was accepted")
        } catch {
            #expect(error.reason.contains(phrase), "\(error.reason)")
        }
    }

    @Test func datesAcceptTheSameForms() throws {
        #expect(try ImportTime.normalizeDate("2022/8/1") == "2022-08-01")
        #expect(try ImportTime.normalizeDate("2022年8月1日") == "2022-08-01")
        #expect(throws: EventError.self) { try ImportTime.normalizeDate("2022/2/30") }
    }
}
