import CourtLog
import Foundation
import OfficeFiles
import Testing
@testable import NodeStore

@Suite(".xlsx import streamed a row at a time (issue 13): the same records as the same rows as CSV")
struct SheetRecordsTests {
    func write(_ bytes: [UInt8], _ ext: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sheet-\(UUID().uuidString).\(ext)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Every draft `node import` would store, checked first, then handed over 1,000 at a time.
    func drafts(_ source: any ImportRecords) throws -> [EventDraft] {
        let records = RecordImport(source)
        try records.check()
        let next = try records.drafts(chunk: 1000)
        var out: [EventDraft] = []
        while let chunk = try next() { out += chunk }
        return out
    }

    /// `count` rows of three types, Chinese labels and departments; every 1,000th row has no id
    /// and one same content (derived ids counted by occurrence).
    static func rows(_ count: Int) -> [[String]] {
        var rows = [["id", "type", "at", "dept", "case_no", "channel", "mode", "streamed", "qualified"]]
        for i in 0..<count {
            let at = "2022-08-\(String(format: "%02d", 1 + i / 600 % 28)) \(8 + i / 60 % 10):\(String(format: "%02d", i % 60))"
            let caseNo = "(2022)豫0802民初\(i)号"
            if i % 1000 == 999 {
                rows.append(["", "case.filed", "2022-08-01 08:00", "立案庭", "(2022)豫0802民初0号", "网上", "", "", ""])
                continue
            }
            let id = "r-\(i)"
            switch i % 3 {
            case 0: rows.append([id, "case.filed", at, "立案庭", caseNo, i % 2 == 0 ? "网上" : "offline", "", "", ""])
            case 1: rows.append([id, "hearing.held", at, "", caseNo, "", i % 2 == 0 ? "线上" : "线下", i % 5 == 0 ? "是" : "false", ""])
            default: rows.append([id, "dossier.checked", at, "", caseNo, "", "", "", i % 7 == 0 ? "否" : "true"])
            }
        }
        return rows
    }

    /// 40,000 rows (about ten windows; a debug build reads them in minutes on a loaded machine):
    /// `bench streams` imports 200,000 both ways and compares the heads.
    @Test func aLargeWorkbookGivesTheSameDraftsAsTheSameRowsAsCSV() throws {
        let rows = Self.rows(40_000)
        let csv = try write(Array(rows.map { $0.joined(separator: ",") }.joined(separator: "\r\n").utf8), "csv")
        let xlsx = try write(Spreadsheet.xlsx(sheetName: "records", rows: rows), "xlsx")
        defer { for p in [csv, xlsx] { try? FileManager.default.removeItem(atPath: p) } }
        let fromCSV = try drafts(try CSVRecords(path: csv, reader: EventRecordReader()))
        let fromSheet = try drafts(try SheetRecords(path: xlsx, reader: EventRecordReader()))
        #expect(fromCSV.count == 40_000)
        // Equal drafts, in order, chain to the same hashes under the same key: the same head.
        #expect(fromSheet == fromCSV)
        // By hand: i = 999 (no id) is the first of 40 rows of one content (i = 999, 1999, …,
        // 39,999), so it gets occurrence 0 and i = 39,999 occurrence 39.
        #expect(fromSheet[999].id.hasPrefix("h:") && fromSheet[999].id.hasSuffix(":0"))
        #expect(fromSheet[39_999].id == String(fromSheet[999].id.dropLast(2)) + ":39")
        #expect(fromSheet[0].id == "r-0" && fromSheet[0].dept == "case-filing" && fromSheet[0].data["channel"] == .string("online"))
    }

    /// The next 4,096 rows are read on another thread while a window is converted: a bad row
    /// in the third window is still named by its own row, and the windows before it are whole.
    @Test func aBadRowInAWindowReadAheadIsNamedByItsRow() throws {
        var rows = Self.rows(9_000)
        // Record i = 8,499 (8,499 % 3 == 0: case.filed, with a channel) is row 8,501 of the
        // sheet: the header is row 1, record i is row i + 2.
        rows[8_500][5] = "传真"
        let xlsx = try write(Spreadsheet.xlsx(sheetName: "records", rows: rows), "xlsx")
        defer { try? FileManager.default.removeItem(atPath: xlsx) }
        let source = try SheetRecords(path: xlsx, reader: EventRecordReader())
        var seen = 0, bad: [Int] = []
        while let window = try source.nextWindow() {
            seen += window.count
            for (line, record) in window { if case .failure = record { bad.append(line) } }
        }
        #expect(seen == 9_000 && bad == [8_501])
        #expect { try drafts(source) } throws: { error in
            guard let e = error as? EventError else { return false }
            return e.line == 8_501 && e.reason.contains("channel '传真' must be online or offline")
        }
    }

    @Test func aBadRowIsNamedByItsRowInTheSheetAndABlankRowIsLeftOut() throws {
        let rows = [["type", "at", "case_no", "channel"], ["case.filed", "2022-08-01 09:30", "x1", "网上"], [],
                    ["case.filed", "2022-08-01 09:30", "x2", "传真"]]
        let xlsx = try write(Spreadsheet.xlsx(sheetName: "s", rows: rows), "xlsx")
        defer { try? FileManager.default.removeItem(atPath: xlsx) }
        // Row 4 of the sheet (row 3 is blank).
        #expect { try drafts(try SheetRecords(path: xlsx, reader: EventRecordReader(), chunkSize: 16)) } throws: { error in
            guard let e = error as? EventError else { return false }
            return e.line == 4 && e.reason.contains("channel '传真' must be online or offline")
        }
        let empty = try write(Spreadsheet.xlsx(sheetName: "s", rows: [[], []]), "xlsx")
        defer { try? FileManager.default.removeItem(atPath: empty) }
        #expect { try drafts(try SheetRecords(path: empty, reader: EventRecordReader())) } throws: {
            ($0 as? EventError)?.reason.contains("the sheet is empty: it needs a header row") == true
        }
    }
}
