import ArgumentParser
import CourtLog
import CourtPlan
import Foundation
import NodeStore

struct NodeReceive: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receive",
        abstract: "接收他院导出日志 receive — Store another court's log from its export file, after verifying every hash, link and signature.",
        discussion: """
            How a grassroots court takes in the intermediate court's policy log (410800) carried by hand, so it
            sees its own standing offline, and how the intermediate court takes in a court's log without a
            network. Events already held are checked against it (a different hash is a fork, refused); only
            the new suffix is stored, all or nothing.
            """)

    @OptionGroup var node: NodeOptions

    @Option(name: .customLong("public-key"), help: "The sending court's enrolled public key (64 hex).")
    var publicKey: String?

    @Option(help: "A registry directory with <court code>.json files holding each court's key history.")
    var registry: String = "nodes"

    @Argument(help: "The export file (made by `courtsync node export`).")
    var file: String

    func run() throws {
        let dir = try NodeDirectory.open(at: node.dir)
        let (events, code) = try ExportFile.readVerified(file, registry: registry, publicKey: publicKey, acceptsPublicKey: true)
        guard code != dir.court.code else {
            throw EventError("\(file) is this node's own log (\(code)): a node only receives other courts' logs")
        }
        let receipt = try dir.store.receive(events, recordedAt: nowSeconds)
        let name = (try? dir.plan.court(code).name) ?? code
        print("received node \(code) \(name): \(receipt.stored) new events, \(receipt.known) already held; head seq \(receipt.head.seq) hash \(receipt.head.hash.hex)")
    }
}
