import Foundation
import Logging
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// How the hub's listening socket takes new connections (issue 13, hostile load), set once the
/// server listens.
///
/// `deferAccept` is Linux's TCP_DEFER_ACCEPT: the kernel does not hand a connection to the hub
/// until its first bytes arrive. A court's node sends its TLS hello at once, so it is accepted at
/// once with the hello already there; a connection that sends nothing stays in the kernel, costing
/// the hub no descriptor, no memory and no work. The kernel counts the wait in SYN-ACK
/// retransmissions (1, 2, 4, 8, 16 s…), so the seconds asked for are rounded up to 1, 3, 7, 15 or 31;
/// when that time is up it sends the SYN-ACK once more, the peer's ACK completes the connection and
/// the hub accepts it after all, and then closes it once the handshake deadline passes
/// (``ConnectionLimits/handshakeTimeout``). The kernel holds at most the listen backlog of these
/// (`net.core.somaxconn`, 4,096 by default): past that it answers with SYN cookies, which do not
/// defer, and the hub accepts the rest at once. Elsewhere than Linux, or when the kernel refuses
/// the option, the hub accepts as before.
///
/// `acceptBatch` is how many connections the event loop accepts each time the listening socket
/// is ready (SwiftNIO's default is 4): a burst is taken from the kernel's queue in fewer turns.
public struct ListeningSocket: Sendable, Equatable {
    public var deferAccept: Int
    public var acceptBatch: Int

    public init(deferAccept: Int = 10, acceptBatch: Int = 64) {
        self.deferAccept = deferAccept
        self.acceptBatch = acceptBatch
    }

    /// From the environment: `COURTSYNC_DEFER_ACCEPT` (seconds; 0 turns it off),
    /// `COURTSYNC_ACCEPT_BATCH`.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> ListeningSocket {
        var socket = ListeningSocket()
        if let s = env["COURTSYNC_DEFER_ACCEPT"].flatMap(Int.init), s >= 0 { socket.deferAccept = min(s, 600) }
        if let n = env["COURTSYNC_ACCEPT_BATCH"].flatMap(Int.init), n > 0 { socket.acceptBatch = min(n, 4_096) }
        return socket
    }

    /// Sets the options on the server's listening channel; one line for the hub's log saying what the kernel took.
    public func apply(to server: any Channel) async -> String {
        var said: [String] = []
        do {
            try await server.setOption(ChannelOptions.maxMessagesPerRead, value: UInt(acceptBatch)).get()
            said.append("accepts up to \(acceptBatch) connections at a time")
        } catch {
            said.append("accepts at SwiftNIO's default batch (\(error))")
        }
        #if os(Linux)
        let option = ChannelOptions.Types.SocketOption(level: .tcp, name: .init(rawValue: CInt(TCP_DEFER_ACCEPT)))
        do {
            try await server.setOption(option, value: deferAccept).get()
            // The kernel rounds the seconds up to whole SYN-ACK retransmissions: say what it took.
            let held = try await server.getOption(option).get()
            said.append(held > 0
                ? "a connection that sends nothing waits in the kernel for \(held) s before the hub accepts it (TCP_DEFER_ACCEPT, COURTSYNC_DEFER_ACCEPT)"
                : "every connection is accepted at once (COURTSYNC_DEFER_ACCEPT=0)")
        } catch {
            said.append("every connection is accepted at once: the kernel refused TCP_DEFER_ACCEPT (\(error))")
        }
        #endif
        return "listening socket: " + said.joined(separator: "; ")
    }
}
