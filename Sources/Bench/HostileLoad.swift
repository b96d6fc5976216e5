import Foundation
import NIOCore
import NIOPosix
import NIOSSL
#if canImport(Glibc)
import Glibc
#endif

/// Hostile load on a hub (issue 13): TCP connections that never send a byte, and a slowloris
/// (TLS connections that send a request head a byte at a time and never finish it), from many
/// loopback source addresses (127.0.0.x: Linux answers for the whole 127/8). For
/// `courtsync bench hostile` and the tests; one thread for all, no thread per connection.
public final class HostileLoad: @unchecked Sendable {
    /// How many connections, from where.
    public struct Shape: Sendable {
        /// Idle connections spread evenly over `idleSources`, and `idleFromOne` more from `oneSource`.
        public var idle: Int
        public var idleSources: [String]
        public var idleFromOne: Int
        public var oneSource: String
        /// Slowloris connections spread evenly over `slowSources`.
        public var slowloris: Int
        public var slowSources: [String]

        public init(idle: Int, idleSources: [String], idleFromOne: Int, oneSource: String, slowloris: Int, slowSources: [String]) {
            self.idle = idle
            self.idleSources = idleSources
            self.idleFromOne = idleFromOne
            self.oneSource = oneSource
            self.slowloris = slowloris
            self.slowSources = slowSources
        }

        /// The issue's scale: 10,000 idle (9,500 from 250 addresses, 38 each, under the hub's
        /// per-address cap; 500 from one address, over it) and a 1,000-connection slowloris from
        /// 10 addresses. The courts' nodes connect from 127.0.0.1, which none of these use.
        public static func issueScale(idle: Int = 10_000, slowloris: Int = 1_000) -> Shape {
            let fromOne = idle / 20
            return Shape(idle: idle - fromOne, idleSources: addresses(prefix: "127.0.0.", count: 250, from: 2),
                         idleFromOne: fromOne, oneSource: "127.0.1.1",
                         slowloris: slowloris, slowSources: addresses(prefix: "127.0.2.", count: 10, from: 1))
        }

        public static func addresses(prefix: String, count: Int, from first: Int) -> [String] {
            (0..<count).map { "\(prefix)\(first + $0)" }
        }

        public var total: Int { idle + idleFromOne + slowloris }
    }

    public let shape: Shape
    public let port: Int
    /// While true, a connection the hub closes is opened again at once: the load is sustained.
    private let lock = NSLock()
    private var sustaining = true
    private var stopped = false
    private var idle: [(fd: Int32, source: String, opened: NIODeadline)] = []
    private var slow: [Channel] = []
    /// How much of the head each slow connection has sent: a connection opened again starts its
    /// own head from the first byte (were it to join mid-head, the hub would refuse its first
    /// bytes at once and the load would become a flood of TLS handshakes, not a slowloris).
    private var slowSent: [ObjectIdentifier: Int] = [:]
    private var slowOpened = 0
    private var answered408 = 0
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let tls: NIOSSLContext
    private var drip: RepeatedTask?
    private var keeper: RepeatedTask?
    /// The head the slow clients send, one byte per `dripInterval`, never reaching its end.
    static let head = Array("GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".utf8) + Array(repeating: UInt8(ascii: "a"), count: 100_000)

    /// Needs the descriptors for every connection of `shape`: call ``raiseOpenFileLimit(toHold:)`` first.
    public init(shape: Shape, port: Int, caFile: String) throws {
        self.shape = shape
        self.port = port
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .file(caFile)
        tls = try NIOSSLContext(configuration: configuration)
    }

