import Bench
import Foundation
import Testing

/// `bench province --replica-cpu`: each replica in a cgroup of its own with a CPU quota. What is
/// written where, checked on a directory laid out as each cgroup version lays out its files (the
/// bench itself writes the kernel's files, which take root).
@Suite("a CPU budget per bench replica (cgroups)")
struct ReplicaCPUCapTests {
    static func directory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-cgroup-\(UUID().uuidString.prefix(6))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
    static func read(_ file: String) -> String? { try? String(contentsOfFile: file, encoding: .utf8) }

    @Test func cgroupV2GetsCpuMaxAndTheProcess() throws {
        let root = try Self.directory(); defer { try? FileManager.default.removeItem(atPath: root) }
        try "cpuset cpu io memory pids\n".write(toFile: "\(root)/cgroup.controllers", atomically: true, encoding: .utf8)
        let cap = try ReplicaCPUCap(cores: 0.5, root: root)
        #expect(cap.hierarchy == .v2(root: root))
        let group = try cap.place(4242, name: "replica-1")
        #expect(group.path == "\(root)/replica-1")
        #expect(Self.read("\(root)/replica-1/cpu.max") == "50000 100000")
        #expect(Self.read("\(root)/replica-1/cgroup.procs") == "4242")
        #expect(Self.read("\(root)/cgroup.subtree_control") == "+cpu")
        try "usage_usec 900\nnr_periods 40\nnr_throttled 31\nthrottled_usec 7000\n".write(toFile: "\(root)/replica-1/cpu.stat", atomically: true, encoding: .utf8)
        #expect(group.periods() == (ran: 40, throttled: 31))
    }

    @Test func cgroupV1GetsTheCfsQuotaAndTheProcess() throws {
        let root = try Self.directory(); defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: "\(root)/cpu", withIntermediateDirectories: true)
        try "-1\n".write(toFile: "\(root)/cpu/cpu.cfs_quota_us", atomically: true, encoding: .utf8)
        let cap = try ReplicaCPUCap(cores: 0.25, root: root)
        #expect(cap.hierarchy == .v1(root: "\(root)/cpu"))
        let group = try cap.place(77, name: "replica-2")
        #expect(Self.read("\(root)/cpu/replica-2/cpu.cfs_period_us") == "100000")
        #expect(Self.read("\(root)/cpu/replica-2/cpu.cfs_quota_us") == "25000")
        #expect(Self.read("\(root)/cpu/replica-2/cgroup.procs") == "77")
    }

    @Test func aMachineWithoutAWritableControllerOrABudgetOutOfRangeIsRefusedBeforeAnythingStarts() throws {
        let root = try Self.directory(); defer { try? FileManager.default.removeItem(atPath: root) }
        #expect { try ReplicaCPUCap(cores: 0.5, root: root) } throws: { ($0 as? ReplicaCPUCap.Refusal)?.description.contains("needs a writable cgroup CPU controller") == true }
        // A unified hierarchy without the cpu controller is no better.
        try "memory pids\n".write(toFile: "\(root)/cgroup.controllers", atomically: true, encoding: .utf8)
        #expect { try ReplicaCPUCap(cores: 0.5, root: root) } throws: { ($0 as? ReplicaCPUCap.Refusal)?.description.contains("needs a writable cgroup CPU controller") == true }
        for cores in [0, -1, 0.01, Double.nan, 10_000] {
            #expect { try ReplicaCPUCap(cores: cores, root: root) } throws: { ($0 as? ReplicaCPUCap.Refusal)?.description.contains("--replica-cpu must be from 0.05 to") == true }
        }
        // The command says so in one line and exits non-zero, before it reaches any database.
        let r = try SyncHarness.run(SyncHarness.binary, ["bench", "province", "--database", "postgres://nobody@127.0.0.1:1/none", "--replica-cpu", "0"])
        #expect(r.status != 0 && r.stderr.contains("--replica-cpu must be from 0.05 to"), "\(r.output)")
    }
}
