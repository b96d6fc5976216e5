import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 13, hostile load: TCP connections that send nothing must not lock the courts out.
@Suite("the hub under hostile load")
struct HostileLoadTests {
    /// A TCP connection to the hub from `source` (another address of the loopback range), that sends nothing.
    static func idleConnection(from source: String, to port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(source)
        local.sin_port = 0
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_addr.s_addr = inet_addr("127.0.0.1")
        remote.sin_port = UInt16(port).bigEndian
        let ok = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
            && withUnsafePointer(to: &remote) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
        if !ok { close(fd); return nil }
        return fd
    }

    /// Whether the server has closed the connection (EOF or reset), without blocking.
    static func closedByServer(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }

    @Test func idleConnectionsFromOneHostAreCappedAndClosedWhileACourtSyncs() throws {
        var h = try SyncHarness(); defer { h.remove() }
        try h.startHub(environment: ["COURTSYNC_HANDSHAKE_TIMEOUT": "3", "COURTSYNC_MAX_CONNECTIONS_PER_ADDRESS": "40"])
        let jf = try h.enrolledNode("410802")
        try h.record(jf, court: "410802", count: 5, online: 5)
        // 300 connections from 127.0.0.2 that never send a byte (no TLS hello, no certificate).
        var idle: [Int32] = []
        for _ in 0..<300 { if let fd = Self.idleConnection(from: "127.0.0.2", to: h.port) { idle.append(fd) } }
        defer { for fd in idle { close(fd) } }
        #expect(idle.count == 300, "the kernel accepted \(idle.count) of 300 connections")
        // The court, from its own address, syncs at once: the idle host holds at most 40 slots.
        let sync = try h.run(["node", "sync", "--dir", jf])
        #expect(sync.status == 0, "\(sync.output)")
        #expect(try h.hubSeq("410802") == 5)
        // Every idle connection is closed by the hub: the 260 over the cap at once, the 40
        // admitted once the 3 s handshake deadline passes (waited on with a generous deadline).
        let deadline = Date().addingTimeInterval(60)
        var open = idle
        while !open.isEmpty && Date() < deadline {
            open.removeAll { Self.closedByServer($0) }
            if !open.isEmpty { usleep(200_000) }
        }
        #expect(open.isEmpty, "\(open.count) idle connections are still open after 60 s")
        let log = String(decoding: FileManager.default.contents(atPath: h.path("hub.log")) ?? Data(), as: UTF8.self)
        #expect(log.contains("more than 40 connections from one address"), "the refusals are logged")
        #expect(log.contains("no TLS handshake within 3 s"))
        // And the hub still serves.
        try h.record(jf, court: "410802", count: 2, online: 2, from: 10)
        #expect(try h.run(["node", "sync", "--dir", jf]).status == 0)
        #expect(try h.hubSeq("410802") == 7)
    }

    /// Which byte of the head the slow clients send next.
    final class Position: @unchecked Sendable {
        private let lock = NSLock()
        private var i = 0
        func next() -> Int { lock.withLock { defer { i += 1 }; return i } }
    }

