import Foundation
import Logging
import NIOCore
import NodeStore
import PostgresNIO

/// A few open connections to the hub's PostgreSQL, used from blocking code.
///
/// The hub's store calls are synchronous (the routes run them off Swift's cooperative threads,
/// see `offload`), so each query waits for PostgresNIO's future on the calling thread. A
/// transaction holds one connection from BEGIN to COMMIT; a connection that failed is closed,
/// never handed out again.
final class PostgresPool: @unchecked Sendable {
    let url: DatabaseURL
    let configuration: PostgresConnection.Configuration
    let logger: Logger
    private let lock = NSLock()
    private var idle: [PostgresConnection] = []
    private var nextID = 1
    private var closed = false
    /// At most this many idle connections are kept.
    let keep = 16
    /// At most this many connections are open at once (`COURTSYNC_PG_CONNECTIONS`, default 20):
    /// a province's pushes wait here for a connection rather than exhaust the server's
    /// `max_connections` (100 by default, shared by every replica).
    let limit: Int
    private let slots: DispatchSemaphore

    init(url: DatabaseURL, logger: Logger = Logger(label: "courtsync.postgres")) throws {
        self.url = url
        self.configuration = try url.configuration()
        var logger = logger
        logger.logLevel = .critical
        self.logger = logger
        limit = max(1, Int(ProcessInfo.processInfo.environment["COURTSYNC_PG_CONNECTIONS"] ?? "") ?? 20)
        slots = DispatchSemaphore(value: limit)
    }

    deinit { closeAll() }

    func lease() throws -> PostgresConnection {
        slots.wait()
        do { return try open() } catch {
            slots.signal()
            throw error
        }
    }

    private func open() throws -> PostgresConnection {
        let (reused, id): (PostgresConnection?, Int) = lock.withLock {
            while let c = idle.popLast() { if !c.isClosed { return (c, 0) } }
            nextID += 1
            return (nil, nextID)
        }
        if let reused { return reused }
        do {
            return try PostgresConnection.connect(on: PostgresConnection.defaultEventLoopGroup.any(), configuration: configuration, id: id, logger: logger).wait()
        } catch {
            throw Self.describe(error, url: url, connecting: true)
        }
    }

    func release(_ connection: PostgresConnection, healthy: Bool) {
        defer { slots.signal() }
        let keepIt = lock.withLock { () -> Bool in
            guard healthy, !closed, !connection.isClosed, idle.count < keep else { return false }
            idle.append(connection)
            return true
        }
        if !keepIt { let closing: EventLoopFuture<Void> = connection.close(); closing.whenComplete { _ in withExtendedLifetime(connection) {} } }
    }

    func closeAll() {
        let all = lock.withLock { () -> [PostgresConnection] in
            closed = true
            defer { idle = [] }
            return idle
        }
        // Never waits: this may run in deinit, on whatever thread dropped the last reference.
        // The connection is kept alive until it is closed (PostgresNIO asserts that).
        for c in all { let closing: EventLoopFuture<Void> = c.close(); closing.whenComplete { _ in withExtendedLifetime(c) {} } }
    }

    /// Runs `body` on one connection outside a transaction (each statement commits alone).
    func read<T>(_ body: (PostgresSession) throws -> T) throws -> T {
        let connection = try lease()
        do {
            let value = try body(PostgresSession(connection: connection, pool: self))
            release(connection, healthy: true)
            return value
        } catch {
            release(connection, healthy: !(error is PSQLError))
            throw error
        }
    }

    /// Runs `body` in one transaction: committed whole when it returns, rolled back when it throws.
    func transaction<T>(_ body: (PostgresSession) throws -> T) throws -> T {
        let connection = try lease()
        let session = PostgresSession(connection: connection, pool: self)
        do {
            try session.execute("BEGIN")
            let value = try body(session)
            try session.execute("COMMIT")
            release(connection, healthy: true)
            return value
        } catch {
            let rolledBack = (try? session.execute("ROLLBACK")) != nil
            release(connection, healthy: rolledBack)
            throw error
        }
    }

