import CanonicalJSON
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
import SyncProtocol

/// Deadlines for a request once TLS is up (issue 13, hostile load): a client that sends its
/// request head byte by byte (slowloris) never goes idle, so the idle timeout never cuts it. The
/// whole head must arrive within `head` of its first byte, and the body at `minBodyRate` bytes a
/// second on average once `head` has passed; otherwise the hub answers 408 `request-timeout` and
/// closes the connection. The time the hub itself takes to answer is not counted.
public struct RequestTimeouts: Sendable {
    public var head: TimeAmount
    public var minBodyRate: Int

    public init(head: TimeAmount = .seconds(30), minBodyRate: Int = 1024) {
        self.head = head
        self.minBodyRate = minBodyRate
    }

    /// `COURTSYNC_REQUEST_HEAD_TIMEOUT` (seconds) and `COURTSYNC_MIN_BODY_RATE` (bytes a second).
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> RequestTimeouts {
        var t = RequestTimeouts()
        if let s = env["COURTSYNC_REQUEST_HEAD_TIMEOUT"].flatMap(Int64.init), s > 0 { t.head = .seconds(s) }
        if let n = env["COURTSYNC_MIN_BODY_RATE"].flatMap(Int.init), n > 0 { t.minBodyRate = n }
        return t
    }
}

/// Watches the raw bytes of a connection, below the HTTP decoder: the first byte of a request
/// starts its deadline. ``RequestPartsHandler``, above the decoder, tells it when the head and
/// the body are complete and when the answer has gone out. Both run on the channel's event loop.
final class RequestBytesHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    enum Phase {
        /// Between requests: the idle timeout applies.
        case idle
        /// The head is arriving since `since`.
        case head(since: NIODeadline)
        /// The body is arriving since `since`; `received` bytes so far.
        case body(since: NIODeadline, received: Int)
        /// The hub is answering; `pending` when the next request's bytes already came.
        case answering(pending: Bool)
    }

    let timeouts: RequestTimeouts
    let logger: Logger
    /// Called when a whole request has arrived (the connection is no longer closed to make room).
    let onRequest: () -> Void
    private var phase = Phase.idle
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(timeouts: RequestTimeouts, logger: Logger, onRequest: @escaping () -> Void = {}) {
        self.timeouts = timeouts
        self.logger = logger
        self.onRequest = onRequest
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch phase {
        case .idle: startHead()
        case .answering: phase = .answering(pending: true)
        case .head, .body: break
        }
        context.fireChannelRead(data)
    }

    private func startHead() {
        phase = .head(since: .now())
        schedule(after: timeouts.head)
    }

    /// The decoder produced the request head.
    func headReceived() {
        phase = .body(since: .now(), received: 0)
        schedule(after: .seconds(1))
    }

    func bodyReceived(_ bytes: Int) {
        if case .body(let since, let received) = phase { phase = .body(since: since, received: received + bytes) }
    }

    /// The request is complete: the hub's own time is not counted.
    func requestReceived() {
        timer?.cancel()
        timer = nil
        phase = .answering(pending: false)
        onRequest()
    }

    /// The answer went out: a request whose bytes already came starts its deadline now.
    func answered() {
        timer?.cancel()
        timer = nil
        if case .answering(true) = phase { startHead() } else { phase = .idle }
    }

    private func schedule(after delay: TimeAmount) {
        timer?.cancel()
        guard let context else { return }
        let this = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: delay) { this.value.check() }
    }

    private func check() {
        let now = NIODeadline.now()
        switch phase {
        case .head(let since):
            if now - since >= timeouts.head { cut("the request head did not arrive within \(timeouts.head.nanoseconds / 1_000_000_000) s") }
            else { schedule(after: timeouts.head - (now - since)) }
        case .body(let since, let received):
            let elapsed = now - since
            let owed = Int64(timeouts.minBodyRate) * max(0, (elapsed - timeouts.head).nanoseconds) / 1_000_000_000
            if Int64(received) < owed { cut("the request body arrived slower than \(timeouts.minBodyRate) bytes a second") }
            else { schedule(after: .seconds(1)) }
        case .idle, .answering:
            break
        }
    }

    /// Answers 408 and closes the connection.
    private func cut(_ why: String) {
        guard let context else { return }
        phase = .idle
        let peer = context.channel.remoteAddress?.ipAddress ?? "unknown"
        logger.info("connection closed", metadata: ["address": "\(peer)", "reason": "\(why)"])
        let refusal = HubRefusal(.requestTimeout, "\(why): send the whole request at once, then retry")
        let body = CanonicalEncoder.encode(refusal.json) + [0x0A]
        var out = context.channel.allocator.buffer(capacity: body.count + 128)
        out.writeString("HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: \(body.count)\r\n\r\n")
        out.writeBytes(body)
        let channel = context.channel
        context.writeAndFlush(NIOAny(out)).whenComplete { _ in channel.close(promise: nil) }
    }
}

/// Above the HTTP decoder: tells the connection's ``RequestBytesHandler`` where a request stands.
final class RequestPartsHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var bytes: RequestBytesHandler?

    func handlerAdded(context: ChannelHandlerContext) {
        bytes = try? context.pipeline.syncOperations.handler(type: RequestBytesHandler.self)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: bytes?.headReceived()
        case .body(let buffer): bytes?.bodyReceived(buffer.readableBytes)
        case .end: bytes?.requestReceived()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { bytes?.answered() }
        context.write(data, promise: promise)
    }
}
