import Foundation
import Testing

@Suite("kill -9 during a large import")
struct CrashTests {
    /// Kills a real import process at random moments, many times. Every time the log must
    /// verify, hold whole batches only, and a rerun must complete it without duplicates.
    @Test func importSurvivesKill9AtRandomMomentsWithoutGapsHalfBatchesOrDuplicates() throws {
        let s = try Scratch(); defer { s.remove() }
        let dir = s.file("node")
        #expect(try CLI.run(["node", "init", "--dir", dir, "--court", "410823"]).status == 0)
        let total = 40_000, batch = 500
        var lines: [String] = []
        lines.reserveCapacity(total)
        for i in 0..<total {
            let day = 1 + i % 28
            lines.append(#"{"type":"dossier.checked","at":"2022-10-\#(day < 10 ? "0" : "")\#(day)T09:00:00+08:00","data":{"case_no":"(2022)豫0823执\#(i)号","qualified":\#(i % 9 != 0)}}"#)
        }
        let file = try s.write("big.jsonl", lines.joined(separator: "\n"))
        var generator = SystemRandomNumberGenerator()
        var killedMidway = 0
        for round in 0..<10 {
            let process = try CLI.start(["node", "import", "--dir", dir, "--batch", "\(batch)", file])
            usleep(UInt32.random(in: 150_000...1_500_000, using: &generator))
            let wasRunning = process.isRunning
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let verify = try CLI.run(["audit", "verify", "--dir", dir])
            #expect(verify.status == 0, "round \(round): \(verify.output)")
            let seq = try headSeq(dir)
            #expect(seq % batch == 0, "round \(round): seq \(seq) is not a whole number of batches of \(batch)")
            #expect(seq <= total)
            if wasRunning && seq < total { killedMidway += 1 }
        }
        #expect(killedMidway > 0, "no kill landed during the import; the test did not exercise a crash")
        let rerun = try CLI.run(["node", "import", "--dir", dir, "--batch", "\(batch)", file])
        #expect(rerun.status == 0, "\(rerun.output)")
        #expect(try headSeq(dir) == total)
        let final = try CLI.run(["audit", "verify", "--dir", dir])
        #expect(final.status == 0 && final.stdout.contains("ok: \(total) events"), "\(final.output)")
        #expect(try CLI.run(["node", "import", "--dir", dir, file]).stdout.contains("imported 0 events (\(total) already recorded)"))
    }
}