    /// Bytes a slow client received, kept per connection.
    final class Received: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        private let lock = NSLock()
        private var bytes: [UInt8] = []
        var text: String { lock.withLock { String(decoding: bytes, as: UTF8.self) } }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            lock.withLock { bytes += buffer.readableBytesView }
        }
    }

    /// `count` TLS connections to the hub (trusting its CA, no client certificate), handshaken.
    static func slowClients(_ count: Int, port: Int, caFile: String, group: EventLoopGroup) throws -> [(Channel, Received)] {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(caFile)
        let context = try NIOSSLContext(configuration: tls)
        var clients: [(Channel, Received)] = []
        for _ in 0..<count {
            let received = Received()
            let channel = try ClientBootstrap(group: group).channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                    try channel.pipeline.syncOperations.addHandler(received)
                }
            }.connect(host: "127.0.0.1", port: port).wait()
            clients.append((channel, received))
        }
        return clients
    }

    @Test func slowlorisConnectionsAreCutWith408WhileACourtSyncs() throws {
        var h = try SyncHarness(); defer { h.remove() }
        try h.startHub(environment: ["COURTSYNC_REQUEST_HEAD_TIMEOUT": "5", "COURTSYNC_MAX_CONNECTIONS_PER_ADDRESS": "1000"])
        let jf = try h.enrolledNode("410802")
        try h.record(jf, court: "410802", count: 5, online: 5)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        // 300 clients that send a request head one byte every 2 s and never finish it.
        let clients = try Self.slowClients(300, port: h.port, caFile: "\(h.hub)/tls/ca.pem", group: group)
        let head = Array("GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".utf8) + Array(repeating: UInt8(ascii: "a"), count: 1000)
        let position = Position()
        let drip = group.next().scheduleRepeatedTask(initialDelay: .zero, delay: .seconds(2)) { _ in
            let i = position.next()
            for (channel, _) in clients where channel.isActive {
                channel.writeAndFlush(ByteBuffer(bytes: [head[min(i, head.count - 1)]]), promise: nil)
            }
        }
        defer { drip.cancel() }
        // The court syncs while they drip.
        let sync = try h.run(["node", "sync", "--dir", jf])
        #expect(sync.status == 0, "\(sync.output)")
        #expect(try h.hubSeq("410802") == 5)
        // Every slow connection is cut once its head is 5 s old (waited on with a generous deadline).
        let deadline = Date().addingTimeInterval(60)
        while clients.contains(where: { $0.0.isActive }) && Date() < deadline { usleep(200_000) }
        let open = clients.filter { $0.0.isActive }.count
        #expect(open == 0, "\(open) slow connections are still open after 60 s")
        let answered = clients.filter { $0.1.text.hasPrefix("HTTP/1.1 408") }.count
        #expect(answered > 0, "the hub answers 408 before it closes a slow request")
        let log = String(decoding: FileManager.default.contents(atPath: h.path("hub.log")) ?? Data(), as: UTF8.self)
        #expect(log.contains("the request head did not arrive within 5 s"))
        // And the hub still serves.
        #expect(try h.run(["node", "sync", "--dir", jf]).status == 0)
    }

    /// curl, many at once: (status, headers and body) of each.
    static func curls(_ h: SyncHarness, _ requests: [[String]]) throws -> [(Int, String)] {
        var running: [(Process, Pipe)] = []
        for extra in requests {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            p.arguments = ["-s", "-i", "-o", "-", "-w", "\n%{http_code}", "--cacert", "\(h.hub)/tls/ca.pem"] + extra
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            running.append((p, out))
        }
        return running.map { p, out in
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            let text = String(decoding: data, as: UTF8.self)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
        }
    }

    @Test func concurrentAsOfQueriesPastTheLimitAre503WhileHealthzAnswers() throws {
        var h = try SyncHarness(); defer { h.remove() }
        try h.startHub(environment: ["COURTSYNC_MAX_REPLAYS": "1"])
        let jf = try h.enrolledNode("410802")
        try h.record(jf, court: "410802", count: 400, online: 390)
        #expect(try h.run(["node", "sync", "--dir", jf]).status == 0)
        let credential = try h.run(["hub", "auditor", "add", "--dir", h.hub, "--out", h.path("alice.json"), "alice"])
        #expect(credential.status == 0, "\(credential.output)")
        let token = (try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: h.path("alice.json")))) as? [String: Any])?["token"] as? String ?? ""
        let asOf = ["-H", "Authorization: Bearer \(token)", "https://localhost:\(h.port)/v1/query/compliance?period=2022-09&as_of=2026-01-01"]
        let health = ["https://localhost:\(h.port)/healthz"]
        // Seven replays at once against a limit of one, with /healthz asked alongside; rounds
        // until some are refused (a replay that ends before the next arrives refuses nobody).
        var busy: [(Int, String)] = []
        var served = 0
        let deadline = Date().addingTimeInterval(60)
        while busy.isEmpty && Date() < deadline {
            let answers = try Self.curls(h, Array(repeating: asOf, count: 7) + [health])
            #expect(answers.last?.0 == 200, "healthz answers while replays run: \(answers.last?.1 ?? "")")
            for (status, text) in answers.dropLast() {
                #expect(status == 200 || status == 503, "\(status): \(text)")
                if status == 503 { busy.append((status, text)) } else { served += 1 }
            }
        }
        #expect(!busy.isEmpty, "no as-of query was refused in 60 s of rounds of seven")
        #expect(served > 0)
        for (_, text) in busy {
            #expect(text.lowercased().contains("retry-after: 5"), "\(text)")
            #expect(text.contains(#""reason":"busy""#))
        }
    }
}
