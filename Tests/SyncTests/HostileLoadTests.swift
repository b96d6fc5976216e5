import Foundation
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
}