    /// A PostgreSQL or connection error as one line that says what to do (never the password).
    static func describe(_ error: any Error, url: DatabaseURL, connecting: Bool = false) -> any Error {
        if error is StoreError || error is ForkError { return error }
        guard let psql = error as? PSQLError else {
            return StoreError("cannot reach the hub's database at \(url.redacted) (\(error)): check that PostgreSQL is running and the URL is right")
        }
        if let message = psql.serverInfo?[.message] {
            let state = psql.serverInfo?[.sqlState] ?? ""
            if state == "3D000" { return StoreError("the database in \(url.redacted) does not exist: create it (createdb \(url.database)) or fix the URL") }
            if state.hasPrefix("28") { return StoreError("PostgreSQL refused user \(url.user) at \(url.redacted) (\(message)): check the user, its password (PGPASSWORD) and pg_hba.conf") }
            return StoreError("PostgreSQL at \(url.redacted) said: \(message) (SQLSTATE \(state))")
        }
        if psql.code == .authMechanismRequiresPassword || psql.code == .saslError || psql.code == .unsupportedAuthMechanism {
            return StoreError("PostgreSQL at \(url.redacted) asks user \(url.user) for a password and none was accepted (\(psql.code)): set PGPASSWORD for this process, or allow the user in pg_hba.conf")
        }
        if connecting || psql.code == .connectionError || psql.code == .serverClosedConnection || psql.code == .clientClosedConnection {
            return StoreError("cannot reach the hub's database at \(url.redacted): check that PostgreSQL is running there and accepts connections")
        }
        return StoreError("the hub's database at \(url.redacted) failed (\(psql.code)): check PostgreSQL's log")
    }
}

/// A value bound to a statement's `$n`.
enum PostgresValue {
    case text(String?)
    case int(Int64?)
    case bytes([UInt8]?)
    case texts([String])
    case ints([Int64])
    case bytesArray([[UInt8]])
}

/// One leased connection: statements with bound values, rows read by column number.
struct PostgresSession {
    let connection: PostgresConnection
    let pool: PostgresPool

    @discardableResult
    func query(_ sql: String, _ values: [PostgresValue] = []) throws -> [PostgresRandomAccessRow] {
        var binds = PostgresBindings(capacity: values.count)
        for v in values {
            switch v {
            case .text(let s): binds.append(s)
            case .int(let i): binds.append(i)
            case .bytes(let b): binds.append(b.map { ByteBuffer(bytes: $0) })
            case .texts(let a): binds.append(a)
            case .ints(let a): binds.append(a)
            case .bytesArray(let a): binds.append(a.map { ByteBuffer(bytes: $0) })
            }
        }
        do {
            let result = try connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: pool.logger).wait()
            return result.rows.map { $0.makeRandomAccess() }
        } catch {
            throw PostgresPool.describe(error, url: pool.url)
        }
    }

    func execute(_ sql: String, _ values: [PostgresValue] = []) throws { try query(sql, values) }

    /// Runs statements separated by `;` one by one (a prepared statement holds one); for the
    /// migrations, whose text has no `;` inside a literal.
    func script(_ sql: String) throws {
        for statement in sql.split(separator: ";") where !statement.allSatisfy(\.isWhitespace) { try execute(String(statement)) }
    }
}

extension PostgresRandomAccessRow {
    func int(_ i: Int) throws -> Int64 { try self[i].decode(Int64.self) }
    func optionalInt(_ i: Int) throws -> Int64? { try self[i].decode(Int64?.self) }
    func text(_ i: Int) throws -> String { try self[i].decode(String.self) }
    func optionalText(_ i: Int) throws -> String? { try self[i].decode(String?.self) }
    func bytes(_ i: Int) throws -> [UInt8] { Array(buffer: try self[i].decode(ByteBuffer.self)) }
}
