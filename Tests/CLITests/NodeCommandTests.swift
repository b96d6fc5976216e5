import Foundation
import Testing

@Suite("node and audit commands, as an operator runs them")
struct NodeCommandTests {
    let appendArgs = ["--type", "case.filed", "--dept", "立案庭", "--at", "2022-08-01T09:30:00+08:00", "case_no=(2022)豫0802民初1号", "channel=online"]

    func makeNode(_ s: Scratch, court: String = "410802", name: String = "node") throws -> String {
        let dir = s.file(name)
        let r = try CLI.run(["node", "init", "--dir", dir, "--court", court])
        #expect(r.status == 0, "init failed: \(r.output)")
        return dir
    }

    @Test func initPrintsCourtKeyAndFingerprintAndKeepsTheKeyPrivate() throws {
        let s = try Scratch(); defer { s.remove() }
        let r = try CLI.run(["node", "init", "--dir", s.file("n"), "--court", "解放区人民法院"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("410802 解放区人民法院"))
        #expect(r.stdout.range(of: "public key   [0-9a-f]{64}", options: .regularExpression) != nil)
        #expect(r.stdout.range(of: "fingerprint  [0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}", options: .regularExpression) != nil)
        let attributes = try FileManager.default.attributesOfItem(atPath: s.file("n/node.key"))
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test func initRefusesAnUnknownCourtAndAnExistingNode() throws {
        let s = try Scratch(); defer { s.remove() }
        expectOneLineError(try CLI.run(["node", "init", "--dir", s.file("x"), "--court", "410899"]), contains: "unknown court '410899'")
        #expect(!FileManager.default.fileExists(atPath: s.file("x/node.key")))
        let dir = try makeNode(s)
        let key = try publicKey(dir)
        expectOneLineError(try CLI.run(["node", "init", "--dir", dir, "--court", "410802"]), contains: "already holds a node")
        #expect(try publicKey(dir) == key)
    }

    @Test func appendIsIdempotentForTheSameContentAndRefusesDifferentContent() throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = try makeNode(s)
        let first = try CLI.run(["node", "append", "--dir", dir, "--id", "f-1"] + appendArgs)
        #expect(first.status == 0 && first.stdout.contains("appended seq 1"))
        let again = try CLI.run(["node", "append", "--dir", dir, "--id", "f-1"] + appendArgs)
        #expect(again.status == 0 && again.stdout.contains("already recorded as seq 1"))
        var changed = appendArgs
        changed[changed.count - 1] = "channel=offline"
        expectOneLineError(try CLI.run(["node", "append", "--dir", dir, "--id", "f-1"] + changed), contains: "already recorded (seq 1) with different content")
        #expect(try headSeq(dir) == 1)
    }

    @Test(arguments: [
        (["--type", "case.filx", "--at", "2022-08-01T09:30:00+08:00", "case_no=a", "channel=online"], "unknown event type 'case.filx'"),
        (["--type", "case.filed", "--at", "2022-08-01T09:30:00+08:00", "case_no=a", "channel=online", "judge=x"], "unknown field 'judge'"),
        (["--type", "case.filed", "--at", "2022-08-01T09:30:00+08:00", "case_no=a"], "missing field 'channel'"),
        (["--type", "hearing.held", "--at", "2022-08-01T09:30:00+08:00", "case_no=a", "mode=online", "streamed=maybe"], "streamed 'maybe' must be true or false (or 是, 否)"),
        (["--type", "case.filed", "--at", "2022-08-01T09:30:00+08:00", "case_no=a", "channel=fax"], "channel 'fax' must be online or offline (or 在线, 线上, 网上, 现场, 窗口, 线下)"),
        (["--type", "roster.set", "--at", "2022-08-01T09:30:00+08:00", "headcount=12.5"], "floating-point"),
        (["--type", "case.filed", "--at", "2099-08-01 09:30", "case_no=a", "channel=online"], "at '2099-08-01 09:30' is in the future"),
        (["--type", "case.filed", "--at", "2022-08-01 9h30", "case_no=a", "channel=online"], "write it as 2022-08-01T09:30:00+08:00, 2022-08-01 09:30[:00]"),
        (["--type", "case.filed", "--at", "2022-02-30T09:30:00+08:00", "case_no=a", "channel=online"], "not a real date"),
        (["--type", "case.filed", "--dept", "立按庭", "--at", "2022-08-01T09:30:00+08:00", "case_no=a", "channel=online"], "did you mean 立案庭"),
        (["--type", "threshold.set", "--at", "2022-08-01T09:30:00+08:00", "indicator=online-filing", "per_10k=9000", "effective=2022-09-01", "document=x"], "only 410800"),
        (["--type", "case.filed", "--id", "bad id", "--at", "2022-08-01T09:30:00+08:00", "case_no=a", "channel=online"], "id 'bad id' is not valid"),
    ])
    func appendRefusesBadInputAndWritesNothing(arguments: [String], phrase: String) throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = try makeNode(s)
        expectOneLineError(try CLI.run(["node", "append", "--dir", dir] + arguments), contains: phrase)
        #expect(try headSeq(dir) == 0)
    }

