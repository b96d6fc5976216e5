import Foundation

/// A CPU budget for each `hub serve` replica of a bench, as if each ran on a machine of its own:
/// every replica is moved into its own control group (cgroup) with a CFS quota of `cores` CPUs.
///
/// On a machine with few cores the replicas, PostgreSQL and the nodes share every core, so adding
/// a replica cannot add CPU and ingest cannot grow with replicas. Capping each replica shows what
/// the design itself allows: whether the shared parts (PostgreSQL, a court's push serialized by
/// the database) let ingest grow with the replicas when each brings its own CPU.
///
/// cgroup v2 (the unified hierarchy with the `cpu` controller: `cpu.max`) is used where it is,
/// else cgroup v1's `cpu` hierarchy (`cpu.cfs_quota_us`). Both need root, or a delegated
/// hierarchy; without either the bench stops before starting anything.
public struct ReplicaCPUCap: Sendable {
    /// Where the groups are made.
    public enum Hierarchy: Sendable, Equatable {
        /// The unified hierarchy (`cgroup.controllers` lists `cpu`): `cpu.max` = "quota period".
        case v2(root: String)
        /// cgroup v1's `cpu` controller: `cpu.cfs_period_us`, `cpu.cfs_quota_us`.
        case v1(root: String)
    }

    /// Why a cap could not be set: says what to do.
    public struct Refusal: Error, CustomStringConvertible, Sendable {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    public let hierarchy: Hierarchy
    /// CPUs each replica may use (0.5: half of one core's time).
    public let cores: Double
    /// The CFS period, in microseconds (the kernel's default).
    static let period = 100_000

    /// The quota in microseconds per ``period``.
    var quota: Int { Int((cores * Double(Self.period)).rounded()) }

    /// Finds a writable CPU controller under `root` (`/sys/fs/cgroup` on Linux).
    public init(cores: Double, root: String = "/sys/fs/cgroup") throws(Refusal) {
        let online = Double(ProcessInfo.processInfo.activeProcessorCount)
        guard cores.isFinite, cores >= 0.05, cores <= online else {
            throw Refusal("--replica-cpu must be from 0.05 to \(Int(online)) (this machine's cores): the CPUs each replica may use, 0.5 for half a core")
        }
        self.cores = cores
        let files = FileManager.default
        if let controllers = try? String(contentsOfFile: "\(root)/cgroup.controllers", encoding: .utf8),
           controllers.split(whereSeparator: \.isWhitespace).contains("cpu"), files.isWritableFile(atPath: root) {
            hierarchy = .v2(root: root)
        } else if files.fileExists(atPath: "\(root)/cpu/cpu.cfs_quota_us"), files.isWritableFile(atPath: "\(root)/cpu") {
            hierarchy = .v1(root: "\(root)/cpu")
        } else {
            throw Refusal("--replica-cpu needs a writable cgroup CPU controller under \(root) (cgroup v2 with the cpu controller, or v1's cpu hierarchy), which takes root: run the bench as root, or without --replica-cpu")
        }
    }

    /// A replica's group, made by ``place(_:name:)``.
    public struct Group: Sendable {
        public let path: String
        let hierarchy: Hierarchy

        /// CFS periods (100 ms each) in which the group's processes ran, and in how many of them
        /// the quota held them back: the share of throttled periods says whether the cap bound them.
        public func periods() -> (ran: Int, throttled: Int) {
            let stat = (try? String(contentsOfFile: "\(path)/cpu.stat", encoding: .utf8)) ?? ""
            var fields: [String: Int] = [:]
            for line in stat.split(separator: "\n") {
                let parts = line.split(separator: " ")
                if parts.count == 2, let value = Int(parts[1]) { fields[String(parts[0])] = value }
            }
            return (fields["nr_periods"] ?? 0, fields["nr_throttled"] ?? 0)
        }

        /// Removes the group; its processes must have exited.
        public func remove() { rmdir(path) }
    }

    /// Makes a group `name` with this cap and moves the process `pid` (all its threads) into it.
    public func place(_ pid: Int32, name: String) throws(Refusal) -> Group {
        let root: String
        switch hierarchy { case .v2(let r), .v1(let r): root = r }
        let path = "\(root)/\(name)"
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw Refusal("cannot make the cgroup \(path): \(String(cString: strerror(errno))); run the bench as root, or without --replica-cpu")
        }
        let group = Group(path: path, hierarchy: hierarchy)
        do throws(Refusal) {
            switch hierarchy {
            case .v2:
                try Self.write("+cpu", to: "\(root)/cgroup.subtree_control", optional: true)
                try Self.write("\(quota) \(Self.period)", to: "\(path)/cpu.max")
            case .v1:
                try Self.write("\(Self.period)", to: "\(path)/cpu.cfs_period_us")
                try Self.write("\(quota)", to: "\(path)/cpu.cfs_quota_us")
            }
            try Self.write("\(pid)", to: "\(path)/cgroup.procs")
        } catch {
            group.remove()
            throw error
        }
        return group
    }

    /// Writes a control file whole. `optional`: a controller already enabled may refuse being enabled again.
    static func write(_ text: String, to file: String, optional: Bool = false) throws(Refusal) {
        let fd = open(file, O_WRONLY | O_CREAT, 0o644)
        guard fd >= 0 else {
            if optional { return }
            throw Refusal("cannot open \(file): \(String(cString: strerror(errno))); run the bench as root, or without --replica-cpu")
        }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if written != bytes.count && !optional {
            throw Refusal("cannot write '\(text)' to \(file): \(String(cString: strerror(errno))); run the bench as root, or without --replica-cpu")
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
