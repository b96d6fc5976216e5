/// An instant written as RFC 3339 with an explicit offset, as the protocol requires for `at`.
///
/// Kept as the text it was written in (that text is what is signed) plus the UTC instant, so
/// periods can be computed without parsing again.
public struct EventTime: Sendable, Hashable, Comparable {
    /// The text as signed, e.g. `2022-08-01T09:30:00+08:00`.
    public let text: String
    /// Seconds since 1970-01-01T00:00:00Z.
    public let utcSeconds: Int64

    /// The assessment month (UTC+08:00) as `yyyy * 100 + mm`, e.g. 202208.
    public var beijingMonth: Int { let d = CivilDate(utcSeconds: utcSeconds + 8 * 3600); return d.year * 100 + d.month }

    public static func < (a: EventTime, b: EventTime) -> Bool { a.utcSeconds < b.utcSeconds }

    /// An instant written in UTC+08:00 (the courts' time): `2022-08-01T09:30:00+08:00`.
    public init(beijing utcSeconds: Int64) {
        let local = utcSeconds + 8 * 3600
        let date = CivilDate(utcSeconds: local)
        let s = Int(((local % 86400) + 86400) % 86400)
        self.text = "\(date.text)T\(String(format2: s / 3600)):\(String(format2: s / 60 % 60)):\(String(format2: s % 60))+08:00"
        self.utcSeconds = utcSeconds
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS` followed by `Z` or `±HH:MM`.
    public init(parsing text: String) throws(EventError) {
        let b = Array(text.utf8)
        guard b.count == 20 || b.count == 25 else {
            if b.count == 19 { throw EventError("time '\(text)' has no UTC offset: add one, e.g. \(String(text.map { $0 == " " ? "T" : $0 }))+08:00") }
            throw EventError("time '\(text)' is not RFC 3339 with an offset: write it as 2022-08-01T09:30:00+08:00")
        }
        func digits(_ range: Range<Int>) -> Int? { decimalDigits(b, range) }
        guard let year = digits(0..<4), b[4] == 45, let month = digits(5..<7), b[7] == 45, let day = digits(8..<10),
              b[10] == UInt8(ascii: "T"), let hour = digits(11..<13), b[13] == 58, let minute = digits(14..<16),
              b[16] == 58, let second = digits(17..<19) else {
            throw EventError("time '\(text)' is not RFC 3339 with an offset: write it as 2022-08-01T09:30:00+08:00")
        }
        var offset = 0
        if b.count == 20 {
            guard b[19] == UInt8(ascii: "Z") else {
                throw EventError("time '\(text)' has no UTC offset: end it with Z or ±hh:mm")
            }
        } else {
            guard b[19] == UInt8(ascii: "+") || b[19] == UInt8(ascii: "-"), let oh = digits(20..<22), b[22] == 58,
                  let om = digits(23..<25), oh <= 23, om <= 59 else {
                throw EventError("time '\(text)' has a malformed UTC offset: use ±hh:mm, e.g. +08:00")
            }
            offset = (oh * 3600 + om * 60) * (b[19] == UInt8(ascii: "+") ? 1 : -1)
        }
        guard CivilDate.isReal(year: year, month: month, day: day) else {
            throw EventError("time '\(text)': \(String(format4: year))-\(String(format2: month))-\(String(format2: day)) is not a real date")
        }
        guard hour <= 23, minute <= 59, second <= 59 else {
            throw EventError("time '\(text)' is not a real time of day (hours 00-23, minutes and seconds 00-59)")
        }
        let days = CivilDate(year: year, month: month, day: day).daysSinceEpoch
        self.text = text
        self.utcSeconds = Int64(days) * 86400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offset)
    }
}

/// A proleptic Gregorian calendar date, for the arithmetic the protocol needs (no Foundation).
public struct CivilDate: Sendable, Hashable, Comparable {
    public let year: Int
    public let month: Int
    public let day: Int

    public init(year: Int, month: Int, day: Int) { self.year = year; self.month = month; self.day = day }

    /// The civil date at UTC+0 of an epoch second (callers shift for other zones).
    public init(utcSeconds: Int64) {
        let days = Int((utcSeconds >= 0 ? utcSeconds : utcSeconds - 86399) / 86400)
        // Howard Hinnant's civil_from_days.
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d)
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    public static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    public static func isReal(year: Int, month: Int, day: Int) -> Bool {
        year >= 1 && (1...12).contains(month) && day >= 1 && day <= daysIn(year: year, month: month)
    }

    /// Parses `YYYY-MM-DD`, refusing dates that do not exist.
    public init(parsing text: String) throws(EventError) {
        let b = Array(text.utf8)
        func digits(_ range: Range<Int>) -> Int? { decimalDigits(b, range) }
        guard b.count == 10, let y = digits(0..<4), b[4] == 45, let m = digits(5..<7), b[7] == 45, let d = digits(8..<10) else {
            throw EventError("date '\(text)' is not YYYY-MM-DD: write it as 2022-08-01")
        }
        guard CivilDate.isReal(year: y, month: m, day: d) else { throw EventError("date '\(text)' is not a real date") }
        self.init(year: y, month: m, day: d)
    }

    public var text: String { "\(String(format4: year))-\(String(format2: month))-\(String(format2: day))" }

    public static func < (a: CivilDate, b: CivilDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }
}

extension String {
    init(format2 value: Int) { self = value < 10 ? "0\(value)" : "\(value)" }
    init(format4 value: Int) {
        let digits = "\(value)"
        let padding = digits.count >= 4 ? "" : "0000".prefix(4 - digits.count)
        self = padding + digits
    }
}

/// The value of ASCII decimal digits at `range` of `bytes`, or nil if any is not a digit.
func decimalDigits(_ bytes: [UInt8], _ range: Range<Int>) -> Int? {
    var v = 0
    for i in range {
        guard bytes[i] >= 48, bytes[i] <= 57 else { return nil }
        v = v * 10 + Int(bytes[i] - 48)
    }
    return v
}
