import ArgumentParser
import CanonicalJSON
import CourtLog
import Foundation
import NodeStore
import NodeSync
import SyncProtocol

struct NodeStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "节点状态：本院、公钥、日志头、尚未送达汇总节点的事件与最后同步 (court, key, head, what the hub does not have yet, last sync).")

    @OptionGroup var node: NodeOptions

    @Option(help: "table or json.")
    var format: String = "table"

    func validate() throws {
        guard ["table", "json"].contains(format) else { throw ValidationError("--format must be table or json") }
    }

    func run() throws {
        let dir = try NodeDirectory.open(at: node.dir)
        let head = try dir.store.head(of: dir.court.code)
        let counts = try dir.store.countsByType(of: dir.court.code)
        let others = try dir.store.nodes().filter { $0 != dir.court.code }.map { ($0, try dir.store.head(of: $0)) }
        let lastSync = Self.lastReceipt(dir)
        let joined = FileManager.default.fileExists(atPath: "\(dir.path)/bundle.json")
        let atHub = lastSync?.toSeq ?? 0
        if format == "json" {
            var value: JSONValue = [
                "court": .string(dir.court.code), "court_name": .string(dir.court.name),
                "public_key": .string(dir.key.publicKey.hex), "fingerprint": .string(dir.key.publicKey.fingerprint),
                "seq": .int(head.seq), "head": .string(head.hash.hex),
                "counts": .object(counts.mapValues { .int(Int64($0)) }),
                "received": .object(Dictionary(uniqueKeysWithValues: others.map { ($0.0, JSONValue.object(["seq": .int($0.1.seq), "head": .string($0.1.hash.hex)])) })),
                "joined": .bool(joined), "hub_seq": .int(atHub), "not_at_hub": .int(max(0, head.seq - atHub)),
            ]
            if let r = lastSync { value = value.with("last_sync", .string(EventTime(beijing: r.receivedAt).text)) }
            print(String(decoding: CanonicalEncoder.encode(value), as: UTF8.self))
            return
        }
        print("court        \(dir.court.code) \(dir.court.name)")
        print("public key   \(dir.key.publicKey.hex)")
        print("fingerprint  \(dir.key.publicKey.fingerprint)")
        print("seq          \(head.seq)")
        print("head         \(head.hash.hex)")
        if dir.court.code != PolicyAuthority.intermediateCourt {
            if !joined {
                print("hub          not joined yet (courtsync node join): all \(head.seq) events are only here")
            } else if let r = lastSync {
                print("last sync    \(EventTime(beijing: r.receivedAt).text) (hub receipt up to seq \(r.toSeq))")
                print("not at hub   \(max(0, head.seq - r.toSeq)) events" + (head.seq > r.toSeq ? " (seq \(r.toSeq + 1)…\(head.seq))" : ""))
            } else {
                print("last sync    never (courtsync node sync): all \(head.seq) events are only here")
            }
        }
        print("events by type:")
        if counts.isEmpty { print("  (none yet)") }
        let width = counts.keys.map(\.count).max() ?? 0
        for (type, n) in counts.sorted(by: { $0.key < $1.key }) {
            print("  \(type.padding(toLength: width, withPad: " ", startingAt: 0))  \(n)")
        }
        for (code, head) in others {
            print("received log of \(code) \((try? dir.plan.court(code).name) ?? ""): seq \(head.seq) head \(head.hash.hex)")
        }
    }

    /// The newest receipt the hub signed for this node (what it is known to hold, and when).
    static func lastReceipt(_ dir: NodeDirectory) -> PushReceipt? {
        guard let data = FileManager.default.contents(atPath: "\(dir.path)/\(NodeEnrollment.receiptsName)") else { return nil }
        for line in data.split(separator: 0x0A).reversed() {
            if let json = try? StrictJSONParser.parse(Array(line)), let receipt = try? PushReceipt(json: json) { return receipt }
        }
        return nil
    }
}
