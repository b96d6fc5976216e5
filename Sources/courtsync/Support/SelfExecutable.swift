import Foundation

/// The path of the running `courtsync` binary, for starting its own `hub serve`.
///
/// `argv[0]` is what the shell was given (`courtsync` when it was found on `PATH`), not a path:
/// started from it, the child fails with "no such file". The kernel's `/proc/self/exe` names the
/// file that is running wherever it was found; `Bundle.main` is the fallback off Linux.
enum SelfExecutable {
    static var url: URL {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"),
           FileManager.default.isExecutableFile(atPath: resolved) {
            return URL(fileURLWithPath: resolved)
        }
        if let bundled = Bundle.main.executableURL { return bundled }
        return URL(fileURLWithPath: CommandLine.arguments[0])
    }
}
