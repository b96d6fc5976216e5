import CourtLog
import CourtPlan
import Foundation
import Testing
@testable import NodeStore

/// Real file systems that refuse writes: a tmpfs remounted read-only, and one that is full.
/// Root in a container bypasses file modes, so a mount is the honest way to get these faults.
@Suite("read-only and full disks", .serialized)
struct DiskFaultTests {
    func sh(_ command: String) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try? p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }

    func mountPoint(size: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("courtsync-mnt-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let status = sh("mount -t tmpfs -o size=\(size) tmpfs '\(path)'")
        try #require(status == 0, "cannot mount a tmpfs at \(path): these tests need root with CAP_SYS_ADMIN, as CI has")
        return path
    }

    func unmount(_ path: String) {
        _ = sh("umount '\(path)'")
        try? FileManager.default.removeItem(atPath: path)
    }

    func draft(_ i: Int) throws -> EventDraft {
        try EventDraft(id: "d-\(i)", type: "case.filed", at: EventTime(parsing: "2022-08-01T10:00:00+08:00"), dept: nil,
                       data: ["case_no": .string("(2022)豫0802民初\(i)号\(String(repeating: "附", count: 60))"), "channel": "online"])
    }

    @Test func aReadOnlyNodeDirectoryIsReportedAndNothingChanges() throws {
        let mnt = try mountPoint(size: "4m"); defer { unmount(mnt) }
        do {
            // Closed before the remount: a file open for writing keeps a mount busy.
            let node = try NodeDirectory.create(at: "\(mnt)/node", court: Plan.shipped.court("410802"))
            _ = try node.store.append([draft(1)], sealer: node.sealer, recordedAt: 1)
        }
        #expect(sh("mount -o remount,ro '\(mnt)'") == 0)
        #expect {
            let reopened = try NodeDirectory.open(at: "\(mnt)/node")
            _ = try reopened.store.append([draft(2)], sealer: reopened.sealer, recordedAt: 2)
        } throws: { error in
            "\(error)".contains("read-only") || "\(error)".contains("cannot open")
        }
        #expect(sh("mount -o remount,rw '\(mnt)'") == 0, "the read-only node must not hold the mount busy")
        let reopened = try NodeDirectory.open(at: "\(mnt)/node")
        #expect(try reopened.store.head(of: "410802").seq == 1)
        #expect(try reopened.store.verify(node: "410802", publicKey: reopened.key.publicKey).events == 1)
    }

    @Test func aFullDiskRollsBackTheBatchAndTheLogStillVerifies() throws {
        let mnt = try mountPoint(size: "600k"); defer { unmount(mnt) }
        let node = try NodeDirectory.create(at: "\(mnt)/node", court: Plan.shipped.court("410802"))
        var stored = 0
        var failure: (any Error)?
        var i = 0
        while failure == nil && i < 200 {
            let batch = try (0..<50).map { try draft(i * 50 + $0) }
            do { _ = try node.store.append(batch, sealer: node.sealer, recordedAt: 1); stored += 50 } catch { failure = error }
            i += 1
        }
        #expect(failure.map { "\($0)".contains("full") } == true, "expected a disk-full error, got \(String(describing: failure))")
        let reopened = try NodeDirectory.open(at: "\(mnt)/node")
        #expect(try reopened.store.head(of: "410802").seq == Int64(stored))
        #expect(try reopened.store.verify(node: "410802", publicKey: reopened.key.publicKey).events == Int64(stored))
    }
}
