import Bench
import Foundation
import Hub
import NIOCore
import NIOPosix
import NIOSSL
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 13, hostile load: TCP connections that send nothing must not lock the courts out.
/// Serialized: the tests at the issue's scale each hold 11,000 descriptors in this process.
@Suite("the hub under hostile load", .serialized)
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

    /// The hub's side of each connection to `port` in the kernel's table (/proc/net/tcp), by the
    /// peer's port: its state in hex ("03" SYN_RECV: not yet handed to the hub; "01" established).
    static func serverSides(port: Int) -> [Int: String] {
        // Read to the end with read(2): Foundation's String(contentsOfFile:) stops after the first
        // page of a /proc file (26 sockets), and a suite with thousands of sockets in TIME_WAIT
        // lists far more.
        let fd = open("/proc/net/tcp", O_RDONLY)
        guard fd >= 0 else { return [:] }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        let text = String(decoding: bytes, as: UTF8.self)
        var sides: [Int: String] = [:]
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: " ")
            guard f.count > 3, let local = f[1].split(separator: ":").last, Int(local, radix: 16) == port,
                  let remote = f[2].split(separator: ":").last, let peer = Int(remote, radix: 16), peer != 0 else { continue }
            sides[peer] = String(f[3])
        }
        return sides
    }

    /// The local port of a connected socket.
    static func localPort(_ fd: Int32) -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test func aConnectionThatSendsNothingWaitsInTheKernelThenIsClosedWhileACourtSyncs() throws {
        var h = try SyncHarness(); defer { h.remove() }
        // TCP_DEFER_ACCEPT of 20 s: the kernel counts it in SYN-ACK retransmissions after 1, 2,
        // 4, 8 and 16 s, so it holds a silent connection 1 + 2 + 4 + 8 + 16 = 31 s (the first
        // total at or above 20); then the hub's 2 s handshake deadline (no spread here) closes it.
        // The wait is long so that a test process starved of CPU by the rest of the suite still
        // sees the connection while the kernel holds it (at 5 s, 7 s held, it once did not).
        try h.startHub(environment: ["COURTSYNC_DEFER_ACCEPT": "20", "COURTSYNC_HANDSHAKE_TIMEOUT": "2", "COURTSYNC_HANDSHAKE_SPREAD": "0"])
        let jf = try h.enrolledNode("410802")
        try h.record(jf, court: "410802", count: 5, online: 5)
        let fd = try #require(Self.idleConnection(from: "127.0.0.2", to: h.port))
        defer { close(fd) }
        let peer = Self.localPort(fd)
        // The connection is established on the client's side, but the hub's side is still the
        // kernel's: SYN_RECV, never accepted (watched until seen, or until the connection ends).
        var deferred = false
        _ = Self.waitUntil { deferred = Self.serverSides(port: h.port)[peer] == "03"; return deferred || Self.closedByServer(fd) }
        #expect(deferred, "the hub's side of a connection that sent nothing is \(Self.serverSides(port: h.port)[peer] ?? "gone"), not held by the kernel (SYN_RECV)")
        // A court, which sends its TLS hello at once, is accepted at once and syncs.
        let sync = try h.run(["node", "sync", "--dir", jf])
        #expect(sync.status == 0, "\(sync.output)")
        #expect(try h.hubSeq("410802") == 5)
        // After the kernel's wait the hub accepts the silent connection and closes it at its
        // handshake deadline (waited on with a generous deadline).
        #expect(Self.waitUntil(within: 31 + 2 + 60) { Self.closedByServer(fd) }, "a connection that sent nothing is still open 93 s later")
        let log = String(decoding: FileManager.default.contents(atPath: h.path("hub.log")) ?? Data(), as: UTF8.self)
        #expect(log.contains("a connection that sends nothing waits in the kernel for 31 s"), "the hub logs what the kernel took")
        #expect(log.contains("no TLS handshake within 2 s"), "the hub accepted it after the kernel's wait and closed it")
    }

    @Test func listeningAndHandshakeSettingsFromTheEnvironment() {
        #expect(ListeningSocket.fromEnvironment([:]) == ListeningSocket(deferAccept: 10, acceptBatch: 64))
        #expect(ListeningSocket.fromEnvironment(["COURTSYNC_DEFER_ACCEPT": "0"]).deferAccept == 0, "0 turns deferred accept off")
        #expect(ListeningSocket.fromEnvironment(["COURTSYNC_DEFER_ACCEPT": "ten", "COURTSYNC_ACCEPT_BATCH": "-1"]) == ListeningSocket(), "unreadable values keep the defaults")
        // The spread is half the handshake timeout unless set: 10 s → 5 s, 4 s → 2 s.
        #expect(ConnectionLimits.fromEnvironment([:]).handshakeSpread == .seconds(5))
        #expect(ConnectionLimits.fromEnvironment(["COURTSYNC_HANDSHAKE_TIMEOUT": "4"]).handshakeSpread == .seconds(2))
        #expect(ConnectionLimits.fromEnvironment(["COURTSYNC_HANDSHAKE_TIMEOUT": "4", "COURTSYNC_HANDSHAKE_SPREAD": "0"]).handshakeSpread == .zero)
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
        // Each query asks a time of its own, as a client that evades the hub's kept replays would:
        // every one is a replay.
        var asked = 0
        func asOf() -> [String] {
            asked += 1
            let time = String(format: "2026-01-01T%02d:%02d:%02d+08:00", asked / 3600, asked / 60 % 60, asked % 60)
            return ["-H", "Authorization: Bearer \(token)", "https://localhost:\(h.port)/v1/query/compliance?period=2022-09&as_of=\(time)"]
        }
        let health = ["https://localhost:\(h.port)/healthz"]
        // Seven replays at once against a limit of one, with /healthz asked alongside; rounds
        // until some are refused (a replay that ends before the next arrives refuses nobody).
        var busy: [(Int, String)] = []
        var served = 0
        let deadline = Date().addingTimeInterval(60)
        while busy.isEmpty && Date() < deadline {
            let answers = try Self.curls(h, (0..<7).map { _ in asOf() } + [health])
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

    // MARK: - At the issue's scale

    /// The connections of the issue's scale plus a margin, which this process and the hub must hold.
    static let scale = HostileLoad.Shape.issueScale()

    /// Waits (a generous 60 s deadline unless told) until `done` holds; whether it did.
    static func waitUntil(within seconds: Double = 60, _ done: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !done() {
            if Date() > deadline { return false }
            usleep(200_000)
        }
        return true
    }

    /// The hub's resident memory bound under the issue's load: a generous fixed figure (memory
    /// is not wall time); the measured peak is in the README's Performance table.
    static let memoryBound = 400 * 1_048_576

    /// The hub's settings for an attack held past the courts' syncs: 90 s deadlines, every
    /// connection accepted at once (no TCP_DEFER_ACCEPT) and no spread of the deadlines.
    static let heldAttack = ["COURTSYNC_HANDSHAKE_TIMEOUT": "90", "COURTSYNC_REQUEST_HEAD_TIMEOUT": "90", "COURTSYNC_IDLE_TIMEOUT": "120",
                             "COURTSYNC_DEFER_ACCEPT": "0", "COURTSYNC_HANDSHAKE_SPREAD": "0"]

    @Test(.enabled(if: HostileLoad.raiseOpenFileLimit(toHold: scale.total), "needs an open-file hard limit above 11,256 (ulimit -Hn)"))
    func tenThousandIdleConnectionsAndASlowlorisWhileThreeCourtsSync() throws {
        var h = try SyncHarness(); defer { h.remove() }
        // Held, not churned: the attack is opened once and held past the courts' syncs (90 s
        // deadlines here). Re-opened as the hub cuts them at the default 10 s, 10,000 arrive again
        // at once, more than a debug build accepts on a loaded 2-core CI machine in the time a
        // court's connect waits (its SYN queues behind them); `bench hostile` measures the
        // release build under that churn at the default deadlines.
        // (The idle timeout, 60 s by default, would otherwise cut them first, without a word.)
        // Deferred accept off and no spread: the hub itself holds the 10,000 (an attacker that
        // sends one byte per connection gets past the kernel's deferral anyway), each closed at
        // exactly its deadline. The test above covers the deferral.
        try h.startHub(environment: Self.heldAttack)
        let hubPID = try #require(h.server?.processIdentifier)
        let courts = ["410802", "410803", "410811"]
        var nodes: [String: String] = [:]
        for court in courts {
            nodes[court] = try h.enrolledNode(court)
            try h.record(nodes[court]!, court: court, count: 30, online: 20)
        }
        // 9,500 idle from 250 addresses, 500 from one, a 1,000-connection slowloris from 10.
        let load = try HostileLoad(shape: Self.scale, port: h.port, caFile: "\(h.hub)/tls/ca.pem")
        try load.start()
        load.stopSustaining()
        defer { load.stop() }
        // The hub holds them: 9,500 + 128 from the one address + 1,000 slow, less any already cut.
        let holding = Self.waitUntil { (ProcessMemory.openFiles(hubPID) ?? 0) >= 9_500 }
        #expect(holding, "the hub holds \(ProcessMemory.openFiles(hubPID) ?? 0) descriptors, not the 10,000 connections")
        for round in 0..<2 {
            for court in courts {
                if round == 1 { try h.record(nodes[court]!, court: court, count: 20, online: 10, from: 31) }
                let sync = try h.run(["node", "sync", "--dir", nodes[court]!])
                #expect(sync.status == 0 && sync.stdout.contains("lag 0"), "\(court) round \(round + 1): \(sync.output)")
            }
        }
        // The load was there throughout: nothing re-opens, and the hub still holds it.
        #expect((ProcessMemory.openFiles(hubPID) ?? 0) >= 9_500, "the hub holds \(ProcessMemory.openFiles(hubPID) ?? 0) descriptors after the syncs")
        let memory = ProcessMemory.of(hubPID)
        #expect(memory.resident > 0 && memory.peak < Self.memoryBound, "the hub's peak RSS is \(memory.peak / 1_048_576) MB under the load")
        // Every event once: each court's log at the hub ends at the node's 50th event, chained.
        for court in courts {
            #expect(try h.hubSeq(court) == 50, "\(court)")
            let (status, body) = try h.curl("/v1/nodes/\(court)/events?from=1&limit=100", node: nodes[court]!)
            let seqs = body.split(separator: "\n").compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["seq"] as? Int
            }
            #expect(status == 200 && seqs == Array(1...50), "\(court): \(status), seqs \(seqs.prefix(5))… (\(seqs.count))")
        }
        // Every hostile connection is closed by the hub (handshake and request head 90 s here;
        // waited on with a generous deadline).
        let closed = Self.waitUntil(within: 90 + 60) { load.idleOpen == 0 && load.slowOpen == 0 }
        #expect(closed, "still open: \(load.idleOpen) idle, \(load.slowOpen) slow")
        #expect(load.slowAnswered408 > 0, "slow requests are answered 408 before they are closed")
        let log = String(decoding: FileManager.default.contents(atPath: h.path("hub.log")) ?? Data(), as: UTF8.self)
        #expect(log.contains("open-file limit"), "the hub logs the open-file limit it got")
        #expect(log.contains("more than 128 connections from one address"))
        #expect(log.contains("no TLS handshake within 90 s") && log.contains("the request head did not arrive within 90 s"))
        // And the hub still serves, with its memory back under the bound.
        try h.record(nodes["410802"]!, court: "410802", count: 5, online: 5, from: 51)
        #expect(try h.run(["node", "sync", "--dir", nodes["410802"]!]).status == 0)
        #expect(try h.hubSeq("410802") == 55)
    }

    @Test func aFullHubClosesTheOldestConnectionWithoutARequestSoACourtStillGetsIn() throws {
        var h = try SyncHarness(); defer { h.remove() }
        // 300 connections at most; handshakes may take 60 s: only making room frees a slot.
        try h.startHub(environment: ["COURTSYNC_MAX_CONNECTIONS": "300", "COURTSYNC_HANDSHAKE_TIMEOUT": "60"])
        let jf = try h.enrolledNode("410802")
        try h.record(jf, court: "410802", count: 5, online: 5)
        let shape = HostileLoad.Shape(idle: 400, idleSources: HostileLoad.Shape.addresses(prefix: "127.0.0.", count: 20, from: 2),
                                      idleFromOne: 0, oneSource: "127.0.1.1", slowloris: 0, slowSources: [])
        let load = try HostileLoad(shape: shape, port: h.port, caFile: "\(h.hub)/tls/ca.pem")
        try load.start()
        load.stopSustaining()
        defer { load.stop() }
        // 400 arrived at a hub that holds 300: the 100 oldest are closed as the newest came.
        #expect(Self.waitUntil { load.idleOpen <= 300 }, "\(load.idleOpen) idle connections are open at a hub that holds 300")
        let sync = try h.run(["node", "sync", "--dir", jf])
        #expect(sync.status == 0, "\(sync.output)")
        #expect(try h.hubSeq("410802") == 5)
        let log = String(decoding: FileManager.default.contents(atPath: h.path("hub.log")) ?? Data(), as: UTF8.self)
        #expect(log.contains("300 connections open: the oldest without a request makes room"))
    }

    @Test func theConnectionCapStaysBelowTheOpenFileLimit() {
        // A tenth of the descriptors (at least 124) stay for the databases and files.
        #expect(OpenFileLimit(before: 1_024, soft: 1_024, hard: 1_024).connectionCap == 900)          // 1,024 − 124
        #expect(OpenFileLimit(before: 1_024, soft: 65_536, hard: 65_536).connectionCap == 58_983)    // 65,536 − 6,553
        #expect(OpenFileLimit(before: 1_024, soft: 1_024, hard: 1_024).advice?.contains("LimitNOFILE=65536") == true)
        #expect(OpenFileLimit(before: 1_024, soft: 65_536, hard: 65_536).advice == nil)
        let low = OpenFileLimit(before: 1_024, soft: 1_024, hard: 1_024)
        #expect(ConnectionLimits.fromEnvironment([:], files: low).total == 900)
        #expect(ConnectionLimits.fromEnvironment(["COURTSYNC_MAX_CONNECTIONS": "5000"], files: low).total == 900, "never above the file limit's room")
        #expect(ConnectionLimits.fromEnvironment(["COURTSYNC_MAX_CONNECTIONS": "300"], files: low).total == 300)
        let high = OpenFileLimit(before: 1_024, soft: 1_048_576, hard: 1_048_576)
        #expect(ConnectionLimits.fromEnvironment([:], files: high).total == ConnectionLimits.defaultCeiling)
    }

    /// Per replica, half the issue's scale: two replicas' attackers live in this one test
    /// process, and 2 × 11,000 connections would need more than the 20,000 descriptors a CI
    /// container commonly allows (`ulimit -Hn`); each replica still gets 5,000 idle and 500 slow.
    static let perReplica = HostileLoad.Shape(idle: 4_750, idleSources: HostileLoad.Shape.addresses(prefix: "127.0.0.", count: 125, from: 2),
                                              idleFromOne: 250, oneSource: "127.0.1.1",
                                              slowloris: 500, slowSources: HostileLoad.Shape.addresses(prefix: "127.0.2.", count: 5, from: 1))

    @Test(.enabled(if: HostileLoad.raiseOpenFileLimit(toHold: 2 * perReplica.total), "needs an open-file hard limit above 11,256 (ulimit -Hn)"))
    func twoReplicasOnPostgresKeepEveryEventWhileBothAreUnderHostileLoad() throws {
        let database = try PostgresCluster.database()
        var h = try SyncHarness(database: database); defer { h.remove() }
        // Held past the courts' syncs, as in the test above (90 s deadlines, accepted at once).
        let deadlines = Self.heldAttack
        try h.startHub(environment: deadlines)
        let port2 = SyncHarness.freePort()
        let second = try Self.startReplica(h, port: port2, environment: deadlines)
        defer { kill(second.processIdentifier, SIGKILL); second.waitUntilExit() }
        let pids = [try #require(h.server?.processIdentifier), second.processIdentifier]
        let courts = ["410802", "410803", "410811"]
        var nodes: [String: String] = [:]
        for court in courts { nodes[court] = try h.enrolledNode(court) }
        let loads = try [h.port, port2].map { try HostileLoad(shape: Self.perReplica, port: $0, caFile: "\(h.hub)/tls/ca.pem") }
        for load in loads { try load.start(); load.stopSustaining() }
        defer { for load in loads { load.stop() } }
        for pid in pids {
            #expect(Self.waitUntil { (ProcessMemory.openFiles(pid) ?? 0) >= 5_000 }, "replica \(pid) holds \(ProcessMemory.openFiles(pid) ?? 0) descriptors")
        }
        // Each court syncs four times, 10 filings each, alternating replicas (court by court).
        for round in 0..<4 {
            for (i, court) in courts.enumerated() {
                try h.record(nodes[court]!, court: court, count: 10, online: 5, from: 1 + round * 10)
                try h.pointNode(nodes[court]!, at: (round + i) % 2 == 0 ? h.port : port2)
                let sync = try h.run(["node", "sync", "--dir", nodes[court]!])
                #expect(sync.status == 0 && sync.stdout.contains("lag 0"), "\(court) round \(round + 1): \(sync.output)")
            }
        }
        for pid in pids {
            #expect((ProcessMemory.openFiles(pid) ?? 0) >= 4_500, "replica \(pid) holds \(ProcessMemory.openFiles(pid) ?? 0) descriptors after the syncs")
            let memory = ProcessMemory.of(pid)
            #expect(memory.peak < Self.memoryBound, "replica \(pid): peak RSS \(memory.peak / 1_048_576) MB under the load")
        }
        // In the database: each court's 40 events once, and a tree leaf for each.
        #expect(try PostgresCluster.psql(database, "SELECT court, COUNT(*), COUNT(DISTINCT seq), MIN(seq), MAX(seq) FROM event WHERE court <> '410800' GROUP BY court ORDER BY court")
                == "410802|40|40|1|40\n410803|40|40|1|40\n410811|40|40|1|40")
        #expect(try PostgresCluster.psql(database, """
            SELECT COUNT(*) FROM event e LEFT JOIN tlog_entry t ON t.court = e.court AND t.seq = e.seq WHERE t.idx IS NULL
            """) == "0")
        #expect(Self.waitUntil(within: 90 + 60) { loads.allSatisfy { $0.idleOpen == 0 && $0.slowOpen == 0 } },
                "still open: \(loads.map { "\($0.idleOpen) idle, \($0.slowOpen) slow" })")
    }

    /// A second `hub serve` of `h`'s hub directory on `port` (PostgreSQL), with `environment`.
    static func startReplica(_ h: SyncHarness, port: Int, environment: [String: String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["--default-signal=TERM,INT"] + environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            + [SyncHarness.binary, "hub", "serve", "--dir", h.hub, "--host", "127.0.0.1", "--port", "\(port)", "--projection", h.path("replica2.sqlite")]
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        let log = h.path("replica-\(port).log")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        p.standardError = FileHandle(forWritingAtPath: log)
        try p.run()
        #expect(waitUntil { SyncHarness.canConnect(port) }, "the replica did not start on \(port): \(String(decoding: FileManager.default.contents(atPath: log) ?? Data(), as: UTF8.self))")
        return p
    }
}
