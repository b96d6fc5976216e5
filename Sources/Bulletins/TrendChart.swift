/// A small line chart as inline SVG: the city's value per period and the threshold in force
/// (dashed). No script, no external file: it prints and mails as it shows.
public enum TrendChart {
    public static func svg(_ points: [Bulletin.TrendPoint], unit: String, title: String) -> String {
        let width = 560.0, height = 180.0, left = 56.0, right = 12.0, top = 14.0, bottom = 30.0
        let values = points.flatMap { [$0.valuePer10k, $0.thresholdPer10k].compactMap { $0 } }
        guard !values.isEmpty, points.count > 0 else { return "" }
        // The y range: around the data and the threshold, padded, within 0…100% for percentages.
        var lo = Double(values.min()!), hi = Double(values.max()!)
        let pad = max((hi - lo) * 0.15, unit == "percent" ? 50 : 10)
        lo = max(0, lo - pad)
        hi = unit == "percent" ? min(10_000, hi + pad) : hi + pad
        if hi <= lo { hi = lo + 1 }
        let plotW = width - left - right, plotH = height - top - bottom
        func x(_ i: Int) -> Double { points.count == 1 ? left + plotW / 2 : left + plotW * Double(i) / Double(points.count - 1) }
        func y(_ v: Int64) -> Double { top + plotH * (1 - (Double(v) - lo) / (hi - lo)) }
        func f(_ d: Double) -> String { String(Int((d * 10).rounded())) .withDecimal }
        var svg = #"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \#(Int(width)) \#(Int(height))" width="\#(Int(width))" height="\#(Int(height))" role="img" aria-label="\#(escape(title))">"#
        svg += #"<title>\#(escape(title))</title>"#
        // Axes and y labels (bottom, middle, top).
        svg += #"<line x1="\#(f(left))" y1="\#(f(top))" x2="\#(f(left))" y2="\#(f(top + plotH))" stroke="rgb(153,153,153)"/>"#
        svg += #"<line x1="\#(f(left))" y1="\#(f(top + plotH))" x2="\#(f(width - right))" y2="\#(f(top + plotH))" stroke="rgb(153,153,153)"/>"#
        for frac in [0.0, 0.5, 1.0] {
            let v = Int64((lo + (hi - lo) * frac).rounded())
            let yy = y(v)
            svg += #"<text x="\#(f(left - 4))" y="\#(f(yy + 4))" font-size="10" text-anchor="end" fill="rgb(85,85,85)">\#(BulletinText.value(v, unit))</text>"#
            svg += #"<line x1="\#(f(left))" y1="\#(f(yy))" x2="\#(f(width - right))" y2="\#(f(yy))" stroke="rgb(230,230,230)"/>"#
        }
        // x labels: every period when few, else every other.
        let step = points.count > 8 ? 2 : 1
        for (i, p) in points.enumerated() where i % step == 0 || i == points.count - 1 {
            svg += #"<text x="\#(f(x(i)))" y="\#(f(height - 10))" font-size="10" text-anchor="middle" fill="rgb(85,85,85)">\#(escape(p.period))</text>"#
        }
        // The threshold, as steps (it can change during the range).
        var thresholdPath = ""
        for (i, p) in points.enumerated() {
            guard let t = p.thresholdPer10k else { continue }
            let x0 = i == 0 ? x(0) : (x(i - 1) + x(i)) / 2, x1 = i == points.count - 1 ? x(i) : (x(i) + x(i + 1)) / 2
            thresholdPath += "M\(f(x0)) \(f(y(t)))H\(f(x1))"
        }
        if !thresholdPath.isEmpty {
            svg += #"<path d="\#(thresholdPath)" stroke="rgb(192,57,43)" stroke-width="1.5" stroke-dasharray="5 3" fill="none"/>"#
        }
        // The city's values: a line through the periods with data, a dot on each.
        var line = ""
        for (i, p) in points.enumerated() {
            guard let v = p.valuePer10k else { continue }
            line += (line.isEmpty ? "M" : "L") + "\(f(x(i))) \(f(y(v)))"
        }
        if !line.isEmpty { svg += #"<path d="\#(line)" stroke="rgb(31,95,168)" stroke-width="2" fill="none"/>"# }
        for (i, p) in points.enumerated() {
            guard let v = p.valuePer10k else { continue }
            let met = p.thresholdPer10k.map { v >= $0 } ?? true
            svg += #"<circle cx="\#(f(x(i)))" cy="\#(f(y(v)))" r="3" fill="\#(met ? "rgb(31,95,168)" : "rgb(192,57,43)")"><title>\#(escape(p.period)) \#(escape(p.valueText))</title></circle>"#
        }
        return svg + "</svg>"
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}

private extension String {
    /// "1234" (tenths) → "123.4".
    var withDecimal: String {
        let negative = hasPrefix("-")
        var digits = negative ? String(dropFirst()) : self
        while digits.count < 2 { digits = "0" + digits }
        return (negative ? "-" : "") + digits.dropLast() + "." + digits.suffix(1)
    }
}
