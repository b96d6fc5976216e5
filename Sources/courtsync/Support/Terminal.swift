import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Progress on a terminal, silence when piped (design: "stays quiet when piped").
struct Progress {
    let label: String
    let enabled: Bool = isatty(STDERR_FILENO) == 1
    private var lastDrawn = -1

    init(_ label: String) { self.label = label }

    mutating func update(_ done: Int64, of total: Int64) {
        guard enabled, total > 0 else { return }
        let permille = Int(done * 1000 / total)
        guard permille != lastDrawn else { return }
        lastDrawn = permille
        let width = 30
        let filled = width * permille / 1000
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) \(bar) \(permille / 10)% \(done)/\(total)".utf8))
    }

    func finish() {
        guard enabled, lastDrawn >= 0 else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}

/// Writes to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Wall-clock now, in seconds since the epoch (the "recorded at" clock).
var nowSeconds: Int64 { Int64(Date().timeIntervalSince1970) }
