import ArgumentParser
import CourtLog
import Foundation
import NodeStore
import QueryViews

/// `courtsync audit retroactive --dir HUB`: every policy event that was in force before the
/// first checkpoint that published it (protocol §16.12), with the delay and the figures it decided.
struct AuditRetroactive: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retroactive",
        abstract: "追溯适用 retroactive — List policy events effective before the first checkpoint that published them, the delay in days, and the figures they changed.",
        discussion: "First publication is the time by which three witnesses (all that did, if fewer) had cosigned a checkpoint covering the event's leaf, else the hub's time of signing the first one (protocol §16.12).")

    @Option(help: "The hub directory.")
    var dir: String

    @Option(help: "table or json.")
    var format: String = "table"

    @Option(help: "Only the log as it stood at the hub's signed checkpoint of this tree size.")
    var checkpoint: Int64?

    func validate() throws {
        guard format == "table" || format == "json" else { throw ValidationError("--format must be table or json, not '\(format)'") }
    }

    func run() throws {
        let store = try StoreLocator.open(dir)
        guard FileManager.default.fileExists(atPath: "\(dir)/checkpoint.key") else {
            throw EventError("\(dir) keeps no transparency log (no checkpoint.key): give the hub directory")
        }
        let source: ProjectionSource
        if let checkpoint {
            printError(try CheckpointCitation.verified(dir: dir, store: store, size: checkpoint).verifiedLine)
            source = try ProjectionSource.checkpointed(store, treeSize: checkpoint)
        } else {
            source = try ProjectionSource.stored(store)
        }
        print(try QueryViews.retroactive(source).render(format))
    }
}
