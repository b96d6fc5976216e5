import Foundation
import Testing

/// A real PostgreSQL for the tests of a hub on PostgreSQL: the server `COURTSYNC_TEST_POSTGRES_URL`
/// names (a URL whose user may create databases), or else a private cluster this process makes in
/// a temporary directory with Debian's `postgresql` package (initdb, pg_ctl; as the `postgres`
/// user when the tests run as root), listening on a free loopback port and stopped at exit.
/// Without the package the tests fail, saying to install it: they are never skipped.
enum PostgresCluster {
    /// `postgres://USER@HOST:PORT` of the server, or why there is none.
    static let server: Swift.Result<String, ClusterError> = start()

    struct ClusterError: Error, CustomStringConvertible {
        let description: String
    }

    /// A new, empty database on the server, as a URL for `hub init --database`.
    static func database(_ name: String = #function) throws -> String {
        let base = try server.get()
        let db = "t_\(name.filter { $0.isLetter || $0.isNumber }.prefix(30).lowercased())_\(UInt32.random(in: 0...UInt32.max))"
        try psql(base + "/postgres", "CREATE DATABASE \(db)")
        return base + "/" + db
    }

    /// Runs one statement with psql against `url`; throws its error output.
    @discardableResult
    static func psql(_ url: String, _ sql: String) throws -> String {
        let r = try run(psqlBinary, ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql])
        guard r.status == 0 else { throw ClusterError(description: "psql \(sql): \(r.output)") }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static var binDir: String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        return versions.reversed().map { "\(root)/\($0)/bin" }.first { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }
    }

    static var psqlBinary: String {
        for candidate in [binDir.map { "\($0)/psql" }, "/usr/bin/psql"].compactMap({ $0 }) where FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        return "psql"
    }

    static func start() -> Swift.Result<String, ClusterError> {
        if let url = ProcessInfo.processInfo.environment["COURTSYNC_TEST_POSTGRES_URL"], !url.isEmpty {
            return .success(url.hasSuffix("/") ? String(url.dropLast()) : url)
        }
        stopClustersOfDeadRuns()
        guard let bin = binDir else {
            return .failure(ClusterError(description: "PostgreSQL is not installed: apt-get install postgresql (or set COURTSYNC_TEST_POSTGRES_URL to a server the tests may create databases on)"))
        }
        do {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-pg-\(getpid())-\(UUID().uuidString.prefix(6))").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let asRoot = getuid() == 0
            // PostgreSQL refuses to run as root: the cluster belongs to the postgres user then.
            if asRoot { _ = try run("/bin/chown", ["postgres:postgres", dir]) }
            func pg(_ tool: String, _ arguments: [String]) throws -> CommandResult {
                asRoot ? try run("/usr/sbin/runuser", ["-u", "postgres", "--", "\(bin)/\(tool)"] + arguments) : try run("\(bin)/\(tool)", arguments)
            }
            let initdb = try pg("initdb", ["-D", "\(dir)/data", "--auth=trust", "-U", "postgres", "-E", "UTF8", "--no-sync"])
            guard initdb.status == 0 else { return .failure(ClusterError(description: "initdb failed: \(initdb.output)")) }
            let port = SyncHarness.freePort()
            let options = "-c listen_addresses=127.0.0.1 -p \(port) -c unix_socket_directories=\(dir) -c fsync=off -c max_connections=200"
            // pg_ctl leaves the server running as a daemon that inherits this process's descriptors,
            // among them the one Foundation's Process watches for the child's exit: spawn it
            // directly and wait for its pid instead.
            func daemon(_ arguments: [String]) -> Int32 {
                let tool = ["\(bin)/pg_ctl"] + arguments
                let argv = asRoot ? ["/usr/sbin/runuser", "-u", "postgres", "--"] + tool : tool
                return spawnAndWait(argv, output: "\(dir)/pg_ctl.log")
            }
            let started = daemon(["-D", "\(dir)/data", "-l", "\(dir)/server.log", "-w", "-t", "60", "-o", options, "start"])
            guard started == 0 else {
                let log = (try? String(contentsOfFile: "\(dir)/pg_ctl.log", encoding: .utf8)) ?? ""
                return .failure(ClusterError(description: "pg_ctl start failed (\(started)): \(log)"))
            }
            stopAtExit = { _ = daemon(["-D", "\(dir)/data", "-m", "immediate", "-w", "stop"]); try? FileManager.default.removeItem(atPath: dir) }
            atexit { PostgresCluster.stopAtExit?() }
            return .success("postgres://postgres@127.0.0.1:\(port)")
        } catch {
            return .failure(ClusterError(description: "cannot start a private PostgreSQL: \(error)"))
        }
    }

    nonisolated(unsafe) static var stopAtExit: (() -> Void)?

    /// Runs `argv` with its output in `output` and returns its exit status (posix_spawn, waitpid).
    static func spawnAndWait(_ argv: [String], output: String) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var pid: pid_t = 0
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { for a in cArgs { free(a) } }
        guard posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
    }

    /// A run killed before its exit handler left its cluster running: stop it (its directory
    /// names the pid of the run that made it).
    static func stopClustersOfDeadRuns() {
        let tmp = FileManager.default.temporaryDirectory.path
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? [] where name.hasPrefix("courtsync-pg-") {
            guard let pid = Int32(name.split(separator: "-")[2]), kill(pid, 0) != 0, errno == ESRCH, let bin = binDir else { continue }
            let dir = "\(tmp)/\(name)"
            let tool = ["\(bin)/pg_ctl", "-D", "\(dir)/data", "-m", "immediate", "-w", "stop"]
            _ = spawnAndWait(getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] + tool : tool, output: "/dev/null")
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    typealias CommandResult = SyncHarness.Result

    static func run(_ executable: String, _ arguments: [String]) throws -> CommandResult {
        try SyncHarness.run(executable, arguments)
    }
}
