import Foundation
import Testing

/// Real processes on loopback: a hub (`courtsync hub serve`), nodes that enroll by files and
/// sync over HTTPS, and curl for requests the CLI would never make.
struct SyncHarness {
    let root: String
    let hub: String
    let port: Int
    var server: Process?

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let binary: String = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("courtsync").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return packageRoot.appendingPathComponent(".build/debug/courtsync").path
    }()

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        var output: String { stdout + stderr }
    }

    /// `database`: a PostgreSQL URL for `hub init --database` (see PostgresCluster), or nil for SQLite.
    init(_ name: String = #function, database: String? = nil) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-sync-\(name.filter(\.isLetter).prefix(40))-\(UUID().uuidString.prefix(6))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        hub = "\(root)/hub"
        port = Self.freePort()
        let r = try run(["hub", "init", "--dir", hub, "--port", "\(port)"] + (database.map { ["--database", $0] } ?? []))
        try #require(r.status == 0, "hub init: \(r.output)")
    }

    /// A port nothing listens on (the kernel picks it).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    func path(_ name: String) -> String { "\(root)/\(name)" }

    @discardableResult
    func run(_ arguments: [String], executable: String = SyncHarness.binary) throws -> Result {
        try Self.run(executable, arguments, in: root)
    }

    /// Runs a program to its end with no input, and returns its status and its two outputs.
    /// The one process runner of these tests (PostgresCluster's psql, initdb, … too).
    static func run(_ executable: String, _ arguments: [String], in directory: String? = nil) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// Starts `hub serve` and waits until it accepts connections.
    mutating func startHub(environment: [String: String] = [:]) throws {
        let p = Process()
        // The test runner starts children with SIGTERM ignored (an ignored signal survives
        // exec); the hub must see SIGTERM as an operator's `kill` would deliver it.
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["--default-signal=TERM,INT"] + environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            + [Self.binary, "hub", "serve", "--dir", hub, "--host", "127.0.0.1"]
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        let log = path("hub.log")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        p.standardError = FileHandle(forWritingAtPath: log)
        try p.run()
        server = p
        // A generous deadline: a loaded machine can take many seconds to start a debug build.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if Self.canConnect(port) { return }
            if !p.isRunning { break }
            usleep(50_000)
        }
        Issue.record("the hub did not start listening on \(port): \(String(decoding: FileManager.default.contents(atPath: log) ?? Data(), as: UTF8.self))")
    }

    static func canConnect(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
    }

    /// SIGKILL (crash) or SIGTERM (graceful) the hub.
    mutating func stopHub(signal: Int32 = SIGTERM) {
        guard let p = server else { return }
        kill(p.processIdentifier, signal)
        p.waitUntilExit()
        server = nil
    }

    /// A node for `court`, enrolled at the hub and joined.
    func enrolledNode(_ court: String, name: String? = nil) throws -> String {
        let dir = path(name ?? court)
        #expect(try run(["node", "init", "--dir", dir, "--court", court]).status == 0)
        #expect(try run(["node", "enroll-request", "--dir", dir, "--out", "\(dir).request.json"]).status == 0)
        let enroll = try run(["hub", "enroll", "--dir", hub, "--out", "\(dir).bundle.json", "\(dir).request.json"])
        #expect(enroll.status == 0, "hub enroll: \(enroll.output)")
        #expect(try run(["node", "join", "--dir", dir, "\(dir).bundle.json"]).status == 0)
        return dir
    }

    /// `count` filings at a node, `online` of them online (by import, one file).
    func record(_ dir: String, court: String, count: Int, online: Int, month: String = "2022-09", from: Int = 1) throws {
        var lines: [String] = []
        for i in from..<(from + count) {
            let day = 1 + i % 28
            lines.append(#"{"type":"case.filed","at":"\#(month)-\#(day < 10 ? "0" : "")\#(day)T09:00:00+08:00","data":{"case_no":"(2022)豫\#(court.suffix(4))民初\#(i)号","channel":"\#(i - from < online ? "online" : "offline")"}}"#)
        }
        let file = "\(dir)-\(from).jsonl"
        try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let r = try run(["node", "import", "--dir", dir, file])
        #expect(r.status == 0, "import: \(r.output)")
    }

    /// curl with the node's client certificate (or none), returning status and body.
    func curl(_ path: String, node: String? = nil, method: String = "GET", bodyFile: String? = nil, cacert: String? = nil, port: Int? = nil) throws -> (Int, String) {
        var args = ["-s", "-o", "-", "-w", "\n%{http_code}", "--cacert", cacert ?? "\(hub)/tls/ca.pem", "-X", method]
        if let node {
            let bundle = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(node)/bundle.json"))) as? [String: Any]
            let certFile = "\(node)/client.pem"
            try (bundle?["client_certificate_pem"] as? String ?? "").write(toFile: certFile, atomically: true, encoding: .utf8)
            args += ["--cert", certFile, "--key", "\(node)/tls.key"]
        }
        if let bodyFile { args += ["--data-binary", "@\(bodyFile)", "-H", "Content-Type: application/x-ndjson"] }
        args.append("https://localhost:\(port ?? self.port)\(path)")
        let r = try run(args, executable: "/usr/bin/curl")
        let parts = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(parts.last ?? "") ?? 0, parts.dropLast().joined(separator: "\n"))
    }

    func headSeq(_ dir: String) throws -> Int {
        let json = try JSONSerialization.jsonObject(with: Data(try run(["node", "status", "--dir", dir, "--format", "json"]).stdout.utf8)) as? [String: Any]
        return json?["seq"] as? Int ?? -1
    }

    /// `hub status --format json` of the hub directory `dir`, which must succeed.
    func hubStatus(_ dir: String) throws -> [String: Any] {
        let r = try run(["hub", "status", "--dir", dir, "--format", "json"])
        #expect(r.status == 0, "hub status: \(r.output)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "not JSON: \(r.stdout)")
    }

    /// The seq the hub holds of `court`.
    func hubSeq(_ court: String) throws -> Int {
        let json = try JSONSerialization.jsonObject(with: Data(try run(["node", "status", "--dir", hub, "--format", "json"]).stdout.utf8)) as? [String: Any]
        return (json?["received"] as? [String: [String: Any]])?[court]?["seq"] as? Int ?? 0
    }

    mutating func remove() {
        stopHub(signal: SIGKILL)
        try? FileManager.default.removeItem(atPath: root)
    }
}
