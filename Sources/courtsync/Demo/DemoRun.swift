import CitySimulation
import CourtLog
import CourtPlan
import Foundation
import Hub
import NodeStore
import NodeSync
import Projections
import QueryViews
#if canImport(Glibc)
import Glibc
#endif

/// The demo's months: each court records its usage (and last month's late events), the nodes
/// that are online sync over HTTPS, the province's standings arrive, and units explain their
/// misses. Prints one line per month with what happened.
struct DemoRun {
    let simulation: CitySimulation
    let hub: HubDirectory
    let nodes: [String: NodeDirectory]
    let syncers: [String: NodeSyncer]
    let status: DemoStatus
    /// When the run began (for each month's progress line).
    let started = Date()
    /// Events each court set aside to record next month (late).
    var carried: [String: [EventDraft]] = [:]
    /// Misses already considered for an explanation: `unit|indicator|period`.
    var considered: Set<String> = []
    /// The working loop's items and reviews (issue 11).
    var loop = DemoLoopState()
    private(set) var recorded = 0
    var plan: Plan { simulation.plan }

    init(simulation: CitySimulation, hub: HubDirectory, nodes: [String: NodeDirectory], syncers: [String: NodeSyncer], status: DemoStatus) {
        self.simulation = simulation
        self.hub = hub
        self.nodes = nodes
        self.syncers = syncers
        self.status = status
    }

    func isOffline(_ code: String, _ k: Int) -> Bool {
        code == CitySimulation.offlineCourt && simulation.offlineMonths.contains(k)
    }

    func name(_ code: String) -> String { plan.courts.first { $0.code == code }?.name ?? code }

    /// The node that records a court's events: the hub's own for 410800.
    func node(_ code: String) -> NodeDirectory { code == PolicyAuthority.intermediateCourt ? hub.node : nodes[code]! }

    func append(_ drafts: [EventDraft], to node: NodeDirectory) throws {
        var start = 0
        while start < drafts.count {
            let chunk = Array(drafts[start..<min(start + 5_000, drafts.count)])
            _ = try node.append(chunk, recordedAt: nowSeconds)
            start += chunk.count
        }
    }

    mutating func month(_ k: Int) async throws {
        let period = simulation.period(k)
        var notes: [String] = []

        // Indicators 技术处 defines by policy: the supervised systems at the start, 一键归档率 mid-year.
        let definitions = try simulation.policyDefinitions(month: k)
        if !definitions.isEmpty {
            try append(definitions, to: hub.node)
            let supervised = definitions.filter { $0.data["kind"]?.stringValue == "supervised" }.count
            if supervised > 0 { notes.append("\(supervised) supervised systems (督导) defined by policy at 410800") }
            for d in definitions where d.data["kind"]?.stringValue == "assessed" {
                notes.append("\(d.data["document"]?.stringValue ?? "") adds \(d.data["name"]?.stringValue ?? "") (\(d.data["code"]?.stringValue ?? "")) from \(d.data["effective"]?.stringValue ?? "")")
            }
        }

        // Notices in force from this month (recorded by 410800 on its first day).
        let notices = try simulation.notices(month: k)
        if !notices.isEmpty {
            try append(notices, to: hub.node)
            for n in notices {
                let ind = try plan.indicator(n.data["indicator"]?.stringValue ?? "")
                let value = ComplianceRow.format(numerator: n.data["per_10k"]?.intValue ?? 0, denominator: 10_000, unit: ind.unit)
                let was = ind.threshold.map { "from ≥ " + ComplianceRow.format(numerator: $0.per10k, denominator: 10_000, unit: ind.unit) } ?? "where the plan set none"
                notes.append("\(n.data["document"]?.stringValue ?? "") sets \(ind.name) ≥ \(value) from \(n.data["effective"]?.stringValue ?? "") (\(was))")
            }
        }

        // Usage: generated for every court on all cores, then recorded in each court's own log.
        status.show("\(period): simulating usage at 11 courts…")
        let codes = plan.courts.map(\.code)
        let sim = simulation
        let generated = try Self.generate(codes) { try sim.usage(court: $0, month: k) }
        var lateRecorded = 0
        var monthEvents = 0
        for (code, usage) in zip(codes, generated) {
            status.show("\(period): recording at \(name(code))…")
            let late = carried[code] ?? []
            try append(late + usage.onTime, to: node(code))
            carried[code] = usage.late
            lateRecorded += late.count
            monthEvents += late.count + usage.onTime.count
        }
        recorded += monthEvents

        // Sync the nodes that can reach the hub.
        var synced = 0
        for code in codes where code != PolicyAuthority.intermediateCourt {
            if isOffline(code, k) {
                let lag = try node(code).store.head(of: code).seq - (try hub.store.head(of: code).seq)
                notes.append("\(name(code)) is offline: \(lag) events wait in its own log")
                continue
            }
            status.show("\(period): syncing \(name(code)) over HTTPS…")
            let report = try await syncers[code]!.syncOnce()
            synced += 1
            if code == CitySimulation.offlineCourt && k == simulation.offlineMonths.upperBound && !simulation.offlineMonths.isEmpty {
                notes.append("\(name(code)) is back online: pushed its backlog of \(report.pushed) events")
            }
        }

        // The province's standings of this month (and of a half-year or year that ends with it),
        // then the explanations of what missed.
        status.show("\(period): standings and explanations…")
        var source = try ProjectionSource.stored(hub.store)
        var standings: [EventDraft] = []
        for p in Self.periodsEnding(with: period) {
            let counts = try source.counts(p.description)
            for ind in plan.indicators {
                let city = source.projection.row(ind, unit: Attribution.city, counts: counts, period: p)
                guard let value = city.valuePer10k else { continue }
                standings.append(try simulation.standing(ind, period: p, publishedAfterMonth: k, cityPer10k: value, thresholdPer10k: city.thresholdPer10k))
            }
        }
        try append(standings, to: hub.node)
        let monthly = standings.filter { $0.data["period"]?.stringValue == period.description }
        let outside = monthly.filter { ($0.data["rank"]?.intValue ?? 0) > plan.firstGroupRank }.count
        source = try ProjectionSource.stored(hub.store)
        let (filed, unexplained) = try explain(source, upTo: k)
        notes += try workingLoop(month: k, source: source)
        status.clear()
        let held = try Self.eventsHeld(by: hub)
        // Progress: month k+1 of N, the time so far, and the time left at this month's pace.
        let spent = Date().timeIntervalSince(started), total = simulation.months
        let left = k + 1 < total ? ", about \(Progress.duration(spent / Double(k + 1) * Double(total - k - 1))) left" : ""
        print("\(period)  recorded \(monthEvents) events at 11 courts (\(lateRecorded) late from the month before); synced \(synced) nodes; hub holds \(held)  [\(k + 1)/\(total), \(Progress.duration(spent))\(left)]")
        notes.append("province ranked the city on \(monthly.count) indicators, \(outside) outside the first group (前\(plan.firstGroupRank)名)"
                     + (standings.count > monthly.count ? "; also the \(Self.periodsEnding(with: period).dropFirst().map(\.description).joined(separator: " and ")) standings" : ""))
        if filed + unexplained > 0 { notes.append("\(filed) explanations filed for misses; \(unexplained) misses not explained") }
        for n in notes { print("         · \(n)") }
        // One month at a time, also when the output is piped to a log.
        fflush(nil)
    }