    /// Raises this process's soft open-file limit to its hard one; whether it holds `count`
    /// descriptors beyond a margin of 256 for everything else.
    public static func raiseOpenFileLimit(toHold count: Int) -> Bool {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return false }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max == rlim_t.max ? rlim_t(1_048_576) : limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur == rlim_t.max || Int(clamping: limit.rlim_cur) >= count + 256
    }

    /// Opens every connection of the shape, and keeps them open (re-opening what the hub closes)
    /// until ``stopSustaining()``.
    public func start(dripInterval: TimeAmount = .seconds(1)) throws {
        var sources: [String] = []
        for i in 0..<shape.idle { sources.append(shape.idleSources[i % shape.idleSources.count]) }
        sources += Array(repeating: shape.oneSource, count: shape.idleFromOne)
        for source in sources {
            if let fd = Self.connect(from: source, to: port) { lock.withLock { idle.append((fd, source, .now())) } }
        }
        var opening: [EventLoopFuture<Void>] = []
        for i in 0..<shape.slowloris { opening.append(openSlow(from: shape.slowSources[i % shape.slowSources.count])) }
        for f in opening { try? f.wait() }
        let loop = group.next()
        drip = loop.scheduleRepeatedTask(initialDelay: dripInterval, delay: dripInterval) { [self] _ in
            let sending: [(Channel, UInt8)] = lock.withLock {
                slow.filter(\.isActive).map { channel in
                    let sent = slowSent[ObjectIdentifier(channel), default: 0]
                    slowSent[ObjectIdentifier(channel)] = sent + 1
                    return (channel, Self.head[min(sent, Self.head.count - 1)])
                }
            }
            for (channel, byte) in sending { channel.writeAndFlush(ByteBuffer(bytes: [byte]), promise: nil) }
        }
        keeper = loop.scheduleRepeatedTask(initialDelay: .milliseconds(500), delay: .milliseconds(500)) { [self] _ in reopenIdle() }
    }

    /// From now on a connection the hub closes stays closed.
    public func stopSustaining() {
        lock.withLock { sustaining = false }
        keeper?.cancel()
    }

    /// Idle connections the hub has not closed yet.
    public var idleOpen: Int {
        lock.withLock { idle.filter { !Self.closedByServer($0.fd) }.count }
    }

    /// Slow connections still open, and how many of all ever opened were answered 408.
    public var slowOpen: Int { lock.withLock { slow.filter(\.isActive).count } }
    public var slowAnswered408: Int { lock.withLock { answered408 } }
    public var slowEverOpened: Int { lock.withLock { slowOpened } }

    /// Closes everything this side still holds.
    public func stop() {
        guard lock.withLock({ () -> Bool in defer { stopped = true }; return !stopped }) else { return }
        stopSustaining()
        drip?.cancel()
        let (fds, channels) = lock.withLock { () -> ([Int32], [Channel]) in
            defer { idle = []; slow = []; slowSent = [:] }
            return (idle.map(\.fd), slow)
        }
        for fd in fds { close(fd) }
        for c in channels { c.close(promise: nil) }
        try? group.syncShutdownGracefully()
    }

    /// Replaces idle connections the hub closed with new ones from the same address, each at
    /// most once a second (one refused at once is not retried in a busy loop: that would be a
    /// SYN flood, which is the kernel's and the firewall's to stop, not the hub's).
    private func reopenIdle() {
        let now = NIODeadline.now()
        let closed: [(Int, String)] = lock.withLock {
            guard sustaining else { return [] }
            return idle.enumerated().filter { now - $0.element.opened >= .seconds(1) && Self.closedByServer($0.element.fd) }
                .map { ($0.offset, $0.element.source) }
        }
        for (i, source) in closed {
            // ``stop()`` may empty the list meanwhile (it closes what is there).
            guard let old = lock.withLock({ sustaining && i < idle.count ? idle[i].fd : nil }) else { return }
            close(old)
            let fd = Self.connect(from: source, to: port) ?? -1
            let kept = lock.withLock { () -> Bool in
                guard sustaining, i < idle.count else { return false }
                idle[i] = (fd, source, now)
                return true
            }
            if !kept, fd >= 0 { close(fd) }
        }
    }

    private func openSlow(from source: String) -> EventLoopFuture<Void> {
        let tls = self.tls
        let seen = SlowReply()
        let future = ClientBootstrap(group: group)
            .channelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .bind(to: try! SocketAddress(ipAddress: source, port: 0))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: "localhost"))
                    try channel.pipeline.syncOperations.addHandler(seen)
                }
            }
            .connect(host: "127.0.0.1", port: port)
        return future.map { [self] channel in
            lock.withLock { slow.append(channel); slowOpened += 1 }
            channel.closeFuture.whenComplete { [self] _ in
                let again = lock.withLock { () -> Bool in
                    if seen.was408 { answered408 += 1 }
                    slow.removeAll { $0 === channel }
                    slowSent[ObjectIdentifier(channel)] = nil
                    return sustaining
                }
                if again { _ = openSlow(from: source) }
            }
        }
    }

    /// A TCP connection from `source` to the hub, connect started without waiting (non-blocking).
    static func connect(from source: String, to port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return nil }
        var one: Int32 = 1
        // The port is chosen at connect, per destination: 40 connections per source never run out.
        setsockopt(fd, Int32(IPPROTO_IP), 24 /* IP_BIND_ADDRESS_NO_PORT */, &one, socklen_t(MemoryLayout<Int32>.size))
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(source)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_addr.s_addr = inet_addr("127.0.0.1")
        remote.sin_port = UInt16(port).bigEndian
        let bound = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
        let started = bound && withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0 || errno == EINPROGRESS
        if !bound || !started { close(fd); return nil }
        return fd
    }

    /// Whether the hub has closed the connection (EOF, reset or refused), without blocking.
    static func closedByServer(_ fd: Int32) -> Bool {
        guard fd >= 0 else { return true }
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }
}

/// Whether a slow connection was answered 408 before it closed.
final class SlowReply: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private let lock = NSLock()
    private var first: [UInt8] = []
    var was408: Bool { lock.withLock { first.starts(with: Array("HTTP/1.1 408".utf8)) } }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        lock.withLock { if first.count < 12 { first += buffer.readableBytesView.prefix(12 - first.count) } }
    }
}

/// A process's memory from /proc/PID/status: resident now and its peak (bytes), 0 where there is no /proc.
public enum ProcessMemory {
    public static func of(_ pid: Int32) -> (resident: Int, peak: Int) {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return (0, 0) }
        func field(_ name: String) -> Int {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
            return (Int(line.split(separator: " ").dropFirst().first { !$0.isEmpty }.map { String($0) } ?? "") ?? 0) * 1_024
        }
        return (field("VmRSS"), field("VmHWM"))
    }

    /// Open descriptors of a process (entries of /proc/PID/fd), or nil where there is no /proc.
    public static func openFiles(_ pid: Int32) -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count
    }
}
