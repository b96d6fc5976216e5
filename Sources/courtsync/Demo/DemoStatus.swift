import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One transient status line on a terminal (nothing when piped).
struct DemoStatus {
    let enabled = isatty(STDERR_FILENO) == 1
    func show(_ text: String) {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
    }
    func clear() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
