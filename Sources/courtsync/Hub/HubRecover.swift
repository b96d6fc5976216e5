import ArgumentParser
import CourtLog
import Foundation
import Hub
import NodeStore

/// `courtsync hub recover`: a hub restored from an old backup rebuilds its tree from a mirror
/// of its tiles (protocol §16.13), exactly as its witnesses cosigned it.
struct HubRecover: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "从镜像恢复 recover — After restoring the hub from an old backup: rebuild its tree, entry for entry, from a mirror of its tiles (`audit mirror`), so that nodes and witnesses continue; courts re-push their events at their next sync. On PostgreSQL, into the database hub.json names (empty, or restored from an older backup). Stop every `hub serve` first.")
    @OptionGroup var hub: HubOptions
    @Option(help: "The mirror directory (kept by `courtsync audit mirror --out`).")
    var mirror: String
    @Option(name: .customLong("policy-from"), help: "Where 410800's own lost events come back from: a node directory that pulled them, or an export of 410800's log (`node export`).")
    var policyFrom: String?

    func run() throws {
        let hubDir = try HubDirectory.open(at: hub.dir, recovering: true)
        let policy = try policyFrom.map(Self.policyEvents)
        let r = try hubDir.recover(mirror: mirror, policyEvents: policy)
        if r.size == r.heldSize {
            print("the hub's tree already holds the mirror's \(r.size) entries: nothing to rebuild")
        } else {
            let witnessed = r.witnessedSize.map { "; the witnessed checkpoint of size \($0) and its cosignatures kept" } ?? ""
            print("recovered the tree from \(r.heldSize) to \(r.size) entries (root of the mirror's checkpoint): key-log records restored in full: \(r.restoredKeyLogRecords); events expected back from their courts: \(r.restoredEvents)\(witnessed)")
        }
        if policyFrom != nil { print("restored \(r.restoredPolicyEvents) of 410800's own events from \(policyFrom!)") }
        if r.owed.isEmpty {
            print("every event of the tree is back: the hub is complete")
        } else {
            for o in r.owed {
                let how = o.court != "410800" ? "its node re-pushes them at its next sync"
                    : hubDir.postgres == nil ? "restore with `hub recover --dir \(hub.dir) --mirror \(mirror) --policy-from NODE_DIR`"
                    : "this hub directory's own log lacks them: restore the directory from a backup that holds them, then run `hub recover` again"
                print("  \(o.court) owes seq \(o.fromSeq)…\(o.toSeq) (\(how))")
            }
            print("until then queries and reports at this hub are refused (`hub status` shows what is owed); start `hub serve` now")
        }
    }

    /// 410800's events from a node directory's store, or from an export file.
    static func policyEvents(_ path: String) throws -> [SignedEvent] {
        let ic = PolicyAuthority.intermediateCourt
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw EventError("cannot read \(path): give a node directory or an export file") }
        if isDir.boolValue {
            let store = try NodeDirectory.open(at: path).store
            var out: [SignedEvent] = []
            while true {
                let page = try store.events(of: ic, from: Int64(out.count) + 1, limit: 10_000)
                out += page
                if page.count < 10_000 { return out }
            }
        }
        guard let bytes = FileManager.default.contents(atPath: path) else { throw EventError("cannot read \(path): check its permissions") }
        var out: [SignedEvent] = []
        for (i, line) in bytes.split(separator: 0x0A).enumerated() {
            do throws(EventError) { out.append(try SignedEvent(parsing: Array(line))) } catch {
                throw EventError("\(path) line \(i + 1): \(error.description): give an export of 410800's log (`courtsync node export`)")
            }
        }
        return out
    }
}
