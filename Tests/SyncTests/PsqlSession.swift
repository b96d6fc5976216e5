import Foundation

/// An open psql session on a test database, fed statements one at a time, for tests that need
/// another client to hold a lock while the hub works: its locks last until ``end()`` (or until
/// the session is killed when the test leaves early).
final class PsqlSession {
    let process = Process()
    let input = Pipe()

    init(_ database: String) throws {
        process.executableURL = URL(fileURLWithPath: PostgresCluster.psqlBinary)
        process.arguments = ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database]
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Sends `sql` (statements ending in `;`) to the session.
    func send(_ sql: String) {
        input.fileHandleForWriting.write(Data((sql + "\n").utf8))
    }

    /// Ends the session (psql exits at the end of its input), releasing what it holds.
    func end() throws {
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}
