import ArgumentParser
import Foundation
import NodeStore

struct NodeBackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "备份节点（运行中也安全）(back up a node or the hub while it runs: SQLite online backup of the log, plus its key and files, verified).",
        discussion: "The file holds the node's private key: keep it where the key may be kept (mode 0600). A hub directory is backed up the same way.")
    @OptionGroup var node: NodeOptions
    @Option(help: "The backup file to write (must not exist).")
    var out: String

    func run() throws {
        let dir = try NodeDirectory.open(at: node.dir)
        let started = Date()
        let summary = try NodeBackup.backup(dir, to: out)
        print("backed up \(summary.court) \(dir.court.name): \(summary.events) events to seq \(summary.seq), verified, and \(summary.files.count) files (\(summary.files.joined(separator: ", "))) to \(out) in \(Progress.duration(Date().timeIntervalSince(started))) (mode 0600: it holds the node's key)")
    }
}

struct NodeRestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "从备份恢复节点到新目录 (restore a backup into a new directory, verified first; never over a node).")
    @Option(help: "The directory to make (it must not hold a node).")
    var dir: String
    @Argument(help: "The file `courtsync node backup` wrote.")
    var backup: String

    func run() throws {
        let started = Date()
        let summary = try NodeBackup.restore(from: backup, to: dir)
        print("restored \(summary.court) into \(dir): \(summary.events) events to seq \(summary.seq), verified, and \(summary.files.count) files in \(Progress.duration(Date().timeIntervalSince(started)))")
        print("next: stop the old node's services, put \(dir) in its place, start them; if events were appended and synced after this backup, `node sync` refuses (the hub holds more than this log) rather than fork: ask 技术处")
    }
}
