import Foundation
import NIOSSL
import NodeStore
import PostgresNIO

/// Where the hub's PostgreSQL is: `postgres://user[:password]@host[:port]/database`, with
/// `?host=/socket/dir` for a Unix socket (as libpq reads it) and `?sslmode=disable|prefer|require`.
/// A password is never printed: ``redacted`` is what messages and logs show.
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    public let text: String
    public let user: String
    let password: String?
    public let host: String
    public let port: Int
    public let database: String
    /// The directory of the server's Unix socket, when given as `?host=/dir`.
    public let socketDirectory: String?
    public let sslMode: String

    /// Parses `text`, saying what is wrong with it (never echoing a password).
    public init(_ text: String) throws {
        self.text = text
        guard let components = URLComponents(string: text), let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme) else {
            throw StoreError("--database must be a URL like postgres://courtsync@db.example:5432/courtsync, not '\(Self.redact(text))'")
        }
        guard let user = components.user, !user.isEmpty else {
            throw StoreError("the database URL \(Self.redact(text)) names no user: write postgres://USER@HOST:PORT/DATABASE")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw StoreError("the database URL \(Self.redact(text)) names no database: end it with /DATABASE, e.g. postgres://\(user)@localhost:5432/courtsync")
        }
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { a, _ in a })
        if let unknown = query.keys.first(where: { !["host", "sslmode"].contains($0) }) {
            throw StoreError("the database URL's parameter '\(unknown)' is not understood: CourtSync reads only host (a socket directory) and sslmode")
        }
        let sslMode = query["sslmode"] ?? "disable"
        guard ["disable", "prefer", "require"].contains(sslMode) else {
            throw StoreError("sslmode=\(sslMode) is not understood: use disable, prefer or require")
        }
        self.user = user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "localhost"
        self.port = components.port ?? 5432
        self.database = database
        self.socketDirectory = query["host"].flatMap { $0.hasPrefix("/") ? $0 : nil }
        self.sslMode = sslMode
    }

    /// The URL with any password replaced by `***`: the only form that reaches a message or a log.
    public var redacted: String { Self.redact(text) }
    public var description: String { redacted }

    static func redact(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@"), let scheme = text.range(of: "://"), scheme.upperBound < at else { return text }
        let userinfo = text[scheme.upperBound..<at]
        guard let colon = userinfo.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }

    /// PostgresNIO's configuration for this URL.
    func configuration() throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let dir = socketDirectory {
            configuration = .init(unixSocketPath: "\(dir)/.s.PGSQL.\(port)", username: user, password: password ?? ProcessInfo.processInfo.environment["PGPASSWORD"], database: database)
        } else {
            let tls: PostgresConnection.Configuration.TLS
            switch sslMode {
            case "require": tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case "prefer": tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            default: tls = .disable
            }
            configuration = .init(host: host, port: port, username: user, password: password ?? ProcessInfo.processInfo.environment["PGPASSWORD"], database: database, tls: tls)
        }
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }
}
