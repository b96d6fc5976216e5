import Foundation
import OfficeFiles
import Testing

/// A CSV is read a window of 4,096 rows at a time (issue 13: constant memory), so these files are
/// longer than two windows; row r of the data is on line r + 1 (the header is line 1).
@Suite("node import of a CSV longer than a window: checked whole, stored in one transaction")
struct CSVImportTests {
    func makeNode(_ s: Scratch) throws -> String {
        let dir = s.file("node")
        #expect(try CLI.run(["node", "init", "--dir", dir, "--court", "410811"]).status == 0)
        return dir
    }

    func row(_ i: Int) -> String { "case.filed,2022-09-01 08:00,\"(2022)豫0811民初\(i)号,附\"\"甲\"\"\",网上" }

    @Test func aBadRowInTheThirdWindowImportsNothingAndAGoodFileImportsOnce() throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = try makeNode(s)
        var rows = (1...9_000).map(row)
        let good = try s.write("good.csv", "type,at,case_no,channel\r\n" + rows.joined(separator: "\r\n") + "\r\n")
        rows[8_499] = "case.filed,2022-13-01 08:00,x,online"
        let bad = try s.write("bad.csv", "type,at,case_no,channel\r\n" + rows.joined(separator: "\r\n") + "\r\n")
        expectOneLineError(try CLI.run(["node", "import", "--dir", dir, bad]), contains: "line 8501: date '2022-13-01 08:00' is not a real date")
        #expect(try headSeq(dir) == 0)
        let first = try CLI.run(["node", "import", "--dir", dir, good])
        #expect(first.status == 0 && first.stdout.contains("imported 9000 events (0 already recorded)"), "\(first.output)")
        let again = try CLI.run(["node", "import", "--dir", dir, good])
        #expect(again.stdout.contains("imported 0 events (9000 already recorded)"), "\(again.output)")
        #expect(try CLI.run(["audit", "verify", "--dir", dir]).stdout.contains("ok: 9000 events"))
    }

    @Test func aGBKFileGivenAsUTF8IsRefusedAtItsLineAndWritesNothing() throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = try makeNode(s)
        let text = "type,at,case_no,channel\n" + (1...5).map { "case.filed,2022-09-01 08:00,x\($0),online\n" }.joined()
            + "case.filed,2022-09-01 08:00,豫0811民初1号,线下\n"
        let file = s.file("gbk.csv")
        try Data(TextEncoding.gb18030.encode(text)!).write(to: URL(fileURLWithPath: file))
        expectOneLineError(try CLI.run(["node", "import", "--dir", dir, "--encoding", "utf-8", file]),
                           contains: "line 7: it is not valid utf-8 text: give the encoding it was saved in")
        #expect(try headSeq(dir) == 0)
        #expect(try CLI.run(["node", "import", "--dir", dir, file]).stdout.contains("imported 6 events"))
    }
}
