import Foundation
import Testing

/// 技术处 adds an indicator without a new build: signed at the hub, measured, replayed from zero.
@Suite("indicators added by policy, end to end")
struct PolicyIndicatorTests {
    @Test func anIndicatorDefinedAtTheHubIsMeasuredQueriedAndSurvivesAReplay() throws {
        let s = try Scratch()
        defer { s.remove() }
        let hub = s.file("hub")
        #expect(try CLI.run(["hub", "init", "--dir", hub, "--port", "18443"]).status == 0)
        let measure = #"{"numerator":{"count":"events","type":"system.used","where":{"system":"one-click-archive","channel":"online"}},"denominator":{"count":"events","type":"system.used","where":{"system":"one-click-archive"}}}"#
        let define = ["node", "append", "--dir", hub, "--type", "indicator.defined", "--at", "2022-12-20T09:00:00+08:00",
                      "indicator=one-click-archive", "code=16", "name=电子卷宗一键归档率", "unit=percent", "kind=assessed",
                      "measure=\(measure)", "lead=trial-management", "responsible=trial-management", "per_10k=8000",
                      "effective=2023-01-01", "document=焦中法〔2022〕120号"]
        let defined = try CLI.run(define)
        #expect(defined.status == 0, "\(defined.output)")
        // A threshold for it is accepted now that it exists; a second definition of the slug is not.
        #expect(try CLI.run(["node", "append", "--dir", hub, "--type", "threshold.set", "--at", "2023-01-05T09:00:00+08:00",
                             "indicator=one-click-archive", "per_10k=7500", "effective=2023-01-05", "document=焦中法〔2023〕2号"]).status == 0)
        expectOneLineError(try CLI.run(define.map { $0 == "code=16" ? "code=17" : $0 }), contains: "already an indicator")
        expectOneLineError(try CLI.run(["node", "append", "--dir", hub, "--type", "indicator.defined", "--at", "2022-12-20T09:00:00+08:00",
                                        "indicator=x", "code=99", "name=x", "unit=percent", "kind=assessed", "measure=not json",
                                        "lead=tech", "responsible=tech", "effective=2023-01-01", "document=d"]),
                           contains: "write it as a JSON object")
        // 审管办 at the intermediate court uses it: 3 of 4 through the system in January.
        var lines = ""
        for (i, channel) in ["online", "online", "online", "offline"].enumerated() {
            lines += #"{"type":"system.used","at":"2023-01-1\#(i)T10:00:00+08:00","dept":"trial-management","data":{"system":"one-click-archive","channel":"\#(channel)","case_no":"(2023)豫08民初\#(i)号"}}"# + "\n"
        }
        let file = try s.write("uses.jsonl", lines)
        #expect(try CLI.run(["node", "import", "--dir", hub, file]).status == 0)
        let r = try CLI.run(["query", "compliance", "--dir", hub, "--period", "2023-01", "--indicator", "电子卷宗一键归档率", "--format", "json"])
        #expect(r.status == 0, "\(r.output)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        let tm = try #require(rows.first { $0["unit"] as? String == "trial-management" })
        // 3 of 4 = 75.00% ≥ 75% (the threshold set on 01-05, in force at the month's end) → met
        #expect(tm["numerator"] as? Int == 3 && tm["denominator"] as? Int == 4 && tm["value"] as? String == "75.00%", "\(tm)")
        #expect(tm["status"] as? String == "met" && tm["threshold_document"] as? String == "焦中法〔2023〕2号", "\(tm)")
        // December: not yet in force.
        let dec = try CLI.run(["query", "compliance", "--dir", hub, "--period", "2022-12", "--format", "json"])
        #expect(!dec.stdout.contains("one-click-archive"))
        // A replay from zero gives the stored projections exactly.
        let replay = try CLI.run(["audit", "replay", "--dir", hub])
        #expect(replay.status == 0 && replay.stdout.contains("(identical)") && replay.stdout.contains("1 indicator defined by policy"), "\(replay.output)")
        // The supervised systems of the plan's §三 import as policy at the hub.
        let systems = CLI.packageRoot.appendingPathComponent("protocol/plan/supervised-systems.jsonl").path
        let imported = try CLI.run(["node", "import", "--dir", hub, systems])
        #expect(imported.status == 0 && imported.stdout.contains("imported 24 events"), "\(imported.output)")
        let again = try CLI.run(["audit", "replay", "--dir", hub])
        #expect(again.status == 0 && again.stdout.contains("(identical)") && again.stdout.contains("25 indicators defined by policy"), "\(again.output)")
    }
}
