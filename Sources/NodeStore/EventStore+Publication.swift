import CourtLog
import Foundation
import GRDB
import Projections
import TransparencyLog

/// The log as it stood at a checkpoint, and when each event was first published (protocol
/// §16.12): read from the transparency log's entries, checkpoints and cosignatures only.
extension EventStore {
    /// Each court's log up to the last seq whose leaf lies in the first `treeSize` leaves. A
    /// court's events enter the tree in seq order, so this is exactly the set of leaves < size.
    public func checkpointedPrefixes(treeSize: Int64) throws -> [String: Int64] {
        try read { db in
            try Self.checkSize(db, treeSize)
            var out: [String: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT node, MAX(seq) FROM tlog_entry WHERE idx < ? GROUP BY node", arguments: [treeSize]) {
                out[row[0] as String] = row[1] as Int64
            }
            return out
        }
    }

    /// The root hash of the tree of `size` leaves, recomputed from the stored tree.
    public func treeRoot(size: Int64) throws -> [UInt8] {
        try read { db in
            try Self.checkSize(db, size)
            return try MerkleTree.root(size: size) { level, index in try Self.treeNode(db, level: level, index: index) }
        }
    }

    /// Every stored checkpoint's size, in order.
    public func checkpointSizes() throws -> [Int64] {
        try read { db in try Int64.fetchAll(db, sql: "SELECT size FROM tlog_checkpoint ORDER BY size") }
    }

    /// The witness names that cosigned the checkpoint of `size`, in order.
    public func cosigners(size: Int64) throws -> [String] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT line FROM tlog_cosignature WHERE size = ? ORDER BY witness", arguments: [size])
                .compactMap { CosignatureVerifier.parse(line: Substring($0))?.name }
        }
    }

    /// When each event in the first `treeSize` leaves (default: the whole tree) was first
    /// published, from the checkpoints of at most that size: the time by which `quorum` witnesses
    /// (or all that did, if fewer) had cosigned a checkpoint covering its leaf — each witness's
    /// earliest such cosignature, the quorum-th smallest — else the earliest time the hub signed one. 410800's policy
    /// events are kept one by one; usage events of the months `lateIn` (`yyyy * 100 + mm`; none
    /// when nil) first published more than `lateAfterDays` after their time are counted per
    /// court and month. Reading only what is asked keeps a query's cost to its period.
    public func publication(treeSize: Int64? = nil, lateIn months: ClosedRange<Int>? = nil,
                            lateAfterDays: Int64 = Publication.defaultLateAfterDays,
                            quorum: Int = Publication.defaultQuorum) throws -> Publication {
        try read { db in
            // A court's database has no tree: nothing of it was published by a hub.
            if treeSize == nil, !(try Self.hubTablesExist(db)) {
                return Publication(policy: [:], late: [:], lateAfterDays: lateAfterDays, treeSize: 0)
            }
            let size = try treeSize ?? Self.treeState(db).size
            try Self.checkSize(db, size)
            // Checkpoints by size, with the hub's time and each witness's cosignature time.
            var witness: [Int64: [String: Int64]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT size, witness, line FROM tlog_cosignature WHERE size <= ?", arguments: [size]) {
                guard let t = CosignatureVerifier.parse(line: Substring(row[2] as String))?.time else { continue }
                witness[row[0] as Int64, default: [:]][row[1] as String] = Int64(clamping: t)
            }
            let checkpoints = try Row.fetchAll(db, sql: "SELECT size, at FROM tlog_checkpoint WHERE size <= ? ORDER BY size", arguments: [size])
                .map { (size: $0[0] as Int64, hub: $0[1] as Int64) }
            guard !checkpoints.isEmpty else { return Publication(policy: [:], late: [:], lateAfterDays: lateAfterDays, treeSize: 0) }
            // From the largest down, over the checkpoints of at least this size: each witness's
            // earliest cosignature and the hub's earliest signing. One witness alone cannot date an
            // event early: the quorum-th witness to have seen it does.
            var firstWitness = [Int64?](repeating: nil, count: checkpoints.count)
            var firstHub = [Int64](repeating: Int64.max, count: checkpoints.count)
            var earliest: [String: Int64] = [:], h = Int64.max
            for i in checkpoints.indices.reversed() {
                for (name, t) in witness[checkpoints[i].size] ?? [:] { earliest[name] = min(earliest[name] ?? Int64.max, t) }
                h = min(h, checkpoints[i].hub)
                if !earliest.isEmpty {
                    let times = earliest.values.sorted()
                    firstWitness[i] = times[min(max(quorum, 1), times.count) - 1]
                }
                firstHub[i] = h
            }
            func published(_ leaf: Int64) -> Publication.Time? {
                // The first checkpoint whose size exceeds the leaf covers it, and so do all larger ones.
                var lo = 0, hi = checkpoints.count
                while lo < hi { let mid = (lo + hi) / 2; if checkpoints[mid].size > leaf { hi = mid } else { lo = mid + 1 } }
                guard lo < checkpoints.count else { return nil }
                if let t = firstWitness[lo] { return Publication.Time(seconds: t, witnessed: true) }
                return Publication.Time(seconds: firstHub[lo], witnessed: false)
            }
            var policy: [Publication.EventRef: Publication.Time] = [:]
            // Policy events are 410800's only (section 8.4): read through the (node, seq) index.
            let policyRows = try Row.fetchCursor(db, sql: """
                SELECT t.idx, e.seq, e.type FROM tlog_entry t CROSS JOIN event e ON e.node = t.node AND e.seq = t.seq
                WHERE t.node = ? AND t.idx < ?
                """, arguments: [PolicyAuthority.intermediateCourt, size])
            while let row = try policyRows.next() {
                guard PolicyEvent.isPolicy(row[2]), let time = published(row[0]) else { continue }
                policy[Publication.EventRef(node: PolicyAuthority.intermediateCourt, seq: row[1])] = time
            }
            var late: [String: [Int: Int64]] = [:]
            if let months {
                let lateSeconds = lateAfterDays * 86400
                let rows = try Row.fetchCursor(db, sql: """
                    SELECT t.idx, e.node, e.type, e.month, e.at_utc FROM event e CROSS JOIN tlog_entry t ON t.node = e.node AND t.seq = e.seq
                    WHERE e.month BETWEEN ? AND ? AND t.idx < ?
                    """, arguments: [months.lowerBound, months.upperBound, size])
                while let row = try rows.next() {
                    guard !PolicyEvent.isPolicy(row[2]), let time = published(row[0]), time.seconds - (row[4] as Int64) > lateSeconds else { continue }
                    late[row[1] as String, default: [:]][row[3] as Int, default: 0] += 1
                }
            }
            return Publication(policy: policy, late: late, lateAfterDays: lateAfterDays, treeSize: size)
        }
    }
}

extension EventStore {
    /// How many events the store holds, of every log.
    public func eventCount() throws -> Int64 {
        try read { db in try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM event") ?? 0 }
    }
}
