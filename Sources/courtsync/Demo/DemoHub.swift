import CourtLog
import Foundation
import Hub
import NodeSync
import SyncProtocol
#if canImport(Glibc)
import Glibc
#endif

/// The demo's hub: `courtsync hub serve` as its own process on loopback, as in production,
/// with its log in `<hub>/serve.log`.
final class DemoHub: @unchecked Sendable {
    let process: Process
    let port: Int
    let logPath: String
    private var signalSources: [DispatchSourceSignal] = []
    private let lock = NSLock()
    private var serving = false
    private var interrupted = false
    private var exiting = false

    /// Refuses a port something already listens on, before anything is started.
    static func checkPortFree(_ port: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if bound != 0 {
            let reason = errno == EADDRINUSE ? "is already in use" : errno == EACCES ? "needs privileges" : "cannot be bound (errno \(errno))"
            throw EventError("port \(port) on 127.0.0.1 \(reason): stop what listens there, or choose another with --port (e.g. --port \(port + 1))")
        }
    }

    /// Starts `courtsync hub serve` and waits until it answers /healthz over HTTPS with the hub's CA.
    init(hub: HubDirectory, port: Int) async throws {
        self.port = port
        logPath = "\(hub.path)/serve.log"
        guard FileManager.default.createFile(atPath: logPath, contents: nil), let log = FileHandle(forWritingAtPath: logPath) else {
            throw EventError("cannot write \(logPath): check that the demo directory is writable")
        }
        // The hub must stop on SIGTERM even when this process was started with it ignored
        // (ignored signals are inherited across exec).
        signal(SIGTERM, SIG_DFL)
        signal(SIGINT, SIG_DFL)
        process = Process()
        process.executableURL = SelfExecutable.url
        process.arguments = ["hub", "serve", "--dir", hub.path, "--host", "127.0.0.1", "--port", "\(port)"]
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        stopOnInterrupt()
        let client = try HubClient(baseURL: "https://localhost:\(port)", caPEM: try hub.caPEM, certificatePEM: nil, privateKeyPEM: nil)
        defer { Task { await client.shutdown() } }
        // A generous deadline: a loaded machine can take many seconds to start a debug build.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if !process.isRunning {
                throw EventError("the hub did not start: \(Self.lastLine(of: logPath)); check the port and the demo directory, then run the demo again")
            }
            if let reply = try? await client.get(ApiPaths.health), reply.status == 200 { return }
            try await Task.sleep(nanoseconds: 200_000_000)
        }
        stop()
        throw EventError("the hub did not answer https://localhost:\(port)\(ApiPaths.health) within 60 s (its last words: \(Self.lastLine(of: logPath))); run the demo again on a less busy machine or another --port")
    }

    /// The last line the hub wrote, for an error that outlives the demo directory.
    static func lastLine(of path: String) -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").last.map(String.init) ?? "no output"
    }

    /// SIGTERM (the hub finishes the request in hand), then SIGKILL if it has not stopped in 5 s.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        for _ in 0..<50 where process.isRunning { usleep(100_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Ctrl-C or SIGTERM to the demo stops the hub too, so no hub is left holding the port:
    /// during the run the demo then exits as interrupted; with `--serve` it returns from ``wait()``.
    ///
    /// The flag is set before the hub is killed, so the main path, whose sync then fails against
    /// the vanished hub, sees it and ends as interrupted too (``endIfInterrupted()``) instead of
    /// exiting with the sync's error: whichever thread gets there first, the end is the same.
    private func stopOnInterrupt() {
        let pid = process.processIdentifier
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [self] in
                let waiting = lock.withLock { interrupted = true; return serving }
                kill(pid, SIGTERM)
                guard !waiting else { return }
                exitInterrupted()
            }
            source.resume()
            signalSources.append(source)
        }
    }

    /// Whether Ctrl-C or SIGTERM has arrived.
    var wasInterrupted: Bool { lock.withLock { interrupted } }

    /// Ends the demo as interrupted if a signal has arrived; returns otherwise. The main path calls
    /// it before reporting an error or finishing, so an interrupted demo never ends as a failure
    /// or a success.
    func endIfInterrupted() {
        if wasInterrupted { exitInterrupted() }
    }

    /// Stops the hub, says so, and exits 130. Only the first caller does it; any other thread
    /// parks until the process ends.
    private func exitInterrupted() -> Never {
        let first = lock.withLock { () -> Bool in
            guard !exiting else { return false }
            exiting = true
            return true
        }
        guard first else { while true { pause() } }
        stop()
        FileHandle.standardError.write(Data("\ninterrupted: the hub is stopped; what was recorded so far stays in the demo directory\n".utf8))
        exit(130)
    }

    /// Waits until the hub process ends (for `--serve`); Ctrl-C or SIGTERM here stops the hub gracefully.
    func wait() async {
        lock.withLock { serving = true }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async { self.process.waitUntilExit(); done.resume() }
        }
    }
}
