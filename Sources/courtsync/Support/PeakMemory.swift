import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A process's peak resident memory, for `courtsync bench streams`: with
/// `COURTSYNC_PEAK_MEMORY_FILE` set, `courtsync` writes its peak (VmHWM, in KiB) to that file
/// as it exits. The kernel's own account of a child (`wait4`'s `ru_maxrss`) cannot serve: it
/// starts from the parent's peak when the child is spawned, and the bench's parent is large.
enum PeakMemory {
    static let variable = "COURTSYNC_PEAK_MEMORY_FILE"

    /// Arranges the report at exit when the bench asked for it; otherwise does nothing.
    static func reportAtExitIfAsked() {
        guard getenv(variable) != nil else { return }
        atexit { PeakMemory.writeReport() }
    }

    /// This process's peak resident memory in KiB (VmHWM of /proc/self/status), or nil.
    static func peakKiB() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
        }
        return nil
    }

    static func writeReport() {
        guard let path = getenv(variable), let kib = peakKiB() else { return }
        try? "\(kib)\n".write(toFile: String(cString: path), atomically: false, encoding: .utf8)
    }
}
