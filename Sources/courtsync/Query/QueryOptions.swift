import ArgumentParser
import CanonicalJSON
import CourtLog
import CourtPlan
import Foundation
import NodeStore
import Projections

/// Options every query shares: where the data is, how to print it, and as known when.
struct QueryOptions: ParsableArguments {
    @Option(help: "A node directory or a hub directory.")
    var dir: String

    @Option(help: "table, json or csv.")
    var format: String = "table"

    @Option(name: .customLong("as-of"), help: "Answer as the data stood at this record time (RFC 3339 with offset, or a date YYYY-MM-DD meaning its end in UTC+08:00). Replays the log up to then.")
    var asOf: String?

    func validate() throws {
        guard ["table", "json", "csv"].contains(format) else { throw ValidationError("--format must be table, json or csv") }
    }

    /// A record time from RFC 3339, or the end of a date in UTC+08:00.
    static func recordTime(_ text: String) throws -> Int64 {
        if let d = try? CivilDate(parsing: text) { return Int64(d.daysSinceEpoch + 1) * 86400 - 8 * 3600 - 1 }
        do { return try EventTime(parsing: text).utcSeconds } catch {
            throw EventError("--as-of '\(text)' is neither a date YYYY-MM-DD nor a time like 2023-01-05T18:00:00+08:00")
        }
    }

    /// Opens the store behind `--dir`: a node's or the hub's.
    func openStore() throws -> EventStore {
        try StoreLocator.open(dir)
    }

    /// The projection to query: the stored one, brought up to date, or a replay as of a time.
    func projection() throws -> ProjectionSource {
        let store = try openStore()
        if let asOf {
            var progress = Progress("replaying")
            let replay = try store.replay(recordedBy: try Self.recordTime(asOf)) { progress.update($0, of: $1) }
            progress.finish()
            return ProjectionSource(policy: replay.policy, rosters: replay.tally.rosters, counts: { replay.tally.counts(of: $0) })
        }
        var progress = Progress("folding new events")
        try store.updateProjections { progress.update($0, of: $1) }
        progress.finish()
        return ProjectionSource(policy: try store.storedPolicy(), rosters: try store.storedRosters(), counts: { try store.storedCounts(period: $0) })
    }

    func emit(_ table: TextTable, json: JSONValue) {
        switch format {
        case "json": print(String(decoding: CanonicalEncoder.encode(json), as: UTF8.self))
        case "csv": print(table.csv())
        default: print(table.render())
        }
    }
}

/// The policy, rosters and per-period counters a query reads.
struct ProjectionSource {
    let policy: PolicyState
    let rosters: [RosterEntry]
    let counts: (String) throws -> PeriodCounts

    var projection: Projection { Projection(policy: policy, rosters: rosters) }
    var plan: Plan { policy.plan }

    /// A court by code, slug or name, with close matches in the error.
    func court(_ text: String) throws -> Plan.Court { try plan.court(text) }
}

/// Finds the store of a node directory or a hub directory.
enum StoreLocator {
    static func open(_ dir: String) throws -> EventStore {
        let fm = FileManager.default
        if fm.fileExists(atPath: "\(dir)/\(NodeDirectory.manifestName)") { return try NodeDirectory.open(at: dir).store }
        if fm.fileExists(atPath: "\(dir)/hub.json") { return try EventStore(path: "\(dir)/hub.sqlite") }
        throw StoreError("\(dir) is neither a node directory (node.json) nor a hub directory (hub.json): give the directory made by `courtsync node init` or `courtsync hub init`")
    }
}

extension ComplianceRow {
    var json: JSONValue {
        var o: [String: JSONValue] = [
            "period": .string(period), "indicator": .string(indicator), "indicator_name": .string(indicatorName), "code": .string(indicatorCode),
            "unit": .string(unit), "unit_name": .string(unitName), "unit_kind": .string(unitKind),
            "numerator": .int(numerator), "denominator": .int(denominator), "value": .string(valueText),
            "threshold": .string(thresholdText), "status": .string(status.rawValue),
        ]
        if let v = valuePer10k { o["value_per_10k"] = .int(v) }
        if let t = thresholdPer10k { o["threshold_per_10k"] = .int(t) }
        if let d = thresholdDocument { o["threshold_document"] = .string(d) }
        if let h = reviewLimitHours { o["review_limit_hours"] = .int(h) }
        if let s = stage { o["stage"] = .string(s) }
        return .object(o)
    }

    var indicatorLabel: String { "\(indicatorCode) \(indicatorName)" + (stage.map { "（\($0 == "filing" ? "立案阶段" : "审判阶段")）" } ?? "") }
}
