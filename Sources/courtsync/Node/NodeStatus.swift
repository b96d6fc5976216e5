import ArgumentParser
import CanonicalJSON
import CourtLog
import Foundation
import NodeStore

struct NodeStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "The node's court, public key, head and event counts by type.")

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
        if format == "json" {
            let value: JSONValue = [
                "court": .string(dir.court.code), "court_name": .string(dir.court.name),
                "public_key": .string(dir.key.publicKey.hex), "fingerprint": .string(dir.key.publicKey.fingerprint),
                "seq": .int(head.seq), "head": .string(head.hash.hex),
                "counts": .object(counts.mapValues { .int(Int64($0)) }),
                "received": .object(Dictionary(uniqueKeysWithValues: others.map { ($0.0, JSONValue.object(["seq": .int($0.1.seq), "head": .string($0.1.hash.hex)])) })),
            ]
            print(String(decoding: CanonicalEncoder.encode(value), as: UTF8.self))
            return
        }
        print("court        \(dir.court.code) \(dir.court.name)")
        print("public key   \(dir.key.publicKey.hex)")
        print("fingerprint  \(dir.key.publicKey.fingerprint)")
        print("seq          \(head.seq)")
        print("head         \(head.hash.hex)")
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
}
