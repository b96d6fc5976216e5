import ArgumentParser
import CanonicalJSON
import CourtLog
import CourtPlan
import Foundation
import NodeStore
import OfficeFiles

/// `courtsync standings import FILE.xlsx --dir HUB`: one `standing.recorded` event per row.
struct StandingsImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Record the province's standings from a spreadsheet (.xlsx or CSV) at the hub's node 410800.",
        discussion: """
            The first sheet (or the CSV) has a header row and one row per indicator and period:
              指标 (indicator: name 网上立案率, code 1a or slug)   期间 (period: 2023-07, 2023年7月, 2023-H1, 2023年上半年, 2023)
              全省排名 (rank)   全省平均 (province average: 98.55%, 0.9855 or, for a per-case indicator, 0.25)
              优秀标准 (optional, like the average)   文件 (optional: the notice it comes from)
            English headers indicator, period, rank, province_average, excellent, document work too.
            Every bad row is reported (up to 20) and nothing is recorded. Rows recorded before
            (same indicator, period and figures) are skipped, so a file can be imported again.
            """)

    @Option(help: "The hub directory (its node 410800 records policy).")
    var dir: String

    @Option(help: "The recording time (default: now), RFC 3339 or 2023-08-08 10:00 (北京时间).")
    var at: String?

    @Option(help: "The text encoding of a CSV file: utf-8, gb18030 or gbk (default: detected).")
    var encoding: String?

    @Argument(help: "The spreadsheet: .xlsx or .csv.")
    var file: String

    static let columns: [(key: String, names: [String])] = [
        ("indicator", ["indicator", "指标", "指标名称", "考核指标", "项目"]),
        ("period", ["period", "期间", "考核期间", "月份", "时间"]),
        ("rank", ["rank", "全省排名", "排名", "名次"]),
        ("average", ["province_average", "全省平均", "全省平均值", "平均值", "平均"]),
        ("excellent", ["excellent", "优秀标准", "优秀值"]),
        ("document", ["document", "文件", "依据", "通报文件"]),
    ]

    func run() throws {
        guard let bytes = FileManager.default.contents(atPath: file) else {
            throw EventError("cannot read \(file): check the path and its permissions")
        }
        let plan = Plan.shipped
        let now = nowSeconds
        let time: EventTime
        do { time = try EventTime(parsing: try ImportTime.normalize(at ?? EventTime(beijing: now).text)) } catch { throw EventError("--at: \(error.reason)") }
        let drafts: [(String, EventDraft)]
        do {
            drafts = try OfficeInput.read(Array(bytes), name: file, format: nil, encoding: encoding.flatMap(TextEncoding.init(name:))) { _, content throws(EventError) in
                guard case .table(let rows) = content else { throw EventError("standings come as a spreadsheet (.xlsx) or CSV, not JSON Lines") }
                return try Self.drafts(rows, plan: plan, at: time)
            }
        } catch let error as EventError {
            if !error.records.isEmpty { throw EventError("\(file): nothing was recorded; \(error.description)") }
            throw EventError("\(file): \(error.description) (nothing was recorded)")
        }
        let node = try NodeDirectory.open(at: dir)
        guard node.court.code == PolicyAuthority.intermediateCourt else {
            throw EventError("\(dir) is the node of \(node.court.name): standings are recorded at the hub (node \(PolicyAuthority.intermediateCourt)); give the hub's directory")
        }
        let stored = try node.store.storedIDs(of: node.court.code, among: drafts.map { $0.1.id })
        let new = drafts.filter { !stored.contains($0.1.id) }
        let outcome = try node.append(new.map(\.1), recordedAt: now)
        for (line, _) in new { print(line) }
        print("recorded \(outcome.appended.count) standings (\(drafts.count - new.count) already recorded) from \(file) at node \(node.court.code); head seq \(outcome.head.seq)")
    }

    static func drafts(_ rows: [(line: Int, cells: [String])], plan: Plan, at: EventTime) throws(EventError) -> [(String, EventDraft)] {
        var rows = rows.filter { !$0.cells.allSatisfy { $0.trimmingCharacters(in: .whitespaces).isEmpty } }
        guard !rows.isEmpty else { throw EventError("the sheet is empty: it needs a header row (指标, 期间, 全省排名, 全省平均, 优秀标准)") }
        func columnIndex(_ row: (line: Int, cells: [String])) -> [String: Int] {
            var index: [String: Int] = [:]
            for (i, name) in row.cells.enumerated() {
                let n = name.trimmingCharacters(in: .whitespaces)
                if let c = columns.first(where: { $0.names.contains(n) }), index[c.key] == nil { index[c.key] = i }
            }
            return index
        }
        // The province's sheets often open with a title row (2023年7月全省法院…排名): the header
        // is the first of the top rows that names the indicator and the rank.
        let headerAt = rows.prefix(10).firstIndex { let i = columnIndex($0); return i["indicator"] != nil && i["rank"] != nil } ?? 0
        rows.removeFirst(headerAt)
        let header = rows[0]
        let index = columnIndex(header)
        for required in ["indicator", "period", "rank", "average"] where index[required] == nil {
            let names = columns.first { $0.key == required }!.names
            throw EventError("the header (line \(header.line)) has no \(names[1]) column (\(names[0])): columns are 指标, 期间, 全省排名, 全省平均, optional 优秀标准 and 文件")
        }
        var out: [(String, EventDraft)] = []
        var errors: [EventError] = []
        for row in rows.dropFirst() {
            func cell(_ key: String) -> String? {
                guard let i = index[key], i < row.cells.count else { return nil }
                let v = row.cells[i].trimmingCharacters(in: .whitespaces)
                return v.isEmpty ? nil : v
            }
            do throws(EventError) {
                guard let indText = cell("indicator") else { throw EventError("指标 is empty: name the indicator (网上立案率, 1a or online-filing)") }
                let indicator: Plan.Indicator
                do { indicator = try plan.indicator(indText) } catch { throw EventError(error.message) }
                guard let periodText = cell("period") else { throw EventError("期间 is empty: give the period, e.g. 2023-07") }
                let period = try Self.period(periodText)
                guard let rankText = cell("rank") else { throw EventError("全省排名 is empty: give the rank, e.g. 4") }
                let digits = rankText.filter { $0 != "第" && $0 != "名" }
                guard let rank = Int64(digits), rank >= 1, rank <= 1000 else { throw EventError("全省排名 '\(rankText)' must be a whole number from 1, e.g. 4") }
                guard let avgText = cell("average") else { throw EventError("全省平均 is empty: give the province's average, e.g. 98.55%") }
                let average = try Self.per10k(avgText, unit: indicator.unit, column: "全省平均")
                var data: [String: JSONValue] = ["indicator": .string(indicator.slug), "period": .string(period.description),
                                                 "rank": .int(rank), "province_average_per_10k": .int(average)]
                var excellent: Int64?
                if let e = cell("excellent") { excellent = try Self.per10k(e, unit: indicator.unit, column: "优秀标准"); data["excellent_per_10k"] = .int(excellent!) }
                if let d = cell("document") { data["document"] = .string(d) }
                let id = "standing:\(indicator.slug):\(period):\(rank):\(average):\(excellent.map(String.init) ?? "-")"
                let draft = try EventDraft(id: id, type: "standing.recorded", at: at, dept: nil, data: data, catalog: .shipped)
                let summary = "\(period) \(indicator.name): 全省第\(rank)名, 全省平均 \(StandingFormat.value(average, indicator.unit))" + (excellent.map { ", 优秀标准 \(StandingFormat.value($0, indicator.unit))" } ?? "")
                out.append((summary, draft))
            } catch {
                errors.append(error.at(line: row.line))
                if errors.count >= EventRecordReader.reportLimit { break }
            }
        }
        if errors.count == 1 { throw errors[0] }
        if !errors.isEmpty {
            var report = EventError("\(errors.count >= EventRecordReader.reportLimit ? "at least " : "")\(errors.count) rows are wrong; fix them and import again:\n" + errors.map { "  \($0.description)" }.joined(separator: "\n"))
            report.records = errors
            throw report
        }
        guard !out.isEmpty else { throw EventError("the sheet has a header but no rows: add one row per indicator and period") }
        return out
    }

    /// A period from 2023-07, 2023/7, 2023年7月, 2023-H1, 2023年上半年, 2023年 or 2023.
    static func period(_ text: String) throws(EventError) -> Period {
        if let p = try? Period(parsing: text) { return p }
        var t = text.replacingOccurrences(of: "年度", with: "年")
        if t.hasSuffix("上半年") { t = t.replacingOccurrences(of: "年上半年", with: "-H1") } else if t.hasSuffix("下半年") { t = t.replacingOccurrences(of: "年下半年", with: "-H2") }
        t = t.replacingOccurrences(of: "年", with: "-").replacingOccurrences(of: "月", with: "").replacingOccurrences(of: "/", with: "-")
        if t.hasSuffix("-") { t.removeLast() }
        let parts = t.split(separator: "-")
        if parts.count == 2, parts[1].count == 1, let m = Int(parts[1]) { t = "\(parts[0])-0\(m)" }
        if let p = try? Period(parsing: t) { return p }
        throw EventError("期间 '\(text)' is not a period: write 2023-07, 2023年7月, 2023-H1, 2023年上半年 or 2023")
    }

    /// A value per 10,000 from `98.55%`, `0.9855` (a fraction, as Excel keeps a percent cell),
    /// `98.55` (a percent without the sign) or, for a per-case indicator, `0.25`. Exact, half up.
    static func per10k(_ text: String, unit: String, column: String) throws(EventError) -> Int64 {
        var t = text
        let hasPercent = t.hasSuffix("%")
        if hasPercent { t.removeLast() }
        let parts = t.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty, parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              parts[0].count <= 6 else {
            throw EventError("\(column) '\(text)' is not a number: write it as 98.55% (or 0.9855), or 0.25 for a per-case indicator")
        }
        let whole = Int64(parts[0])!
        let frac = parts.count == 2 ? String(parts[1].prefix(8)) : ""
        let scale = pow10(frac.count)
        let scaled = whole * scale + (Int64(frac.isEmpty ? "0" : frac) ?? 0)
        // A percent indicator's bare number above 1 is a percentage (98.55), at most 1 a fraction (0.9855).
        let isPercent = hasPercent || (unit == "percent" && scaled > scale)
        let factor: Int64 = isPercent ? 100 : 10_000
        let result = (scaled * factor * 2 / scale + 1) / 2
        if unit == "percent" && result > 10_000 { throw EventError("\(column) '\(text)' is above 100%") }
        return result
    }

    static func pow10(_ n: Int) -> Int64 { (0..<n).reduce(Int64(1)) { v, _ in v * 10 } }
}

/// Values per 10,000 as a person reads them: 98.55%, 0.250.
enum StandingFormat {
    static func value(_ per10k: Int64, _ unit: String) -> String {
        unit == "percent" ? "\(per10k / 100).\(per10k % 100 < 10 ? "0" : "")\(per10k % 100)%" : "\(per10k / 10000).\(String(1000 + per10k % 10000 / 10).dropFirst())"
    }
}
