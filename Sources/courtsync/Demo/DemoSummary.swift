import Bulletins
import CitySimulation
import CourtLog
import CourtPlan
import Foundation
import Hub
import Projections
import QueryViews

/// What the demo prints at the end: the latest month's compliance matrix, who must explain,
/// the bulletins written, and what to try next.
struct DemoSummary {
    let hub: HubDirectory
    let dir: String
    let simulation: CitySimulation


    func print(totalEvents: Int, elapsed: Double) throws {
        let source = try ProjectionSource.stored(hub.store)
        let plan = source.plan
        let last = simulation.period(simulation.months - 1)
        let counts = try source.counts(last.description)
        let projection = source.projection

        Swift.print("")
        Swift.print("Compliance in \(last), thresholds in force on \(last.lastDay.text)   ✓ met   ✗ missed   – not assessed   · no data   ! data problem")
        let inForce = projection.policy.indicators(on: last.lastDay)
        let indicators = inForce.filter { $0.kind == "assessed" }
        var table = TextTable(["法院"] + indicators.map(\.code) + ["达标"])
        for unit in plan.courts.map(\.code) + [Attribution.city] {
            let rows = indicators.map { projection.row($0, unit: unit, counts: counts, period: last) }
            let assessed = rows.filter { $0.status == .met || $0.status == .missed }.count
            table.add([projection.unitName(unit)] + rows.map(\.status.mark) + ["\(rows.filter { $0.status == .met }.count)/\(assessed)"])
        }
        Swift.print(table.render())
        Swift.print(indicators.map { "\($0.code) \($0.name)\($0.kind == "supervised" ? "（督导）" : "")" }.joined(separator: "  "))

        let supervised = inForce.filter { $0.kind == "supervised" }
        let measured = supervised.map { ($0, projection.row($0, unit: Attribution.city, counts: counts, period: last)) }.filter { $0.1.denominator > 0 }
        if !measured.isEmpty {
            Swift.print("督导 figures (city, \(last)): " + measured.map { "\($0.0.code) \($0.0.name) \($0.1.valueText)" }.joined(separator: "  ")
                        + "  (\(supervised.count - measured.count) more supervised systems without data)")
        }
        Swift.print("")
        Swift.print(try QueryViews.accountability(source, period: last.description).render("table"))

        let written = try writeBulletins(source, last: last)
        Swift.print("")
        Swift.print("bulletins (Markdown and HTML) written:")
        for path in written { Swift.print("  \(path)") }

        let held = try DemoRun.eventsHeld(by: hub)
        Swift.print("")
        Swift.print(String(format: "%d usage events recorded at 11 courts; the hub holds %lld signed events (usage, policy, explanations), every one verified; %.1f s", totalEvents, held, elapsed))
        Swift.print("try:")
        Swift.print("  courtsync query compliance --dir \(dir)/hub --period \(last) --court 解放区人民法院")
        Swift.print("  courtsync query trend --dir \(dir)/hub --indicator 网上立案率 --from \(simulation.period(0)) --to \(last) --court 410804")
        Swift.print("  courtsync query accountability --dir \(dir)/hub --period \(last)")
        Swift.print("  courtsync report monthly \(last) --dir \(dir)/hub --format html --out \(last)-月通报.html")
        Swift.print("  courtsync audit replay --dir \(dir)/hub")
    }

    /// The latest month's bulletin, the latest half-year's and year's (the last that ended,
    /// or the current one if none has).
    func writeBulletins(_ source: ProjectionSource, last: Period) throws -> [String] {
        guard case .month(let y, let m) = last else { return [] }
        // The last half-year and year that ended with data, else the current ones.
        let currentHalf = Period.half(year: y, half: m <= 6 ? 1 : 2)
        let endedHalf = m == 6 || m == 12 ? currentHalf : currentHalf.previous
        let half = try source.counts(endedHalf.description).isEmpty ? currentHalf : endedHalf
        let endedYear = m == 12 ? Period.year(y) : .year(y - 1)
        let year = try source.counts(endedYear.description).isEmpty ? .year(y) : endedYear
        let folder = "\(dir)/bulletins"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let time = EventTime(beijing: nowSeconds).text
        var written: [String] = []
        for (kind, period) in [(Bulletin.Kind.monthly, last), (.halfYear, half), (.annual, year)] {
            let now = nowSeconds
            let note = BulletinNote.source(at: now, court: "焦作市中级人民法院") + "本通报数据为演示程序模拟生成，并非真实数据。"
            var bulletin = try Bulletin.make(kind: kind, period: period, projection: source.projection, counts: source.counts, dataNote: note)
            bulletin.reproduction = BulletinNote.reproduction(time: time, command: "courtsync report \(kind.rawValue) \(period) --dir \(dir)/hub --as-of \(time)", plan: source.policy.planSource)
                + "\n模拟种子：\(simulation.seed)"
            bulletin.issued = BulletinNote.chineseDate(now)
            for format in ["md", "html"] {
                let path = "\(folder)/\(kind.rawValue)-\(period).\(format)"
                try BulletinFile.write(bulletin, format: format, to: path)
                written.append(path)
            }
        }
        return written
    }
}
