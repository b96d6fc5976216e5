import Synchronization

/// Counters the hub exposes at /metrics in the Prometheus text format.
public final class HubMetrics: Sendable {
    struct State {
        var ingested: [String: Int64] = [:]
        var refused: [String: Int64] = [:]
        var requests: Int64 = 0
    }
    private let state = Mutex(State())

    public init() {}

    func ingested(_ n: Int, court: String) { state.withLock { $0.ingested[court, default: 0] += Int64(n) } }
    func refused(_ reason: String) { state.withLock { $0.refused[reason, default: 0] += 1 } }

    /// The exposition text, with the per-node lag and alarms read from the store.
    func render(lag: [(court: String, events: Int64, seconds: Int64)], alarms: Int, replays: (hits: Int, misses: Int, kept: Int) = (0, 0, 0)) -> String {
        let s = state.withLock { $0 }
        var out = "# HELP courtsync_events_ingested_total Events stored from node pushes since the hub started.\n# TYPE courtsync_events_ingested_total counter\n"
        for (court, n) in s.ingested.sorted(by: { $0.key < $1.key }) { out += "courtsync_events_ingested_total{court=\"\(court)\"} \(n)\n" }
        out += "# HELP courtsync_batches_refused_total Pushed batches refused, by reason.\n# TYPE courtsync_batches_refused_total counter\n"
        for (reason, n) in s.refused.sorted(by: { $0.key < $1.key }) { out += "courtsync_batches_refused_total{reason=\"\(reason)\"} \(n)\n" }
        out += "# HELP courtsync_node_lag_events Events a node reported holding that the hub does not have yet.\n# TYPE courtsync_node_lag_events gauge\n"
        for l in lag { out += "courtsync_node_lag_events{court=\"\(l.court)\"} \(l.events)\n" }
        out += "# HELP courtsync_node_lag_seconds Seconds since the node's last accepted push.\n# TYPE courtsync_node_lag_seconds gauge\n"
        for l in lag { out += "courtsync_node_lag_seconds{court=\"\(l.court)\"} \(l.seconds)\n" }
        out += "# HELP courtsync_alarms Fork alarms recorded.\n# TYPE courtsync_alarms gauge\ncourtsync_alarms \(alarms)\n"
        out += "# HELP courtsync_replay_queries_total As-of and checkpoint queries, answered from a kept replay (hit) or by replaying (miss).\n# TYPE courtsync_replay_queries_total counter\n"
        out += "courtsync_replay_queries_total{result=\"hit\"} \(replays.hits)\ncourtsync_replay_queries_total{result=\"miss\"} \(replays.misses)\n"
        out += "# HELP courtsync_replays_kept Replays kept in memory to answer the same as-of or checkpoint query again.\n# TYPE courtsync_replays_kept gauge\ncourtsync_replays_kept \(replays.kept)\n"
        return out
    }
}
