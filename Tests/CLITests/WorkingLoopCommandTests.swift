import Foundation
import OfficeFiles
import Testing
import CourtLog

/// Issue 11 through the command line: a grassroots court raises a problem, 410800 answers,
/// escalates and reviews explanations; the queries show what is overdue and who stands out, and a
/// replay from zero gives the same loop.
@Suite("the working loop, end to end")
struct WorkingLoopCommandTests {
    func append(_ dir: String, _ type: String, _ at: String, _ fields: [String]) throws -> CLI.Result {
        try CLI.run(["node", "append", "--dir", dir, "--type", type, "--at", at] + fields)
    }

    @Test func suggestionsAndReviewsAtTheHubAreQueriedRefusedWhenWrongAndReplayed() throws {
        let s = try Scratch(); defer { s.remove() }
        let hub = s.file("hub"), jiefang = s.file("jiefang")
        #expect(try CLI.run(["hub", "init", "--dir", hub, "--port", "18451"]).status == 0)
        #expect(try CLI.run(["node", "init", "--dir", jiefang, "--court", "410802"]).status == 0)
        // 410802 raises a problem about 网上开庭 and misses online-filing in September (0 of 1 online).
        let raised = try append(jiefang, "suggestion.raised", "2023-01-03T10:00:00+08:00",
                                ["unit=410802", "suggestion=2023-01", "kind=problem", "system=online-hearing", "text=庭审平台掉线", "contact=张三"])
        #expect(raised.status == 0, "\(raised.output)")
        #expect(try append(jiefang, "case.filed", "2022-09-05T09:00:00+08:00", ["case_no=(2022)豫0802民初1号", "channel=offline"]).status == 0)
        #expect(try append(jiefang, "explanation.filed", "2022-10-20T09:00:00+08:00",
                           ["unit=410802", "indicator=online-filing", "period=2022-09", "text=线路故障", "head=王庭长"]).status == 0)
        // Wrong inputs: another court's name, a misspelt system; nothing is appended.
        let head = try headSeq(jiefang)
        expectOneLineError(try append(jiefang, "suggestion.raised", "2023-01-04T10:00:00+08:00",
                                      ["unit=410803", "suggestion=x", "kind=problem", "text=t"]), contains: "own name")
        expectOneLineError(try append(jiefang, "suggestion.raised", "2023-01-04T10:00:00+08:00",
                                      ["unit=410802", "suggestion=x", "kind=problem", "system=online-hearng", "text=t"]), contains: "online-hearing")
        expectOneLineError(try append(jiefang, "suggestion.answered", "2023-01-04T10:00:00+08:00",
                                      ["suggestion=410802/2023-01", "by=tech", "text=t"]), contains: "policy")
        #expect(try headSeq(jiefang) == head)
        // The hub receives 410802's log and sets the limits.
        let out = s.file("802.jsonl")
        #expect(try CLI.run(["node", "export", "--dir", jiefang, "--out", out]).status == 0)
        let recv = try CLI.run(["node", "receive", "--dir", hub, "--public-key", try publicKey(jiefang), out])
        #expect(recv.status == 0, "\(recv.output)")
        #expect(try append(hub, "loop_limit.set", "2023-01-01T09:00:00+08:00",
                           ["limit=suggestion-answer", "days=10", "effective=2023-01-01", "document=焦中法〔2023〕2号"]).status == 0)
        #expect(try append(hub, "loop_limit.set", "2022-10-01T09:00:00+08:00",
                           ["limit=explanation", "days=7", "effective=2022-10-01", "document=焦中法〔2022〕99号"]).status == 0)
        #expect(try append(hub, "bulletin.issued", "2022-10-10T09:00:00+08:00",
                           ["period=2022-09", "number=焦中法技〔2022〕9号", "issued=2022-10-10", "digest=\(String(repeating: "0", count: 64))", "as_of=2022-10-09T18:00:00+08:00"]).status == 0)
        expectOneLineError(try append(hub, "explanation.reviewed", "2022-10-21T09:00:00+08:00",
                                      ["unit=410802", "indicator=online-filing", "period=2022-09", "decision=returned"]), contains: "reason")
        #expect(try append(hub, "explanation.reviewed", "2022-10-21T09:00:00+08:00",
                           ["unit=410802", "indicator=online-filing", "period=2022-09", "decision=returned", "reason=未说明整改时限"]).status == 0)

        // Routed to 审管办 (online-hearing's lead); 2023-01-14 is 11 days after raising → overdue.
        let q = try CLI.run(["query", "suggestions", "--dir", hub, "--on", "2023-01-14", "--format", "json"])
        #expect(q.status == 0, "\(q.output)")
        let items = try #require(try JSONSerialization.jsonObject(with: Data(q.stdout.utf8)) as? [[String: Any]])
        let item = try #require(items.first)
        #expect(item["ref"] as? String == "410802/2023-01" && item["routed_to"] as? String == "trial-management", "\(item)")
        #expect(item["age_days"] as? Int == 11 && item["overdue"] as? Bool == true, "\(item)")
        let table = try CLI.run(["query", "suggestions", "--dir", hub, "--on", "2023-01-13"])
        #expect(table.stdout.contains("审判管理办公室") || table.stdout.contains("审管办"), "\(table.output)")
        #expect(table.stdout.contains("1 open, oldest 10 days, 0 overdue"), "\(table.output)")
        expectOneLineError(try CLI.run(["query", "suggestions", "--dir", hub, "--on", "2023-13-01"]), contains: "2023-13-01")
        expectOneLineError(try CLI.run(["query", "suggestions", "--dir", hub, "--dept", "nobody"]), contains: "nobody")

        // The explanation was filed 10-20, after the 10-17 deadline, and returned: it stands out.
        let acc = try CLI.run(["query", "accountability", "--dir", hub, "--period", "2022-09", "--on", "2022-10-25", "--format", "json"])
        #expect(acc.status == 0, "\(acc.output)")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(acc.stdout.utf8)) as? [[String: Any]])
        let e = try #require(entries.first { $0["unit"] as? String == "410802" && $0["indicator"] as? String == "online-filing" })
        #expect(e["review"] as? String == "returned, not answered" && e["late"] as? Bool == true && e["stands_out"] as? Bool == true, "\(e)")
        #expect(e["deadline"] as? String == "2022-10-17" && e["head"] as? String == "王庭长" && e["returned_reason"] as? String == "未说明整改时限", "\(e)")

        // Answering ends the clock; the replay from zero gives the same projections.
        #expect(try append(hub, "suggestion.answered", "2023-01-15T09:00:00+08:00",
                           ["suggestion=410802/2023-01", "by=trial-management", "text=已升级移动端"]).status == 0)
        let after = try CLI.run(["query", "suggestions", "--dir", hub, "--on", "2023-02-01"])
        #expect(after.stdout.contains("已答复") && !after.stdout.contains("逾期 overdue"), "\(after.output)")
        let replay = try CLI.run(["audit", "replay", "--dir", hub])
        #expect(replay.status == 0 && replay.stdout.contains("(identical)"), "\(replay.output)")
    }

    @Test func aBulletinIsIssuedBoundByDigestReproducedAndReissuedWithItsChanges() throws {
        let s = try Scratch(); defer { s.remove() }
        let hub = s.file("hub")
        #expect(try CLI.run(["hub", "init", "--dir", hub, "--port", "18452"]).status == 0)
        // The intermediate court's own filings in September: 1 online of 2.
        #expect(try append(hub, "case.filed", "2022-09-05T09:00:00+08:00", ["case_no=(2022)豫08民初1号", "channel=online"]).status == 0)
        #expect(try append(hub, "case.filed", "2022-09-06T09:00:00+08:00", ["case_no=(2022)豫08民初2号", "channel=offline"]).status == 0)
        let head = try headSeq(hub)
        let issue = ["report", "monthly", "2022-09", "--dir", hub, "--issue", "焦中法技〔2022〕9号", "--issued", "2022-10-10"]
        expectOneLineError(try CLI.run(issue), contains: "--approved-by")
        expectOneLineError(try CLI.run(issue + ["--approved-by", "office", "--out", s.file("b.html")]), contains: ".md")
        #expect(try headSeq(hub) == head)
        let md = s.file("b.md")
        let r = try CLI.run(issue + ["--approved-by", "双周例会 2022-10-07", "--out", md])
        #expect(r.status == 0 && r.stdout.contains("issued 2022年9月月通报 焦中法技〔2022〕9号"), "\(r.output)")
        let written = String(decoding: try #require(FileManager.default.contents(atPath: md)), as: UTF8.self)
        #expect(written.contains("焦中法技〔2022〕9号"), "the issued document carries its 文号")
        // Anyone with the log reproduces the digest: the bound text (figures and words, without
        // 文号, date, data note and appendix) as of the bound record time, hashed with SHA-256.
        let asOf = try #require(r.stdout.components(separatedBy: "figures as of ").last?.components(separatedBy: ",").first)
        let again = try CLI.run(["report", "monthly", "2022-09", "--dir", hub, "--as-of", asOf, "--bound"])
        #expect(again.status == 0 && !again.stdout.contains("焦中法技〔2022〕9号") && !again.stdout.contains("数据复核"), "\(again.output)")
        let digest = EventHash(ofCanonicalBody: Array(again.stdout.utf8)).hex
        #expect(r.stdout.contains("digest \(digest)"), "\(r.output)")
        // The figures of the issued document are the bound ones.
        #expect(written.contains(again.stdout.components(separatedBy: "## 一、总体情况").last!.components(separatedBy: "## 四、").first!))
        // A reissue must say why, under a new 文号; it shows what changed against the first issue.
        expectOneLineError(try CLI.run(issue.map { $0 == "焦中法技〔2022〕9号" ? "焦中法技〔2022〕12号" : $0 } + ["--approved-by", "office"]), contains: "--reason")
        #expect(try append(hub, "case.filed", "2022-09-07T09:00:00+08:00", ["case_no=(2022)豫08民初3号", "channel=online"]).status == 0)
        let re = try CLI.run(["report", "monthly", "2022-09", "--dir", hub, "--issue", "焦中法技〔2022〕12号", "--issued", "2022-10-30",
                              "--approved-by", "office", "--reason", "迟到数据更正"])
        #expect(re.status == 0 && re.stdout.contains("reissue of 焦中法技〔2022〕9号 (reproduced, digest matches)"), "\(re.output)")
        #expect(re.stdout.contains("\n- ") && re.stdout.contains("\n+ "), "\(re.output)")
        let replay = try CLI.run(["audit", "replay", "--dir", hub])
        #expect(replay.status == 0 && replay.stdout.contains("(identical)"), "\(replay.output)")
    }

    @Test func theAgendaIsBuiltFromTheRecordAndMinutesApproveADraft() throws {
        let s = try Scratch(); defer { s.remove() }
        let hub = s.file("hub")
        #expect(try CLI.run(["hub", "init", "--dir", hub, "--port", "18453"]).status == 0)
        // September at 410800: 0 of 1 online → online-filing missed; a problem raised by 民一庭.
        #expect(try append(hub, "case.filed", "2022-09-05T09:00:00+08:00", ["--dept", "case-filing", "case_no=(2022)豫08民初1号", "channel=offline"]).status == 0)
        #expect(try append(hub, "suggestion.raised", "2022-09-20T09:00:00+08:00",
                           ["unit=civil-1", "suggestion=S-1", "kind=problem", "text=送达平台卡顿"]).status == 0)
        #expect(try append(hub, "threshold.set", "2022-09-28T09:00:00+08:00",
                           ["indicator=online-hearing", "per_10k=4000", "effective=2022-10-01", "document=豫高法〔2022〕50号"]).status == 0)
        let thresholdSeq = try headSeq(hub)
        // Meetings fall every 14 days from 2022-07-28: …, 09-22, 10-06, 10-20. From 10-01 the next is 10-06.
        let agenda = try CLI.run(["meeting", "agenda", "--dir", hub, "--on", "2022-10-01"])
        #expect(agenda.status == 0, "\(agenda.output)")
        #expect(agenda.stdout.contains("双周例会议程（2022-10-06）"), "\(agenda.stdout)")
        #expect(agenda.stdout.contains("civil-1/S-1") && agenda.stdout.contains("| 2022-09 | 待审议 |"), "\(agenda.stdout)")
        #expect(agenda.stdout.contains("| \(thresholdSeq) | threshold.set |"), "\(agenda.stdout)")
        #expect(agenda.stdout.contains("网上立案率"), "\(agenda.stdout)")
        let html = try CLI.run(["meeting", "agenda", "--dir", hub, "--on", "2022-10-01", "--format", "html"])
        #expect(html.status == 0 && html.stdout.hasPrefix("<!DOCTYPE html>") && html.stdout.contains("<td>civil-1/S-1</td>"), "\(html.output)")
        // Wrong inputs refused in one line, nothing appended.
        let head = try headSeq(hub)
        expectOneLineError(try CLI.run(["meeting", "minutes", "--dir", hub, "--date", "2022-10-05", "--attendee", "技术处", "--text", "t"]), contains: "2022-10-06")
        expectOneLineError(try CLI.run(["meeting", "minutes", "--dir", hub, "--date", "2022-10-06", "--text", "t"]), contains: "--attendee")
        expectOneLineError(try CLI.run(["meeting", "minutes", "--dir", hub, "--date", "2022-10-06", "--attendee", "技术处", "--text", "t",
                                        "--approve", "bulletin:2022-13"]), contains: "2022-13")
        expectOneLineError(try CLI.run(["meeting", "minutes", "--dir", hub, "--date", "2022-10-06", "--attendee", "技术处", "--text", "t",
                                        "--approve", "policy:999"]), contains: "999")
        expectOneLineError(try CLI.run(["meeting", "agenda", "--dir", hub, "--format", "pdf"]), contains: "md, html or docx")
        expectOneLineError(try CLI.run(["meeting", "agenda", "--dir", hub, "--format", "docx"]), contains: "--out FILE.docx")
        #expect(try headSeq(hub) == head)
        let minutes = try CLI.run(["meeting", "minutes", "--dir", hub, "--date", "2022-10-06", "--attendee", "技术处", "--attendee", "立案庭",
                                   "--text", "审议9月通报草稿", "--approve", "bulletin:2022-09", "--approve", "policy:\(thresholdSeq)"])
        #expect(minutes.status == 0, "\(minutes.output)")
        // The next agenda (10-20) looks from 10-06: the draft is approved, the change too.
        let next = try CLI.run(["meeting", "agenda", "--dir", hub, "--on", "2022-10-07"])
        #expect(next.stdout.contains("双周例会议程（2022-10-20）") && next.stdout.contains("自上次例会 2022-10-06 以来"), "\(next.stdout)")
        #expect(next.stdout.contains("| 2022-09 | 已于 2022-10-06 例会审议通过，待印发 |"), "\(next.stdout)")
        let replay = try CLI.run(["audit", "replay", "--dir", hub])
        #expect(replay.status == 0 && replay.stdout.contains("(identical)"), "\(replay.output)")
    }

    @Test func scoresAreQueriedFromStandardsSetAtTheHubAndBadStandardsRefused() throws {
        let s = try Scratch(); defer { s.remove() }
        let hub = s.file("hub"), jiefang = s.file("jiefang")
        #expect(try CLI.run(["hub", "init", "--dir", hub, "--port", "18454"]).status == 0)
        #expect(try CLI.run(["node", "init", "--dir", jiefang, "--court", "410802"]).status == 0)
        // 410802 in January: 3 of 4 filings online = 75.00%.
        for (i, channel) in ["online", "online", "online", "offline"].enumerated() {
            #expect(try append(jiefang, "case.filed", "2023-01-0\(i + 2)T09:00:00+08:00", ["case_no=(2023)豫0802民初\(i)号", "channel=\(channel)"]).status == 0)
        }
        let out = s.file("802.jsonl")
        #expect(try CLI.run(["node", "export", "--dir", jiefang, "--out", out]).status == 0)
        #expect(try CLI.run(["node", "receive", "--dir", hub, "--public-key", try publicKey(jiefang), out]).status == 0)
        let head = try headSeq(hub)
        expectOneLineError(try append(hub, "score_standard.set", "2023-01-02T09:00:00+08:00",
                                      ["lead=tech", "indicator=online-filing", "weight=10", "scoring=met", "effective=2023-01-01", "document=d"]),
                           contains: "case-filing")
        expectOneLineError(try append(hub, "score_standard.set", "2023-01-02T09:00:00+08:00",
                                      ["lead=case-filing", "indicator=online-filing", "weight=10", "scoring=bands", "effective=2023-01-01", "document=d"]),
                           contains: "bands=")
        #expect(try headSeq(hub) == head)
        let set = try append(hub, "score_standard.set", "2023-01-02T09:00:00+08:00",
                             ["lead=case-filing", "indicator=online-filing", "weight=10", "scoring=bands", "bands=9900:100;7000:50",
                              "effective=2023-01-01", "document=焦中法立〔2023〕1号"])
        #expect(set.status == 0, "\(set.output)")
        // 7500 ≥ 7000 → 50% of 10 points = 5.00 of 10.00 → 50.00 on the 100 scale.
        let r = try CLI.run(["query", "scores", "--dir", hub, "--period", "2023-01", "--format", "json"])
        #expect(r.status == 0, "\(r.output)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        let row = try #require(rows.first { $0["unit"] as? String == "410802" })
        #expect(row["internal_points"] as? Int == 500 && row["possible"] as? Int == 1000 && row["total"] as? Int == 5000 && row["rank"] as? Int == 1, "\(row)")
        let table = try CLI.run(["query", "scores", "--dir", hub, "--period", "2023-01"])
        #expect(table.stdout.contains("50.00") && table.stdout.contains("网上立案率 5.00/10"), "\(table.output)")
        expectOneLineError(try CLI.run(["query", "scores", "--dir", hub, "--period", "2023-13"]), contains: "2023-13")
        // The Word bulletin carries the same 考核得分 table as the Markdown and HTML ones.
        let docx = s.file("2023-01.docx")
        let report = try CLI.run(["report", "monthly", "2023-01", "--dir", hub, "--out", docx])
        #expect(report.status == 0, "\(report.output)")
        let xml = String(decoding: try #require(try ZipArchive(reading: Array(try Data(contentsOf: URL(fileURLWithPath: docx)))).entries["word/document.xml"]), as: UTF8.self)
        #expect(xml.contains(">考核得分<") && xml.contains(">50.00<") && xml.contains(">网上立案率 5.00/10<"), "the .docx bulletin lacks the scores")
        let replay = try CLI.run(["audit", "replay", "--dir", hub])
        #expect(replay.status == 0 && replay.stdout.contains("(identical)"), "\(replay.output)")
    }

    @Test func theDemoPlaysTheLoopAndItsIssuedBulletinReproducesFromTheLog() throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = s.file("city")
        let r = try CLI.run(["demo", "--dir", dir, "--months", "2", "--scale", "0.01", "--seed", "3", "--port", "\(freePort())"])
        #expect(r.status == 0, "demo failed: \(r.output)")
        #expect(r.stdout.contains("working loop:") && r.stdout.contains("2022-08 月通报 issued as"), "\(r.stdout)")
        let hub = "\(dir)/hub"
        let export = s.file("ic.jsonl")
        #expect(try CLI.run(["node", "export", "--dir", hub, "--out", export]).status == 0)
        let lines = try String(contentsOfFile: export, encoding: .utf8).split(separator: "\n")
        let issue = try #require(lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .first { $0["type"] as? String == "bulletin.issued" })
        let data = try #require(issue["data"] as? [String: Any])
        let period = try #require(data["period"] as? String), asOf = try #require(data["as_of"] as? String)
        // The bulletin reproduced as of the bound record time has the bound digest.
        let again = try CLI.run(["report", "monthly", period, "--dir", hub, "--as-of", asOf, "--bound"])
        #expect(EventHash(ofCanonicalBody: Array(again.stdout.utf8)).hex == data["digest"] as? String, "\(again.output)")
        #expect(try CLI.run(["query", "suggestions", "--dir", hub, "--on", "2022-10-01", "--all"]).status == 0)
        #expect(try CLI.run(["meeting", "agenda", "--dir", hub, "--on", "2022-10-01"]).stdout.contains("双周例会议程"))
        #expect(try CLI.run(["query", "scores", "--dir", hub, "--period", "2022-09"]).stdout.contains("网上立案率"))
        let replay = try CLI.run(["audit", "replay", "--dir", hub])
        #expect(replay.status == 0 && replay.stdout.contains("(identical)"), "\(replay.output)")
    }
}
