import Crypto
import Foundation
import Synchronization

/// The dashboard's server-side state: browser sessions made by the login form, and the feed
/// that tells open pages a sync has landed (server-sent events).
final class DashboardLive: Sendable {
    struct Session { let name: String; let expires: Int64 }
    private let sessions = Mutex([String: Session]())
    private let listeners = Mutex([UUID: AsyncStream<String>.Continuation]())

    /// How long a login lasts.
    static let sessionSeconds: Int64 = 12 * 3600

    /// A new session for an auditor; the id is 32 random bytes, in hex.
    func openSession(name: String, now: Int64) -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
        let id = bytes.map { String(format: "%02x", $0) }.joined()
        sessions.withLock { s in
            s = s.filter { $0.value.expires > now }
            s[id] = Session(name: name, expires: now + Self.sessionSeconds)
        }
        return id
    }

    func session(_ id: String, now: Int64) -> String? {
        sessions.withLock { s in
            guard let session = s[id] else { return nil }
            guard session.expires > now else { s[id] = nil; return nil }
            return session.name
        }
    }

    func closeSession(_ id: String) { _ = sessions.withLock { $0.removeValue(forKey: id) } }

    /// Subscribes to syncs; each element is the court whose push was stored (or a keep-alive "").
    func subscribe() -> (UUID, AsyncStream<String>) {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(16))
        let id = UUID()
        listeners.withLock { $0[id] = continuation }
        return (id, stream)
    }

    func send(_ text: String, to id: UUID) { _ = listeners.withLock { $0[id] }?.yield(text) }

    func unsubscribe(_ id: UUID) { listeners.withLock { $0.removeValue(forKey: id) }?.finish() }

    /// Tells every open page that `court`'s push was stored.
    func announce(_ court: String) {
        for c in listeners.withLock({ Array($0.values) }) { c.yield(court) }
    }

    var listenerCount: Int { listeners.withLock { $0.count } }
}
