import CanonicalJSON
import CourtLog
import CourtPlan
import Crypto

/// Reads the records a court imports (JSON Lines or CSV) into validated drafts.
///
/// The whole input is read and checked before anything is written; the first bad record is
/// reported with its line. Records without an `id` get one derived from their content and its
/// occurrence in the file, so importing the same file again stores nothing twice.
public struct EventRecordReader: Sendable {
    public let plan: Plan
    public let catalog: EventCatalog
    /// The current time (seconds since 1970): a record dated later than this plus
    /// ``futureSkew`` is refused. Nil checks nothing.
    public var now: Int64?
    /// How far ahead of `now` a record may be dated (clocks differ a little): ten minutes.
    public static let futureSkew: Int64 = 600
    /// How many bad records one pass reports before it stops looking.
    public static let reportLimit = 20

    public init(plan: Plan = .shipped, catalog: EventCatalog = .shipped, now: Int64? = nil) {
        self.plan = plan
        self.catalog = catalog
        self.now = now
    }

    /// One record as given: `dept` may be a slug or the plan's Chinese name.
    public func draft(id: String?, type: String, at: String, dept: String?, data: [String: JSONValue]) throws(EventError) -> EventDraft {
        let time = try EventTime(parsing: try ImportTime.normalize(at))
        if let now, time.utcSeconds > now + Self.futureSkew {
            throw EventError("at '\(at)' is in the future (now \(EventTime(beijing: now).text)): an event is recorded after it happens; check the date")
        }
        var slug: String?
        if let dept {
            do { slug = try plan.department(dept).slug } catch { throw EventError(error.message) }
        }
        return try EventDraft(id: id ?? "pending", type: type, at: time, dept: slug, data: data, catalog: catalog)
    }

    /// Gives id-less drafts their content-derived id: `h:<24 hex of the content digest>:<n>`,
    /// n counting identical contents in this input.
    func assignIDs(_ drafts: [(EventDraft, hasID: Bool)]) -> [EventDraft] {
        var occurrences: [[UInt8]: Int] = [:]
        return drafts.map { draft, hasID in
            guard !hasID else { return draft }
            var d = draft
            let digest = draft.contentDigest
            let n = occurrences[digest, default: 0]
            occurrences[digest] = n + 1
            d.id = Self.derivedID(digest: digest, occurrence: n)
            return d
        }
    }

