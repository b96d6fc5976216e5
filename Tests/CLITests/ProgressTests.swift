import Foundation
import Testing

/// Long work off a terminal prints one plain line per interval (rate, time left, elapsed), and
/// its final summary gives the elapsed time.
@Suite struct ProgressTests {
    @Test func importOffATerminalPrintsALinePerIntervalAndTheElapsedTime() throws {
        let s = try Scratch()
        defer { s.remove() }
        let node = s.file("jiefang")
        #expect(try CLI.run(["node", "init", "--dir", node, "--court", "410802"]).status == 0)
        let file = try s.write("events.jsonl", BackupTests.filings(3000))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["node", "import", "--dir", node, "--batch", "100", file]
        p.environment = ProcessInfo.processInfo.environment.merging(["COURTSYNC_PROGRESS_SECONDS": "0"]) { _, b in b }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(o)\(e)")
        let lines = e.split(separator: "\n")
        #expect(lines.count >= 10 && lines.allSatisfy { $0.hasPrefix("importing ") && $0.contains("/s") && $0.contains("so far") }, "\(e)")
        #expect(lines.contains { $0.contains("left") }, "an estimate of the time left: \(e)")
        #expect(!e.contains("\r") && !e.contains("█"), "no terminal bar off a terminal")
        #expect(o.contains("imported 3000 events") && o.range(of: #"in \d+\.\d s"#, options: .regularExpression) != nil, "\(o)")
    }
}
