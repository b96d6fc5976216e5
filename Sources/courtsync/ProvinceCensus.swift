import CourtLog
import Foundation
import Hub
import NodeStore
import NodeSync
import TransparencyLog

/// What `bench province` finds at the hub after every node synced: the whole tree read leaf by
/// leaf, each court's log against its node's, the fork alarms, and every checkpoint a node kept
/// against the final tree. `problems` names anything lost, stored twice, forked or inconsistent.
struct ProvinceCensus {
    var treeSize: Int64 = 0
    var eventLeaves: Int64 = 0
    var keyLogRecords: Int64 = 0
    var headsSum: Int64 = 0
    var courtsWhole = 0
    var courts = 0
    var alarms = 0
    var checkpointsChecked = 0
    var checkpointSizes = Set<Int64>()
    var problems: [String] = []

    static func take(hub: HubDirectory, postgres: PostgresHubStore, nodes: [NodeDirectory]) throws -> ProvinceCensus {
        var census = ProvinceCensus()
        census.treeSize = try postgres.treeSize()
        census.keyLogRecords = Int64(try postgres.keyLogRecords().count)
        // Every leaf in order: each court's events must come as 1, 2, 3, … exactly once.
        var last: [String: Int64] = [:]
        var leaf: Int64 = 0
        while leaf < census.treeSize {
            // The leaves a replica's follower reads: a leaf whose event is missing ends the page early.
            let leaves = try postgres.acceptedLeaves(fromLeaf: leaf, limit: 5_000)
            for event in leaves.compactMap(\.event) {
                let expected = (last[event.node] ?? 0) + 1
                if event.seq != expected, census.problems.count < 5 {
                    census.problems.append("the tree holds \(event.node) seq \(event.seq) where seq \(expected) was due (lost or stored twice)")
                }
                last[event.node] = event.seq
                census.eventLeaves += 1
            }
            guard let next = leaves.last.map({ $0.index + 1 }), next > leaf else {
                census.problems.append("the tree's leaf \(leaf) names an event the hub's database does not hold (lost)")
                break
            }
            leaf = next
        }
        let heads = try postgres.courtHeads()
        census.headsSum = heads.reduce(0) { $0 + $1.seq }
        census.courts = nodes.count
        for (court, seq) in heads where last[court] != seq {
            census.problems.append("the hub's head of \(court) is \(seq) but its tree holds up to \(last[court] ?? 0)")
        }
        if census.treeSize != census.headsSum + census.keyLogRecords {
            census.problems.append("the tree has \(census.treeSize) leaves, not the \(census.headsSum) events of the courts' heads + \(census.keyLogRecords) key-log records")
        }
        if census.eventLeaves != census.headsSum {
            census.problems.append("the tree holds \(census.eventLeaves) event leaves for \(census.headsSum) events")
        }
        for node in nodes {
            let own = try node.store.head(of: node.court.code), held = try postgres.head(of: node.court.code)
            if own == held { census.courtsWhole += 1 } else {
                census.problems.append("\(node.court.code): the node's head is \(own.seq) but the hub holds \(held.seq)\(own.seq == held.seq ? " with another hash (a fork)" : "")")
            }
        }
        census.alarms = try postgres.alarms().count
        if census.alarms > 0 { census.problems.append("the hub recorded \(census.alarms) alarm\(census.alarms == 1 ? "" : "s") (fork evidence)") }
        // The final checkpoint covers the tree, and every checkpoint a node kept is a prefix of it.
        let verifier = try hub.checkpointSigner().verifier
        guard let latest = try postgres.latestCheckpoint() else {
            census.problems.append("the hub has signed no checkpoint")
            return census
        }
        let final = try verifier.verifyCheckpoint(latest.checkpoint)
        if final.size != census.treeSize { census.problems.append("the latest checkpoint covers \(final.size) of \(census.treeSize) leaves") }
        for node in nodes {
            guard let held = try NodeSyncer.heldCheckpoint(node, verifier: verifier)?.checkpoint else {
                census.problems.append("\(node.court.code) kept no checkpoint")
                continue
            }
            census.checkpointSizes.insert(held.size)
            let consistent = held.size == final.size ? held.root == final.root
                : MerkleTree.verifyConsistency(old: held.size, new: final.size, oldRoot: held.root, newRoot: final.root,
                                               proof: try postgres.consistencyProof(old: held.size, new: final.size))
            if consistent { census.checkpointsChecked += 1 } else { census.problems.append("\(node.court.code)'s checkpoint of size \(held.size) is not a prefix of the final tree") }
        }
        return census
    }

    func print() {
        Swift.print("  tree   \(treeSize) leaves = \(headsSum) events (every court's head, 410800's own included) + \(keyLogRecords) key-log records; \(eventLeaves) event leaves read in order, each court's seqs 1…head once each")
        Swift.print("  logs   \(courtsWhole) of \(courts) nodes' heads (seq and hash) equal the hub's; fork alarms: \(alarms)")
        Swift.print("  ckpt   \(checkpointsChecked) of \(courts) nodes' last checkpoints (\(checkpointSizes.count) distinct sizes) proven prefixes of the final tree of \(treeSize)")
    }
}