    /// Reads JSON Lines: one object per line with `type`, `at`, `data` and optional `id`, `dept`.
    public func readJSONLines(_ bytes: [UInt8]) throws(EventError) -> [EventDraft] {
        var out: [(EventDraft, hasID: Bool)] = []
        var problems = ImportProblems()
        var lineNo = 0
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNo += 1
            do throws(EventError) {
                guard let record = try record(line) else { continue }
                out.append(record)
            } catch {
                try problems.add(error.at(line: lineNo))
            }
        }
        try problems.check()
        return try checkDuplicates(assignIDs(out))
    }

    /// One line of JSON Lines as a draft, and whether the record gave its id; nil for a blank line.
    public func record(_ bytes: ArraySlice<UInt8>) throws(EventError) -> (EventDraft, hasID: Bool)? {
        var line = Array(bytes)
        if line.last == 0x0D { line.removeLast() }
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return nil }
        let value: JSONValue
        do { value = try StrictJSONParser.parse(line) } catch {
            throw EventError(error.kind == .floatingPoint ? error.reason : "not valid JSON: \(error.description)")
        }
        guard case .object(let m) = value else { throw EventError("a record is a JSON object with type, at, data (and optional id, dept)") }
        for key in m.keys.sorted() where !["id", "type", "at", "dept", "data"].contains(key) {
            throw EventError("unknown field '\(key)' in the record: a record has id, type, at, dept, data")
        }
        guard let type = m["type"]?.stringValue else { throw EventError("missing field 'type' (a string such as case.filed)") }
        guard let at = m["at"]?.stringValue else { throw EventError("missing field 'at' (e.g. 2022-08-01T09:30:00+08:00)") }
        guard case .object(let data)? = m["data"] else { throw EventError("missing field 'data' (an object)") }
        var dept: String?
        if let d = m["dept"] {
            guard let s = d.stringValue else { throw EventError("dept must be a department slug or name string, or absent") }
            dept = s
        }
        var id: String?
        if let i = m["id"] {
            guard let s = i.stringValue else { throw EventError("id must be a string") }
            id = s
        }
        return (try draft(id: id, type: type, at: at, dept: dept, data: data), id != nil)
    }

    /// The id an id-less record gets: `h:<24 hex of the content digest>:<n>`, n counting the
    /// records of identical content before it in the same input.
    static func derivedID(digest: [UInt8], occurrence n: Int) -> String {
        "h:\(Hex.encode(digest.prefix(12))):\(n)"
    }

    /// Reads CSV with a header row: `type`, `at`, optional `id`, `dept`, and one column per data
    /// field; an empty cell leaves the field out. Values take the kind the catalog gives them.
    public func readCSV(_ text: String) throws(EventError) -> [EventDraft] {
        try readTable(Self.csvRows(text), what: "CSV file")
    }

    /// Reads a table (CSV, or a spreadsheet's first sheet): the first row is the header
    /// (`type`, `at`, optional `id`, `dept`, then data fields); `line` is what errors cite.
    /// Enum cells may use the catalog's labels (`网上` for `online`), booleans `是`/`否`, times
    /// any form ``ImportTime`` reads. Every bad row is reported (up to ``reportLimit``).
    public func readTable(_ rows: [(line: Int, cells: [String])], what: String = "table", sheet: Bool = false) throws(EventError) -> [EventDraft] {
        let rows = rows.filter { !Self.isBlank($0.cells) }
        guard let rawHeader = rows.first?.cells else { throw EventError("the \(what) is empty: it needs a header row (type,at,...)") }
        let header = try TableHeader(rawHeader)
        var out: [(EventDraft, hasID: Bool)] = []
        var problems = ImportProblems()
        for row in rows.dropFirst() {
            do throws(EventError) {
                out.append(try tableRecord(row.cells, header: header, sheet: sheet))
            } catch {
                try problems.add(error.at(line: row.line))
            }
        }
        try problems.check()
        return try checkDuplicates(assignIDs(out))
    }

    /// Whether a table row has nothing in it (such rows are left out).
    public static func isBlank(_ cells: [String]) -> Bool { cells.allSatisfy { $0.trimmedSpaces.isEmpty } }

    /// One row of a table under `header` as a draft, and whether it gave its id.
    public func tableRecord(_ cells: [String], header: TableHeader, sheet: Bool = false) throws(EventError) -> (EventDraft, hasID: Bool) {
        let names = header.names
        // A sheet leaves out empty cells at a row's end; a CSV row has them all.
        guard (sheet || cells.count == names.count) && (cells.count <= names.count || cells.dropFirst(names.count).allSatisfy(\.isEmpty)) else {
            throw EventError("has \(cells.count) cells but the header has \(names.count) columns")
        }
        var values: [String: String] = [:]
        for (name, cell) in zip(names, cells) where !cell.trimmedSpaces.isEmpty { values[name] = cell.trimmedSpaces }
        guard let type = values.removeValue(forKey: "type") else { throw EventError("missing field 'type'") }
        guard let at = values.removeValue(forKey: "at") else { throw EventError("missing field 'at'") }
        let id = values.removeValue(forKey: "id")
        let dept = values.removeValue(forKey: "dept")
        let spec = try catalog.type(named: type)
        var data: [String: JSONValue] = [:]
        for (name, cell) in values {
            guard let field = spec.fields[name] else {
                throw EventError("unknown field '\(name)' for \(type): its fields are \(spec.fieldOrder.joined(separator: ", "))")
            }
            data[name] = try Self.typed(cell, kind: field.kind, name: "\(type) field '\(name)'", field: name)
        }
        for field in spec.fieldOrder where spec.fields[field]!.required && data[field] == nil && !header.columns.contains(field) {
            throw EventError("missing field '\(field)', which \(type) requires: the header has no '\(field)' column; add it")
        }
        return (try draft(id: id, type: type, at: at, dept: dept, data: data), id != nil)
    }

    /// A cell as the value of its kind; `field` (the bare name) is what enum and boolean errors
    /// quote, as a person reads them: `channel '网下' must be online or offline`.
    public static func typed(_ cell: String, kind: EventCatalog.Kind, name: String, field: String? = nil) throws(EventError) -> JSONValue {
        switch kind {
        case .enumeration(let values):
            if values.contains(cell) { return .string(cell) }
            if let canonical = EventCatalog.shippedLabels[cell], values.contains(canonical) { return .string(canonical) }
            let labels = values.flatMap { EventCatalog.labels(of: $0) }
            let or = values.count == 2 ? values.joined(separator: " or ") : values.dropLast().joined(separator: ", ") + " or " + values.last!
            throw EventError("\(field ?? name) '\(cell)' must be \(or)" + (labels.isEmpty ? "" : " (or \(labels.joined(separator: ", ")))"))
        case .timestamp:
            do { return .string(try ImportTime.normalize(cell)) } catch { throw EventError("\(field ?? name): \(error.reason)") }
        case .date:
            do { return .string(try ImportTime.normalizeDate(cell)) } catch { throw EventError("\(field ?? name): \(error.reason)") }
        case .integer:
            if cell.contains(".") || cell.lowercased().contains("e") {
                throw EventError("\(name) is '\(cell)', a floating-point number: write a whole number")
            }
            guard let i = Int64(cell), abs(i) <= JSONValue.maxSafeInteger else { throw EventError("\(name) must be an integer, not '\(cell)'") }
            return .int(i)
        case .boolean:
            switch EventCatalog.shippedLabels[cell] ?? cell.lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: throw EventError("\(field ?? name) '\(cell)' must be true or false (or 是, 否)")
            }
        case .stringList:
            return .array(cell.split(separator: ";").map { .string(String($0)) })
        case .object:
            // An object is written as JSON (e.g. `measure={"numerator":…}` on the command line).
            guard cell.hasPrefix("{"), case .object(let o)? = try? StrictJSONParser.parse(Array(cell.utf8)) else {
                throw EventError("\(name) is an object: write it as a JSON object {…}, or use JSON Lines")
            }
            return .object(o)
        default:
            return .string(cell)
        }
    }

    /// Refuses an id used twice in one input with different content.
    func checkDuplicates(_ drafts: [EventDraft]) throws(EventError) -> [EventDraft] {
        var seen: [String: (Int, [UInt8])] = [:]
        for (i, d) in drafts.enumerated() {
            let digest = d.contentDigest
            if let (first, earlier) = seen[d.id], earlier != digest {
                throw EventError("id '\(d.id)' is used by record \(first + 1) and record \(i + 1) with different content: give each event its own id")
            }
            seen[d.id] = seen[d.id] ?? (i, digest)
        }
        return drafts
    }
}

