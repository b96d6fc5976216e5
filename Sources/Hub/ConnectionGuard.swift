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
/// cannot use up the server; a connection idle between requests is closed after `idleTimeout`.
public struct ConnectionLimits: Sendable {
    public var handshakeTimeout: TimeAmount
    public var idleTimeout: TimeAmount
    public var perAddress: Int
    /// Connections open at once in all; past it the server stops accepting (they wait in the
    /// listen backlog), below the usual 1,024 open-file limit.
    public var total: Int

    public init(handshakeTimeout: TimeAmount = .seconds(10), idleTimeout: TimeAmount = .seconds(60), perAddress: Int = 128, total: Int = 900) {
        self.handshakeTimeout = handshakeTimeout
        self.idleTimeout = idleTimeout
        self.perAddress = perAddress
        self.total = total
    }

    /// From the environment, for operators and tests: `COURTSYNC_HANDSHAKE_TIMEOUT` and
    /// `COURTSYNC_IDLE_TIMEOUT` (seconds), `COURTSYNC_MAX_CONNECTIONS_PER_ADDRESS`,
    /// `COURTSYNC_MAX_CONNECTIONS`.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> ConnectionLimits {
        var limits = ConnectionLimits()
        if let s = env["COURTSYNC_HANDSHAKE_TIMEOUT"].flatMap(Int64.init), s > 0 { limits.handshakeTimeout = .seconds(s) }
        if let s = env["COURTSYNC_IDLE_TIMEOUT"].flatMap(Int64.init), s > 0 { limits.idleTimeout = .seconds(s) }
        if let n = env["COURTSYNC_MAX_CONNECTIONS_PER_ADDRESS"].flatMap(Int.init), n > 0 { limits.perAddress = n }
        if let n = env["COURTSYNC_MAX_CONNECTIONS"].flatMap(Int.init), n > 0 { limits.total = n }
        return limits
    }
}

/// The open connections per client address, shared by every connection's guard.
final class ConnectionCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var open: [String: Int] = [:]
    private(set) var refused: Int = 0

    /// Counts a new connection from `address`, or refuses it when the address holds `cap` already.
    func admit(_ address: String, cap: Int) -> Bool {
        lock.withLock {
            if open[address, default: 0] >= cap { refused += 1; return false }
            open[address, default: 0] += 1
            return true
        }
    }

    func release(_ address: String) {
        lock.withLock {
            open[address, default: 1] -= 1
            if open[address] == 0 { open[address] = nil }
        }
    }

    var refusedCount: Int { lock.withLock { refused } }
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
        guard counter.admit(peer, cap: limits.perAddress) else {
            logger.warning("connection refused", metadata: ["address": "\(peer)", "reason": "more than \(limits.perAddress) connections from one address"])
            address = ""
            context.close(promise: nil)
            return
        }
        address = peer
        let channel = context.channel
        let timeout = limits.handshakeTimeout
        let logger = self.logger
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            logger.info("connection closed", metadata: ["address": "\(peer)", "reason": "no TLS handshake within \(timeout.nanoseconds / 1_000_000_000) s"])
            channel.close(promise: nil)
        }
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
        if let a = address, !a.isEmpty { counter.release(a) }
        address = ""
        context.fireChannelInactive()
    }
}

/// An HTTP/1 child channel with a ``ConnectionGuardHandler`` in front of it (after TLS), and
/// request deadlines (RequestDeadline.swift) around its HTTP decoder.
struct GuardedHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = HTTP1Channel.Value
    let base: HTTP1Channel
    let counter: ConnectionCounter
    let limits: ConnectionLimits
    let timeouts: RequestTimeouts
    let logger: Logger

    var responder: HTTPChannelHandler.Responder { base.responder }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(ConnectionGuardHandler(counter: counter, limits: limits, logger: self.logger))
            try channel.pipeline.syncOperations.addHandler(RequestBytesHandler(timeouts: timeouts, logger: self.logger))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 over TLS with the hub's connection limits.
    static func guardedTLS(tlsConfiguration: TLSConfiguration, limits: ConnectionLimits, timeouts: RequestTimeouts,
                           counter: ConnectionCounter, logger: Logger) throws -> HTTPServerBuilder {
        .init { responder in
            let http = HTTP1Channel(responder: responder, configuration: .init(additionalChannelHandlers: [RequestPartsHandler()], idleTimeout: limits.idleTimeout))
            return try TLSChannel(GuardedHTTP1Channel(base: http, counter: counter, limits: limits, timeouts: timeouts, logger: logger),
                                  tlsConfiguration: tlsConfiguration)
        }
    }
}