    /// Files explanations for misses not yet considered, in every period that has closed by month `k`.
    mutating func explain(_ source: ProjectionSource, upTo k: Int) throws -> (filed: Int, unexplained: Int) {
        let periods = (0...k).flatMap { Self.periodsEnding(with: simulation.period($0)) }
        var byNode: [String: [EventDraft]] = [:]
        var unexplained = 0
        for p in periods {
            for entry in source.projection.accountability(period: p, counts: try source.counts(p.description)) {
                guard considered.insert("\(entry.unit)|\(entry.indicator)|\(p)").inserted, !entry.explained else { continue }
                let ind = try source.plan.indicator(entry.indicator)
                guard let draft = try simulation.explanation(unit: entry.unit, unitName: entry.unitName, indicator: ind, period: p.description, filedAfterMonth: k) else {
                    unexplained += 1
                    continue
                }
                let filer = nodes[entry.unit] != nil ? entry.unit : PolicyAuthority.intermediateCourt
                byNode[filer, default: []].append(draft)
            }
        }
        for (code, drafts) in byNode { try append(drafts, to: node(code)) }
        return (byNode.values.reduce(0) { $0 + $1.count }, unexplained)
    }

    /// A month, and the half-year and year it closes.
    static func periodsEnding(with month: Period) -> [Period] {
        guard case .month(let y, let m) = month else { return [month] }
        var out = [month]
        if m == 6 || m == 12 { out.append(.half(year: y, half: m == 6 ? 1 : 2)) }
        if m == 12 { out.append(.year(y)) }
        return out
    }

    /// Every node syncs once more, so the last month's explanations reach the hub.
    func finalSync() async throws {
        for code in plan.courts.map(\.code) where code != PolicyAuthority.intermediateCourt {
            status.show("final sync: \(name(code))…")
            _ = try await syncers[code]!.syncOnce()
        }
        status.clear()
    }

    /// Events the hub holds, over every node's log.
    static func eventsHeld(by hub: HubDirectory) throws -> Int64 {
        try hub.store.nodes().reduce(Int64(0)) { $0 + (try hub.store.head(of: $1).seq) }
    }

    /// Runs `body` for every court at once (generation is pure and seeded per court and month).
    static func generate(_ codes: [String], _ body: @escaping @Sendable (String) throws -> CitySimulation.MonthUsage) throws -> [CitySimulation.MonthUsage] {
        let results = ResultBuffer<Result<CitySimulation.MonthUsage, any Error>>(count: codes.count)
        DispatchQueue.concurrentPerform(iterations: codes.count) { i in
            results.set(i, Result { try body(codes[i]) })
        }
        return try results.values().map { try $0.get() }
    }
}