/// A table's header row (`type`, `at`, optional `id`, `dept`, then data fields), checked: every
/// column named, none twice, `type` and `at` present. Its errors cite line 1.
public struct TableHeader: Sendable {
    public let names: [String]
    public let columns: Set<String>

    public init(_ cells: [String]) throws(EventError) {
        names = cells.map(\.trimmedSpaces)
        var seen = Set<String>()
        for name in names {
            guard !name.isEmpty else { throw EventError("the header has an empty column name: name every column", line: 1) }
            guard seen.insert(name).inserted else { throw EventError("the header names column '\(name)' twice", line: 1) }
        }
        for required in ["type", "at"] where !seen.contains(required) {
            throw EventError("the header has no '\(required)' column: add it (columns: type, at, id, dept, then data fields)", line: 1)
        }
        columns = seen
    }
}

/// The bad records of one input, gathered so one pass reports them all (up to a limit).
struct ImportProblems {
    var errors: [EventError] = []
    var more = false

    /// Records a problem; stops the pass once the limit is reached.
    mutating func add(_ e: EventError) throws(EventError) {
        errors.append(e)
        if errors.count >= EventRecordReader.reportLimit { more = true; try check() }
    }

    func check() throws(EventError) {
        guard !errors.isEmpty else { return }
        if errors.count == 1 && !more { throw errors[0] }
        let count = more ? "at least \(errors.count) records are wrong (the first \(errors.count) shown)" : "\(errors.count) records are wrong"
        var report = EventError(count + "; fix them and import again:\n" + errors.map { "  \($0.description)" }.joined(separator: "\n"))
        report.records = errors
        throw report
    }
}

extension EventRecordReader {
    /// CSV text as rows with their line numbers, for ``readTable(_:what:)``.
    /// RFC 4180: quoted cells may hold commas, quotes (doubled) and line breaks. The same scanner
    /// as the streaming import's (``CSVScanner``), given the whole text as one run.
    public static func csvRows(_ text: String) throws(EventError) -> [(line: Int, cells: [String])] {
        var scanner = CSVScanner()
        var rows: [(line: Int, cells: [String])] = []
        try scanner.scan(text, into: &rows)
        if let last = try scanner.finish() { rows.append(last) }
        return rows
    }
}
