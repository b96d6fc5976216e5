/// An assessment period in UTC+08:00: a month, a half-year or a year (月、半年、年).
public enum Period: Sendable, Hashable, Comparable, CustomStringConvertible {
    case month(year: Int, month: Int)
    case half(year: Int, half: Int)
    case year(Int)

    /// The accepted written forms, for error messages.
    public static let acceptedForms = "a month 2022-09, a half-year 2023-H1 or 2023-H2, or a year 2022"

    /// Parses `YYYY-MM`, `YYYY-H1`, `YYYY-H2` or `YYYY`.
    public init(parsing text: String) throws(EventError) {
        let b = Array(text.utf8)
        func digits(_ range: Range<Int>) -> Int? { decimalDigits(b, range) }
        guard b.count >= 4, let year = digits(0..<4), year >= 1 else {
            throw EventError("period '\(text)' is not one of \(Period.acceptedForms)")
        }
        if b.count == 4 { self = .year(year); return }
        if b.count == 7, b[4] == 45 {
            if b[5] == UInt8(ascii: "H"), b[6] == UInt8(ascii: "1") || b[6] == UInt8(ascii: "2") {
                self = .half(year: year, half: Int(b[6] - 48)); return
            }
            if let m = digits(5..<7), (1...12).contains(m) { self = .month(year: year, month: m); return }
        }
        throw EventError("period '\(text)' is not one of \(Period.acceptedForms)")
    }

    public var description: String {
        switch self {
        case .month(let y, let m): "\(String(format4: y))-\(String(format2: m))"
        case .half(let y, let h): "\(String(format4: y))-H\(h)"
        case .year(let y): String(format4: y)
        }
    }

    /// First and last month covered, as `yyyy * 100 + mm`.
    public var monthRange: ClosedRange<Int> {
        switch self {
        case .month(let y, let m): (y * 100 + m)...(y * 100 + m)
        case .half(let y, let h): (y * 100 + (h == 1 ? 1 : 7))...(y * 100 + (h == 1 ? 6 : 12))
        case .year(let y): (y * 100 + 1)...(y * 100 + 12)
        }
    }

    /// The last calendar day of the period (the day whose end fixes the threshold in force).
    public var lastDay: CivilDate {
        let last = monthRange.upperBound
        let y = last / 100, m = last % 100
        return CivilDate(year: y, month: m, day: CivilDate.daysIn(year: y, month: m))
    }

    /// The period of the same kind just before this one.
    public var previous: Period {
        switch self {
        case .month(let y, let m): m == 1 ? .month(year: y - 1, month: 12) : .month(year: y, month: m - 1)
        case .half(let y, let h): h == 1 ? .half(year: y - 1, half: 2) : .half(year: y, half: 1)
        case .year(let y): .year(y - 1)
        }
    }

    /// The period of the same kind just after this one.
    public var next: Period {
        switch self {
        case .month(let y, let m): m == 12 ? .month(year: y + 1, month: 1) : .month(year: y, month: m + 1)
        case .half(let y, let h): h == 2 ? .half(year: y + 1, half: 1) : .half(year: y, half: 2)
        case .year(let y): .year(y + 1)
        }
    }

    public static func < (a: Period, b: Period) -> Bool {
        (a.monthRange.lowerBound, a.monthRange.upperBound) < (b.monthRange.lowerBound, b.monthRange.upperBound)
    }
}
