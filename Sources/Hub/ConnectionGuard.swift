import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// Limits that keep misbehaving peers from locking the courts out (issue 13, hostile load): a
/// connection that has not finished its TLS handshake within `handshakeTimeout` is closed, so
/// TCP connections that send nothing (no certificate, no credentials) cannot hold file
/// descriptors; one client address may hold at most `perAddress` connections, so a single host
/// cannot use up the server; a connection idle between requests is closed after `idleTimeout`;
/// at most `total` are open at once, below the open-file limit, so the hub never runs out of
/// descriptors for its databases.
public struct ConnectionLimits: Sendable {
    public var handshakeTimeout: TimeAmount
    /// Each connection's handshake deadline is `handshakeTimeout` plus a random share of this:
    /// connections opened in the same second (a flood) are not all closed in the same second, so
    /// a flood that comes back as soon as it is closed arrives spread out, not as one burst that
    /// the court's connection queues behind (issue 13).
    public var handshakeSpread: TimeAmount
    public var idleTimeout: TimeAmount
    public var perAddress: Int
    /// Connections open at once in all. When a new one arrives with `total` open, the oldest
    /// connection that has not yet sent a whole request is closed to make room (a flood of idle
    /// or slow connections cannot keep a court out), or the new one if every open connection has.
    public var total: Int

    public init(handshakeTimeout: TimeAmount = .seconds(10), handshakeSpread: TimeAmount? = nil, idleTimeout: TimeAmount = .seconds(60),
                perAddress: Int = 128, total: Int = 900) {
        self.handshakeTimeout = handshakeTimeout
        self.handshakeSpread = handshakeSpread ?? .nanoseconds(handshakeTimeout.nanoseconds / 2)
        self.idleTimeout = idleTimeout
        self.perAddress = perAddress
        self.total = total
    }

    /// At most this many connections by default whatever the open-file limit: each costs memory
    /// (about 20 KB waiting for its handshake, measured; see the README's Performance section).
    public static let defaultCeiling = 20_000

    /// From the environment, for operators and tests: `COURTSYNC_HANDSHAKE_TIMEOUT`,
    /// `COURTSYNC_HANDSHAKE_SPREAD` (half the timeout unless set; 0 for none) and
    /// `COURTSYNC_IDLE_TIMEOUT` (seconds), `COURTSYNC_MAX_CONNECTIONS_PER_ADDRESS`,
    /// `COURTSYNC_MAX_CONNECTIONS` (never above what `files` leaves room for).
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment,
                                       files: OpenFileLimit = .usual) -> ConnectionLimits {
        var limits = ConnectionLimits(total: min(files.connectionCap, defaultCeiling))
        if let s = env["COURTSYNC_HANDSHAKE_TIMEOUT"].flatMap(Int64.init), s > 0 { limits.handshakeTimeout = .seconds(s); limits.handshakeSpread = .milliseconds(s * 500) }
        if let s = env["COURTSYNC_HANDSHAKE_SPREAD"].flatMap(Int64.init), s >= 0 { limits.handshakeSpread = .seconds(s) }
        if let s = env["COURTSYNC_IDLE_TIMEOUT"].flatMap(Int64.init), s > 0 { limits.idleTimeout = .seconds(s) }
        if let n = env["COURTSYNC_MAX_CONNECTIONS_PER_ADDRESS"].flatMap(Int.init), n > 0 { limits.perAddress = n }
        if let n = env["COURTSYNC_MAX_CONNECTIONS"].flatMap(Int.init), n > 0 { limits.total = min(n, files.connectionCap) }
        return limits
    }
}

/// The open connections, in all and per client address, shared by every connection's guard;
/// and those that have not yet sent a whole request, oldest first: the ones closed to make room.
final class ConnectionCounter: @unchecked Sendable {
    /// What became of a new connection.
    enum Admission {
        case admitted(evicting: Channel?)
        case overAddressCap
        case full
    }

    private let lock = NSLock()
    private var open: [String: Int] = [:]
    private var total = 0
    /// Connections without a whole request yet, by channel, with their arrival number; `arrivals`
    /// holds the same in arrival order (an entry whose connection has left is skipped when popped).
    private var unproven: [ObjectIdentifier: (channel: Channel, arrival: UInt64)] = [:]
    private var arrivals = CircularBuffer<(arrival: UInt64, id: ObjectIdentifier)>()
    private var nextArrival: UInt64 = 0
    private(set) var refused: Int = 0
    private(set) var evicted: Int = 0

    /// Counts a new connection from `address`; refuses it when the address holds `perAddress`
    /// already; when `total` are open, names the oldest unproven connection to close instead,
    /// or refuses the new one when there is none.
    func admit(_ channel: Channel, from address: String, perAddress: Int, total cap: Int) -> Admission {
        lock.withLock {
            if open[address, default: 0] >= perAddress { refused += 1; return .overAddressCap }
            var victim: Channel?
            if total >= cap {
                while let oldest = arrivals.popFirst() {
                    if let entry = unproven[oldest.id], entry.arrival == oldest.arrival {
                        unproven[oldest.id] = nil
                        victim = entry.channel
                        break
                    }
                }
                guard victim != nil else { refused += 1; return .full }
                evicted += 1
            }
            open[address, default: 0] += 1
            total += 1
            let id = ObjectIdentifier(channel)
            unproven[id] = (channel, nextArrival)
            arrivals.append((nextArrival, id))
            nextArrival += 1
            // Entries of connections that already left would pile up under a steady stream of
            // short ones: compact when they outnumber the live entries.
            if arrivals.count > 2 * unproven.count + 1_024 {
                arrivals = CircularBuffer(arrivals.filter { unproven[$0.id]?.arrival == $0.arrival })
            }
            return .admitted(evicting: victim)
        }
    }

