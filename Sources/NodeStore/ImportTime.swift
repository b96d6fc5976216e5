import CourtLog

/// The times office files hold, read as the protocol's RFC 3339 text.
///
/// Every court is in UTC+08:00 (北京时间), so a time without an offset is taken as +08:00:
/// `2022-08-01T09:30:00+08:00` (as is), `2022-08-01 09:30[:00]`, `2022-08-01T09:30[:00]`,
/// `2022/8/1 9:30`, `2022年8月1日 9:30`, a bare date (`2022-08-01`, `2022/8/1`: its start,
/// 00:00), or an Excel serial date-time (`44774.395833`, as an .xlsx date cell holds it).
public enum ImportTime {
    /// The RFC 3339 text for `text`, or an error saying which forms are accepted.
    public static func normalize(_ raw: String) throws(EventError) -> String {
        let text = raw.trimmedSpaces
        if (text.utf8.count == 20 || text.utf8.count == 25), text.contains("T") {
            _ = try EventTime(parsing: text)
            return text
        }
        if let serial = excelSerial(text) { return serial }
        let (date, time, offset) = try split(text, raw: raw)
        let d = try parseDate(date, raw: raw)
        var h = 0, m = 0, s = 0
        if let time {
            let parts = time.split(separator: ":", omittingEmptySubsequences: false)
            guard (2...3).contains(parts.count), let hh = Int(parts[0]), let mm = Int(parts[1]),
                  parts[0].count <= 2, parts[1].count == 2, parts.count == 2 || parts[2].count == 2 else {
                throw bad(raw)
            }
            h = hh; m = mm
            if parts.count == 3 { guard let ss = Int(parts[2]) else { throw bad(raw) }; s = ss }
            guard h <= 23, m <= 59, s <= 59 else { throw EventError("time '\(raw)' is not a real time of day (hours 0-23, minutes and seconds 00-59)") }
        }
        let out = "\(d)T\(two(h)):\(two(m)):\(two(s))\(offset ?? "+08:00")"
        _ = try EventTime(parsing: out)
        return out
    }

    /// A calendar date `YYYY-MM-DD` from `2022-08-01`, `2022/8/1`, `2022.8.1`, `2022年8月1日` or an Excel serial day.
    public static func normalizeDate(_ raw: String) throws(EventError) -> String {
        let text = raw.trimmedSpaces
        if let serial = excelSerial(text) { return String(serial.prefix(10)) }
        return try parseDate(text, raw: raw)
    }

    static let accepted = "2022-08-01T09:30:00+08:00, 2022-08-01 09:30[:00], 2022/8/1 9:30 or a date 2022-08-01 (times without an offset are 北京时间, +08:00)"

    static func bad(_ raw: String) -> EventError {
        EventError("time '\(raw)' is not understood: write it as \(accepted)")
    }

    static func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }

    /// Splits into date, time and offset (`Z` or `±hh:mm`) parts.
    static func split(_ text: String, raw: String) throws(EventError) -> (String, String?, String?) {
        var t = text
        var offset: String?
        if t.hasSuffix("Z") { offset = "Z"; t.removeLast() } else if t.count > 6 {
            let tail = String(t.suffix(6))
            if (tail.hasPrefix("+") || tail.hasPrefix("-")), tail.dropFirst().split(separator: ":").count == 2, tail.contains(":") {
                offset = tail; t.removeLast(6)
            }
        }
        let pieces = t.split(whereSeparator: { $0 == " " || $0 == "T" }).map(String.init)
        guard (1...2).contains(pieces.count) else { throw bad(raw) }
        if pieces.count == 1 && offset != nil { throw bad(raw) }
        return (pieces[0], pieces.count == 2 ? pieces[1] : nil, offset)
    }

    static func parseDate(_ text: String, raw: String) throws(EventError) -> String {
        var t = text
        if t.hasSuffix("日") { t.removeLast() }
        let parts = t.split(whereSeparator: { "-/.年月".contains($0) }).map(String.init)
        guard parts.count == 3, parts[0].count == 4, (1...2).contains(parts[1].count), (1...2).contains(parts[2].count),
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else { throw bad(raw) }
        guard CivilDate.isReal(year: y, month: m, day: d) else { throw EventError("date '\(raw)' is not a real date") }
        return CivilDate(year: y, month: m, day: d).text
    }

    /// An Excel serial date-time (days since 1899-12-30, fraction = time of day), in +08:00.
    static func excelSerial(_ text: String) -> String? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), text.first != ".",
              let v = Double(text), v >= 20_000, v < 80_000 else { return nil }
        let days = Int64(v.rounded(.down))
        let seconds = Int64(((v - Double(days)) * 86400).rounded())
        // 1899-12-30 is serial 0 and 1970-01-01 is serial 25569; the local time is +08:00.
        let local = (days - 25569) * 86400 + seconds
        return EventTime(beijing: local - 8 * 3600).text
    }
}

extension String {
    var trimmedSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\u{3000}" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\u{3000}" { s.removeLast() }
        return String(s)
    }
}
