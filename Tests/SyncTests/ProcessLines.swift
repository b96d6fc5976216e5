import Foundation
import Synchronization
import Testing

/// A child process whose output is read as it comes, so a test can wait for a line (with a
/// deadline) while the process keeps running: `node sync --watch`, curl on an event stream,
/// the browser driver.
final class ProcessLines: Sendable {
    let process: Process
    private let text = Mutex("")

    init(_ executable: String, _ arguments: [String], cwd: String? = nil, environment: [String: String]? = nil) throws {
        let p = Process()
        // Children of the test runner start with SIGTERM ignored; restore it so `stop()` works.
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["--default-signal=TERM,INT", executable] + arguments
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        if let environment { p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, b in b } }
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        p.standardInput = FileHandle.nullDevice
        process = p
        pipe.fileHandleForReading.readabilityHandler = { [self] handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil; return }
            self.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try p.run()
    }

    var output: String { text.withLock { $0 } }

    /// Waits until `condition` holds on the output so far, or the deadline passes (false).
    @discardableResult
    func wait(seconds: Double = 120, until condition: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition(output) { return true }
            if !process.isRunning { return condition(output) }
            usleep(100_000)
        }
        return condition(output)
    }

    /// Waits for the process to end by itself; false if it is still running at the deadline.
    func waitForExit(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(100_000) }
        return !process.isRunning
    }

    func stop() {
        if process.isRunning { process.terminate() }
        if !waitForExit(seconds: 10) { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
