import ArgumentParser
import CanonicalJSON
import CourtLog
import Foundation
import NodeStore
import NodeSync
import SyncProtocol
import Synchronization

struct NodeEnrollRequest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll-request",
        abstract: "生成接入申请 enroll-request — Write this node's enrollment request (court, keys, proof of possession) to carry to the hub.")
    @OptionGroup var node: NodeOptions
    @Option(help: "Where to write it (default: <court>.request.json here).")
    var out: String?

    func run() throws {
        let dir = try NodeDirectory.open(at: node.dir)
        let request = try NodeEnrollment.request(dir)
        let path = try EnrollmentFiles.write(request.json, to: out, default: "\(dir.court.code).request.json")
        print("enrollment request for \(dir.court.code) \(dir.court.name) written to \(path); key fingerprint \(dir.key.publicKey.fingerprint) (read it to the hub's operator to confirm)")
    }
}

struct NodeJoin: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "join", abstract: "安装接入包 join — Install the bundle the hub wrote for this node.")
    @OptionGroup var node: NodeOptions
    @Flag(help: "The bundle is from `courtsync hub rotate`: sign with the new key (node.next.key) from now on.")
    var rotated = false
    @Argument(help: "The bundle file from `courtsync hub enroll` (or `hub rotate`).")
    var bundle: String

    func run() throws {
        let dir = try NodeDirectory.open(at: node.dir)
        guard let data = FileManager.default.contents(atPath: bundle), let json = try? StrictJSONParser.parse(Array(data)) else {
            throw EventError("cannot read \(bundle) as JSON: use the file `courtsync hub enroll` wrote")
        }
        let installed = try NodeEnrollment.join(dir, bundleJSON: json, rotated: rotated)
        if rotated { print("this node now signs with its new key \(try NodeDirectory.open(at: node.dir).key.publicKey.fingerprint); the old one is kept as node.retired-<fingerprint>.key") }
        print("joined hub \(installed.hubURL); intermediate court key fingerprint \(installed.intermediatePublicKey.fingerprint) (confirm it with the hub's operator)")
    }
}

struct NodeSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "同步到汇总节点 sync — Push this node's log to the hub from its cursor, keep the signed receipts, and pull the intermediate court's log.")
    @OptionGroup var node: NodeOptions
    @Flag(help: "Keep syncing as events are appended, backing off while the hub is unreachable.")
    var watch = false
    @Option(help: "Events per push.")
    var batch: Int = ApiPaths.pushBatch
    @Flag(help: "Also keep a mirror of the hub's tiles for the checkpoint this node holds in NODE/mirror (what a restored hub is rebuilt from: `hub recover --mirror`).")
    var mirror = false

    func validate() throws {
        guard (1...10_000).contains(batch) else { throw ValidationError("--batch must be 1 to 10000") }
    }

    func run() async throws {
        let dir = try NodeDirectory.open(at: node.dir)
        let syncer = try NodeSyncer(node: dir)
        defer { Task { await syncer.client.shutdown() } }
        let progress = SyncProgress()
        if !watch {
            do {
                let r = try await syncer.syncOnce(batch: batch, progress: progress.report)
                progress.finish()
                if mirror, let m = try await syncer.updateMirror() { print("mirrored the hub's tiles to \(m.size) entries in \(dir.path)/\(NodeSyncer.mirrorDirectory)") }
                print("synced \(dir.court.code): pushed \(r.pushed) new events; hub holds seq \(r.hubSeq) of \(r.localSeq) (lag \(r.lag)); policy log at seq \(r.policySeq) (\(r.pulled) new); \(progress.elapsedText)")
                await syncer.client.shutdown()
            } catch {
                await syncer.client.shutdown()
                throw error
            }
            return
        }
        // One timestamped line per sync that moved anything (stdout: the journal under systemd),
        // and one per failure (stderr), so `journalctl -u courtsync-node-sync` reads as a log.
        defer { fflush(nil) }
        print("\(Self.stamp()) watching \(dir.court.code) \(dir.court.name): syncing with \(syncer.bundle.hubURL) as events are appended")
        fflush(nil)
        var backoff: UInt64 = 1
        while !Task.isCancelled {
            do {
                let started = Date()
                let r = try await syncer.syncOnce(batch: batch, progress: progress.report)
                progress.finish()
                if mirror { _ = try await syncer.updateMirror() }
                if r.pushed > 0 || r.pulled > 0 {
                    print("\(Self.stamp()) synced \(dir.court.code): pushed \(r.pushed), hub at \(r.hubSeq) of \(r.localSeq) (lag \(r.lag)), policy at \(r.policySeq) (\(r.pulled) new), \(Progress.duration(Date().timeIntervalSince(started)))")
                    fflush(nil)
                }
                backoff = 1
                try await Task.sleep(nanoseconds: 2_000_000_000)
            } catch let e as SyncError where e.transient {
                printError("\(Self.stamp()) \(e.description) — retrying in \(backoff) s")
                try await Task.sleep(nanoseconds: backoff * 1_000_000_000)
                backoff = min(backoff * 2, 60)
            }
        }
    }

    /// Beijing time, RFC 3339, to the second.
    static func stamp() -> String { EventTime(beijing: nowSeconds).text }
}

/// Sync's progress from the syncer's lines ("… hub at 4000 of 100000"): rate and time left on a
/// terminal, a line per interval off one.
final class SyncProgress: Sendable {
    private let progress = Mutex(Progress("syncing"))

    var elapsedText: String { progress.withLock { $0.elapsedText } }

    var report: @Sendable (String) -> Void {
        { line in
            let words = line.split(separator: " ")
            guard let at = words.firstIndex(of: "at"), at + 3 < words.count + 1, words.indices.contains(at + 3),
                  let done = Int64(words[at + 1]), words[at + 2] == "of", let total = Int64(words[at + 3].filter(\.isNumber)) else { return }
            self.progress.withLock { $0.update(done, of: total) }
        }
    }

    func finish() { progress.withLock { $0.finish() } }
}

struct NodeRotateRequest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-request",
        abstract: "申请更换密钥 rotate-request — Make a new key (node.next.key) and a rotation request signed by the current key, to carry to the hub (`hub rotate`).")
    @OptionGroup var node: NodeOptions
    @Option(help: "Where to write it (default: <court>.rotate.json here).")
    var out: String?

    func run() throws {
        let dir = try NodeDirectory.open(at: node.dir)
        let rotation = try NodeEnrollment.rotationRequest(dir)
        let path = try EnrollmentFiles.write(rotation.json, to: out, default: "\(dir.court.code).rotate.json")
        print("rotation request for \(dir.court.code) written to \(path): signed by the current key \(dir.key.publicKey.fingerprint), new key \(rotation.request.nodePublicKey.fingerprint) kept in \(dir.path)/\(NodeEnrollment.nextKeyName), signing from seq \(rotation.fromSeq ?? 1) (read both fingerprints to the hub's operator; sync now, and append nothing until `node join --rotated`)")
    }
}
