import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Progress of long work (import, sync, replay, the demo). On a terminal: a bar with the rate
/// and the time left, redrawn in place. Off a terminal (a journal, a pipe): one plain line per
/// interval (`COURTSYNC_PROGRESS_SECONDS`, default 10), so short runs stay quiet and long ones
/// show they are alive. `elapsedText` goes into every final summary.
struct Progress {
    let label: String
    let onTerminal: Bool = isatty(STDERR_FILENO) == 1
    let interval: Double = ProcessInfo.processInfo.environment["COURTSYNC_PROGRESS_SECONDS"].flatMap(Double.init) ?? 10
    let started = Date()
    private var lastDrawn = -1
    private var lastLine: Date
    private var drewOnTerminal = false

    init(_ label: String) {
        self.label = label
        lastLine = started
    }

    /// Seconds since the work started.
    var elapsed: Double { Date().timeIntervalSince(started) }

    /// `12.3 s` or `4 min 05 s`.
    var elapsedText: String { Self.duration(elapsed) }

    static func duration(_ s: Double) -> String {
        s < 60 ? String(format: "%.1f s", s) : String(format: "%d min %02d s", Int(s) / 60, Int(s) % 60)
    }

    /// The line for `done` of `total` (total 0: unknown), with rate and time left.
    func line(_ done: Int64, of total: Int64) -> String {
        let t = max(elapsed, 0.001)
        let rate = Double(done) / t
        var text = "\(label) \(done)"
        if total > 0 { text += "/\(total) (\(done * 100 / total)%)" }
        text += String(format: ", %.0f/s", rate)
        if total > 0, rate > 0, done < total { text += ", about \(Self.duration(Double(total - done) / rate)) left" }
        return text + ", \(elapsedText) so far"
    }

    mutating func update(_ done: Int64, of total: Int64) {
        if onTerminal {
            guard total > 0 else { return }
            let permille = Int(done * 1000 / total)
            guard permille != lastDrawn else { return }
            lastDrawn = permille
            let width = 24
            let filled = width * permille / 1000
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            FileHandle.standardError.write(Data("\r\(bar) \(line(done, of: total))\u{1B}[K".utf8))
            drewOnTerminal = true
        } else if Date().timeIntervalSince(lastLine) >= interval {
            lastLine = Date()
            FileHandle.standardError.write(Data((line(done, of: total) + "\n").utf8))
        }
    }

    func finish() {
        guard onTerminal, drewOnTerminal else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}

/// Writes to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Wall-clock now, in seconds since the epoch (the "recorded at" clock).
var nowSeconds: Int64 { Int64(Date().timeIntervalSince1970) }