    @Test func aTimeWithoutOffsetIsBeijingTimeAndALabelIsTheCanonicalValue() throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = try makeNode(s)
        let r = try CLI.run(["node", "append", "--dir", dir, "--type", "case.filed", "--at", "2022-08-01T09:30:00", "case_no=a", "channel=网上"])
        #expect(r.status == 0, "\(r.output)")
        let log = try CLI.run(["node", "export", "--dir", dir])
        #expect(log.stdout.contains(#""at":"2022-08-01T09:30:00+08:00""#) && log.stdout.contains(#""channel":"online""#), "\(log.stdout)")
    }

    @Test func commandsOnADirectoryThatIsNotANodeSaySo() throws {
        let s = try Scratch(); defer { s.remove() }
        expectOneLineError(try CLI.run(["node", "append", "--dir", s.path] + appendArgs), contains: "is not a CourtSync node")
        expectOneLineError(try CLI.run(["node", "status", "--dir", s.file("missing")]), contains: "does not exist")
        #expect(!FileManager.default.fileExists(atPath: s.file("log.sqlite")))
    }

    @Test func exportVerifiesAndEveryKindOfDamageIsFoundAtItsSeq() throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = try makeNode(s)
        var lines: [String] = []
        for i in 1...5 {
            lines.append(#"{"type":"service.delivered","at":"2022-08-0\#(i)T10:00:00+08:00","dept":"civil-1","data":{"case_no":"(2022)豫0802民初\#(i)号","method":"electronic"}}"#)
        }
        let file = try s.write("in.jsonl", lines.joined(separator: "\n") + "\n")
        #expect(try CLI.run(["node", "import", "--dir", dir, file]).status == 0)
        let key = try publicKey(dir)
        let export = try CLI.run(["node", "export", "--dir", dir])
        let good = export.stdout.split(separator: "\n").map(String.init)
        #expect(good.count == 5)
        func verify(_ l: [String]) throws -> CLI.Result {
            let path = try s.write("e.jsonl", l.joined(separator: "\n") + "\n")
            return try CLI.run(["audit", "verify", "--public-key", key, path])
        }
        let ok = try verify(good)
        #expect(ok.status == 0 && ok.stdout.contains("ok: 5 events"))

        // Truncated: the last line cut mid-JSON.
        var cut = good; cut[4] = String(cut[4].prefix(40))
        let truncated = try verify(cut)
        #expect(truncated.status == 1 && truncated.stdout.contains("line 5") && truncated.stdout.contains("not valid JSON"))
        // Reordered.
        var swapped = good; swapped.swapAt(1, 2)
        let reordered = try verify(swapped)
        #expect(reordered.status == 1 && reordered.stdout.contains("seq 3: expected seq 2"))
        // A line dropped from the middle.
        var dropped = good; dropped.remove(at: 2)
        #expect(try verify(dropped).stdout.contains("seq 4: expected seq 3"))
        // Data changed, hash kept.
        var tampered = good; tampered[3] = tampered[3].replacingOccurrences(of: "electronic", with: "postal")
        #expect(try verify(tampered).stdout.contains("seq 4: hash mismatch"))
        // One signature byte flipped.
        var forged = good
        let sigRange = forged[2].range(of: #""sig":""#)!
        var chars = Array(forged[2]); let at = forged[2].distance(from: forged[2].startIndex, to: sigRange.upperBound)
        chars[at] = chars[at] == "0" ? "1" : "0"; forged[2] = String(chars)
        #expect(try verify(forged).stdout.contains("seq 3: bad signature"))
        // Verified under another court's key.
        let other = try makeNode(s, court: "410803", name: "other")
        let wrongKey = try CLI.run(["audit", "verify", "--public-key", try publicKey(other), try s.write("g.jsonl", good.joined(separator: "\n") + "\n")])
        #expect(wrongKey.status == 1 && wrongKey.stdout.contains("seq 1: bad signature"))
        // Claimed as another court's log.
        let claimed = try CLI.run(["audit", "verify", "--court", "410803", "--public-key", key, s.file("g.jsonl")])
        #expect(claimed.status == 1 && claimed.stdout.contains("node 410802 in a log expected to be node 410803"))
        // No key known.
        expectOneLineError(try CLI.run(["audit", "verify", "--registry", s.path, s.file("g.jsonl")]), contains: "no enrolled public key for court 410802")
    }

    @Test func exportOfAnotherCourtSignedByItsOwnKeyIsRefusedUnderTheEnrolledKey() throws {
        let s = try Scratch(); defer { s.remove() }
        let real = try makeNode(s, court: "410802", name: "real")
        // A node that pretends to be 410802 with its own key: same court, different key.
        let impostor = try makeNode(s, court: "410802", name: "impostor")
        #expect(try CLI.run(["node", "append", "--dir", impostor] + appendArgs).status == 0)
        let export = try CLI.run(["node", "export", "--dir", impostor, "--out", s.file("imp.jsonl")])
        #expect(export.status == 0)
        let r = try CLI.run(["audit", "verify", "--public-key", try publicKey(real), s.file("imp.jsonl")])
        #expect(r.status == 1 && r.stdout.contains("bad signature"))
    }

    @Test func statusCountsByType() throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = try makeNode(s)
        let csv = """
            type,at,dept,case_no,channel,method
            case.filed,2022-08-01T09:00:00+08:00,立案庭,(2022)豫0802民初1号,online,
            case.filed,2022-08-01T10:00:00+08:00,case-filing,(2022)豫0802民初2号,offline,
            service.delivered,2022-08-02T10:00:00+08:00,,(2022)豫0802民初1号,,electronic

            """
        let r = try CLI.run(["node", "import", "--dir", dir, try s.write("in.csv", csv)])
        #expect(r.status == 0, "\(r.output)")
        let status = try CLI.run(["node", "status", "--dir", dir, "--format", "json"])
        let json = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        #expect(json?["seq"] as? Int == 3)
        #expect((json?["counts"] as? [String: Int]) == ["case.filed": 2, "service.delivered": 1])
        #expect((json?["court"] as? String) == "410802")
    }
}
