import Foundation
import Testing

@Suite("node import: the whole file is checked first, then written in whole batches")
struct ImportTests {
    func makeNode(_ s: Scratch) throws -> String {
        let dir = s.file("node")
        #expect(try CLI.run(["node", "init", "--dir", dir, "--court", "410811"]).status == 0)
        return dir
    }

    func filing(_ i: Int, channel: String = "online") -> String {
        #"{"type":"case.filed","at":"2022-09-01T08:00:00+08:00","dept":"case-filing","data":{"case_no":"(2022)豫0811民初\#(i)号","channel":"\#(channel)"}}"#
    }

    @Test func importingTheSameFileTwiceStoresEachEventOnce() throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = try makeNode(s)
        let file = try s.write("a.jsonl", (1...2500).map { filing($0) }.joined(separator: "\n"))
        let first = try CLI.run(["node", "import", "--dir", dir, file])
        #expect(first.status == 0 && first.stdout.contains("imported 2500 events (0 already recorded)"), "\(first.output)")
        let second = try CLI.run(["node", "import", "--dir", dir, file])
        #expect(second.status == 0 && second.stdout.contains("imported 0 events (2500 already recorded)"), "\(second.output)")
        // A longer version of the same file adds only the new records.
        let longer = try s.write("b.jsonl", (1...2600).map { filing($0) }.joined(separator: "\n"))
        #expect(try CLI.run(["node", "import", "--dir", dir, longer]).stdout.contains("imported 100 events (2500 already recorded)"))
        #expect(try headSeq(dir) == 2600)
        #expect(try CLI.run(["audit", "verify", "--dir", dir]).status == 0)
    }

    @Test(arguments: [
        (#"{"type":"case.filed","at":"2022-09-01T08:00:00+08:00","data":{"case_no":"x","channel":"online"},"extra":1}"#, "line 3: unknown field 'extra'"),
        (#"{"type":"case.filed","at":"2022-09-01T08:00:00+08:00","data":{"case_no":"x","channel":"online","n":1.5}}"#, "line 3: floating-point"),
        (#"{"type":"case.filed","at":"2022-09-01T08:00:00+08:00","data":{"case_no":"x"}}"#, "line 3: missing field 'channel'"),
        (#"{"type":"case.filed","at":"2022-09-31 08:00","data":{"case_no":"x","channel":"online"}}"#, "line 3: date '2022-09-31 08:00' is not a real date"),
        (#"{"type":"case.filed","at":"2022-09-01T08:00:00+08:00","dept":"no-such","data":{"case_no":"x","channel":"online"}}"#, "line 3: unknown department 'no-such'"),
        (#"{"type":"case.filed","at":"2022-09-01T08:00:00+08:00","data":{"case_no":"x","channel":"online"}"#, "line 3: not valid JSON"),
        (#"{"type":"case.filed","type":"fee.paid","at":"2022-09-01T08:00:00+08:00","data":{}}"#, "line 3: not valid JSON: duplicate member name"),
    ])
    func aBadLineNamesItsLineAndNothingIsWritten(bad: String, phrase: String) throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = try makeNode(s)
        let file = try s.write("bad.jsonl", [filing(1), filing(2), bad, filing(4)].joined(separator: "\n"))
        expectOneLineError(try CLI.run(["node", "import", "--dir", dir, file]), contains: phrase)
        #expect(try headSeq(dir) == 0)
    }

    @Test func anIdReusedWithDifferentContentInOneFileIsRefused() throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = try makeNode(s)
        let a = #"{"id":"k-1","type":"fee.paid","at":"2022-09-01T08:00:00+08:00","data":{"case_no":"x","channel":"online"}}"#
        let b = #"{"id":"k-1","type":"fee.paid","at":"2022-09-01T08:00:00+08:00","data":{"case_no":"x","channel":"offline"}}"#
        expectOneLineError(try CLI.run(["node", "import", "--dir", dir, try s.write("d.jsonl", a + "\n" + b)]), contains: "id 'k-1' is used by record 1 and record 2")
        #expect(try headSeq(dir) == 0)
    }

    @Test(arguments: [
        ("type,at,case_no\ncase.filed,2022-09-01T08:00:00+08:00,x\n", "line 2: missing field 'channel', which case.filed requires: the header has no 'channel' column"),
        ("at,case_no,channel\n2022-09-01T08:00:00+08:00,x,online\n", "line 1: the header has no 'type' column"),
        ("type,at,case_no,channel\ncase.filed,2022-09-01T08:00:00+08:00,x,online\ncase.filed,2022-09-01T08:00:00+08:00,y\n", "line 3: has 3 cells but the header has 4 columns"),
        ("type,at,case_no,channel\ncase.filed,2022-09-01T08:00:00+08:00,x,online\ncase.filed,2022-13-01T08:00:00+08:00,y,online\n", "line 3: time '2022-13-01T08:00:00+08:00'"),
        ("type,at,headcount\nroster.set,2022-09-01T08:00:00+08:00,3.5\n", "line 2: roster.set field 'headcount' is '3.5', a floating-point number"),
        ("type,at,case_no,channel\ncase.filed,2022-09-01T08:00:00+08:00,\"x,online\n", "line 2: a quoted cell is not closed"),
    ])
    func aBadCSVNamesTheLineAndWritesNothing(csv: String, phrase: String) throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = try makeNode(s)
        expectOneLineError(try CLI.run(["node", "import", "--dir", dir, try s.write("bad.csv", csv)]), contains: phrase)
        #expect(try headSeq(dir) == 0)
    }

    @Test func csvCellsMayBeQuotedAndHoldCommasAndChinese() throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = try makeNode(s)
        let csv = "type,at,dept,case_no,channel\r\ncase.filed,2022-09-01T08:00:00+08:00,立案庭,\"(2022)豫0811民初1号,附\"\"甲\"\"\",online\r\n"
        #expect(try CLI.run(["node", "import", "--dir", dir, try s.write("q.csv", csv)]).status == 0)
        let export = try CLI.run(["node", "export", "--dir", dir])
        #expect(export.stdout.contains(#""case_no":"(2022)豫0811民初1号,附\"甲\"""#))
        #expect(export.stdout.contains(#""dept":"case-filing""#))
    }

    // A JSON Lines file is read a window of 4,096 records at a time (issue 13: constant memory),
    // so these files are longer than two windows.

    @Test func aBadRecordInTheThirdWindowImportsNothing() throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = try makeNode(s)
        var lines = (1...9_000).map { filing($0) }
        lines[8_499] = #"{"type":"case.filed","at":"2022-09-01T08:00:00+08:00","data":{"case_no":"x","channel":"online"},"extra":1}"#
        expectOneLineError(try CLI.run(["node", "import", "--dir", dir, try s.write("big.jsonl", lines.joined(separator: "\n"))]),
                           contains: "line 8500: unknown field 'extra'")
        #expect(try headSeq(dir) == 0)
    }

    @Test func aFaultFoundOnlyWhileWritingLeavesTheLogAsItWas() throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = try makeNode(s)
        // A grassroots court may not write policy: the record is well formed, so the check that
        // refuses it runs inside the write, in the ninth chunk of 1,000.
        var lines = (1...9_000).map { filing($0) }
        lines[8_499] = #"{"type":"review_limit.set","at":"2022-09-01T08:00:00+08:00","data":{"indicator":"online-filing","hours":24,"effective":"2022-09-01","document":"x"}}"#
        let r = try CLI.run(["node", "import", "--dir", dir, "--batch", "1000", try s.write("policy.jsonl", lines.joined(separator: "\n"))])
        #expect(r.status != 0 && r.output.contains("nothing was imported"), "\(r.output)")
        #expect(try headSeq(dir) == 0)
    }

    @Test func idLessRecordsOfTheSameContentWindowsApartAreEachStoredOnce() throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = try makeNode(s)
        // Records 1 and 6,000 have the same content and no id: two events (occurrences 0 and 1).
        var lines = (1...9_000).map { filing($0) }
        lines[5_999] = filing(1)
        let file = try s.write("same.jsonl", lines.joined(separator: "\n"))
        let first = try CLI.run(["node", "import", "--dir", dir, file])
        #expect(first.stdout.contains("imported 9000 events (0 already recorded)"), "\(first.output)")
        let again = try CLI.run(["node", "import", "--dir", dir, file])
        #expect(again.stdout.contains("imported 0 events (9000 already recorded)"), "\(again.output)")
        #expect(try headSeq(dir) == 9_000)
        #expect(try CLI.run(["audit", "verify", "--dir", dir]).stdout.contains("ok: 9000 events"))
    }

    @Test func anIdReusedWindowsApartWithDifferentContentIsRefused() throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = try makeNode(s)
        var lines = (1...9_000).map { filing($0) }
        lines[1] = #"{"id":"k-1","type":"fee.paid","at":"2022-09-01T08:00:00+08:00","data":{"case_no":"x","channel":"online"}}"#
        lines[6_999] = #"{"id":"k-1","type":"fee.paid","at":"2022-09-01T08:00:00+08:00","data":{"case_no":"x","channel":"offline"}}"#
        expectOneLineError(try CLI.run(["node", "import", "--dir", dir, try s.write("k.jsonl", lines.joined(separator: "\n"))]),
                           contains: "id 'k-1' is used by record 2 and record 7000")
        #expect(try headSeq(dir) == 0)
    }
}