    /// The connection sent a whole request: it is no longer closed to make room.
    func proven(_ channel: Channel) {
        lock.withLock { _ = unproven.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    func release(_ channel: Channel, from address: String) {
        lock.withLock {
            open[address, default: 1] -= 1
            if open[address] == 0 { open[address] = nil }
            total -= 1
            _ = unproven.removeValue(forKey: ObjectIdentifier(channel))
        }
    }

    var refusedCount: Int { lock.withLock { refused } }
    var openCount: Int { lock.withLock { total } }
}

/// Sits right after the TLS handler of each connection: admits or refuses it by address, and
/// closes it if the handshake has not completed in time.
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny

    let counter: ConnectionCounter
    let limits: ConnectionLimits
    let logger: Logger
    private var address: String?
    private var deadline: Scheduled<Void>?

    init(counter: ConnectionCounter, limits: ConnectionLimits, logger: Logger) {
        self.counter = counter
        self.limits = limits
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard address == nil else { return }
        // Bytes from the peer never reach the log: only the address, which the kernel gives.
        let peer = context.channel.remoteAddress?.ipAddress ?? "unknown"
        switch counter.admit(context.channel, from: peer, perAddress: limits.perAddress, total: limits.total) {
        case .overAddressCap:
            logger.warning("connection refused", metadata: ["address": "\(peer)", "reason": "more than \(limits.perAddress) connections from one address"])
            address = ""
            Self.reset(context.channel)
            return
        case .full:
            logger.warning("connection refused", metadata: ["address": "\(peer)", "reason": "\(limits.total) connections open, each with a request in hand (COURTSYNC_MAX_CONNECTIONS)"])
            address = ""
            Self.reset(context.channel)
            return
        case .admitted(let victim):
            if let victim {
                let old = victim.remoteAddress?.ipAddress ?? "unknown"
                logger.info("connection closed", metadata: ["address": "\(old)", "reason": "\(limits.total) connections open: the oldest without a request makes room"])
                Self.reset(victim)
            }
        }
        address = peer
        let channel = context.channel
        let timeout = limits.handshakeTimeout
        let spread = limits.handshakeSpread.nanoseconds > 0 ? TimeAmount.nanoseconds(.random(in: 0...limits.handshakeSpread.nanoseconds)) : .zero
        let logger = self.logger
        deadline = context.eventLoop.scheduleTask(in: timeout + spread) {
            logger.info("connection closed", metadata: ["address": "\(peer)", "reason": "no TLS handshake within \(timeout.nanoseconds / 1_000_000_000) s"])
            Self.reset(channel)
        }
    }

    /// Closes a connection that never finished its handshake with a reset (SO_LINGER 0): it has
    /// nothing in flight, and the hub keeps no TIME_WAIT state and sends no FIN for it.
    static func reset(_ channel: Channel) {
        guard let socket = channel as? SocketOptionProvider else { channel.close(promise: nil); return }
        socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls {
            deadline?.cancel()
            deadline = nil
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        if let a = address, !a.isEmpty { counter.release(context.channel, from: a) }
        address = ""
        context.fireChannelInactive()
    }
}

/// An HTTP/1-over-TLS child channel whose TLS handler is added only when the peer sends its
/// first bytes (``FirstBytesGate``): until then a connection holds no TLS state, whose read
/// buffer alone is 32 KB, so 10,000 connections that send nothing stay cheap (issue 13). In
/// order: the gate, TLS, a ``ConnectionGuardHandler`` (limits, handshake deadline), request
/// deadlines (RequestDeadline.swift), the HTTP decoder.
struct GuardedTLSChannel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = HTTP1Channel.Value
    let base: HTTP1Channel
    let tls: NIOSSLContext
    let counter: ConnectionCounter
    let limits: ConnectionLimits
    let timeouts: RequestTimeouts
    let logger: Logger

    var responder: HTTPChannelHandler.Responder { base.responder }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(FirstBytesGate(tls: tls))
            try channel.pipeline.syncOperations.addHandler(ConnectionGuardHandler(counter: counter, limits: limits, logger: self.logger))
            let counter = self.counter
            try channel.pipeline.syncOperations.addHandler(RequestBytesHandler(timeouts: timeouts, logger: self.logger, onRequest: { counter.proven(channel) }))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// First in a connection's pipeline: when the peer's first bytes arrive, puts the TLS server
/// handler right after itself and passes everything on from then.
final class FirstBytesGate: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    let tls: NIOSSLContext
    private var open = false

    init(tls: NIOSSLContext) { self.tls = tls }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !open {
            open = true
            do {
                try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls), position: .after(self))
            } catch {
                context.close(promise: nil)
                return
            }
        }
        context.fireChannelRead(data)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 over TLS with the hub's connection limits.
    static func guardedTLS(tlsConfiguration: TLSConfiguration, limits: ConnectionLimits, timeouts: RequestTimeouts,
                           counter: ConnectionCounter, logger: Logger) throws -> HTTPServerBuilder {
        let tls = try NIOSSLContext(configuration: tlsConfiguration)
        return .init { responder in
            let http = HTTP1Channel(responder: responder, configuration: .init(additionalChannelHandlers: [RequestPartsHandler()], idleTimeout: limits.idleTimeout))
            return GuardedTLSChannel(base: http, tls: tls, counter: counter, limits: limits, timeouts: timeouts, logger: logger)
        }
    }
}
