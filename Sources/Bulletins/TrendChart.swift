/// A small line chart as inline SVG: the city's value per month and the threshold in force
/// (dashed), with a legend and round axis ticks. No script, no external file, no text outside
/// the drawing area: it prints and mails as it shows.
public enum TrendChart {
    static let blue = "rgb(31,95,168)", red = "rgb(192,57,43)", grey = "rgb(85,85,85)"

    /// Round tick values (per 10,000) covering `lo...hi`: steps of 1, 2, 2.5 or 5 × 10^k,
    /// four to six of them.
    static func ticks(lo: Double, hi: Double, percent: Bool) -> [Int64] {
        let span = max(hi - lo, percent ? 100 : 10)
        let raw = span / 4
        var magnitude = 1.0
        while magnitude * 10 <= raw { magnitude *= 10 }
        while magnitude > raw { magnitude /= 10 }
        let step = [1.0, 2.0, 2.5, 5.0, 10.0].map { $0 * magnitude }.first { $0 >= raw } ?? magnitude * 10
        let s = max(1, Int64(step.rounded()))
        var t = Int64((lo / Double(s)).rounded(.down)) * s
        var out: [Int64] = []
        while Double(t) < hi + Double(s) {
            out.append(t)
            if Double(t) >= hi { break }
            t += s
        }
        return out
    }

    /// A tick's label: 95%, 97.5%, 0.25.
    static func tickLabel(_ v: Int64, percent: Bool) -> String {
        if percent {
            // per 10,000 → percent, exactly, without trailing zeros: 96%, 97.5%, 99.75%
            let whole = v / 100, frac = v % 100
            if frac == 0 { return "\(whole)%" }
            return frac % 10 == 0 ? "\(whole).\(frac / 10)%" : "\(whole).\(frac < 10 ? "0" : "")\(frac)%"
        }
        let thousandths = v / 10
        var frac = String(thousandths % 1000)
        while frac.count < 3 { frac = "0" + frac }
        while frac.hasSuffix("0") { frac.removeLast() }
        return frac.isEmpty ? "\(thousandths / 1000)" : "\(thousandths / 1000).\(frac)"
    }

    public static func svg(_ points: [Bulletin.TrendPoint], unit: String, title: String) -> String {
        let width = 600.0, height = 230.0, left = 52.0, right = 16.0, top = 12.0, bottom = 66.0
        let percent = unit == "percent"
        let values = points.flatMap { [$0.valuePer10k, $0.thresholdPer10k].compactMap { $0 } }
        guard !values.isEmpty, !points.isEmpty else { return "" }
        var lo = Double(values.min()!), hi = Double(values.max()!)
        let pad = max((hi - lo) * 0.1, percent ? 50 : 10)
        lo = max(0, lo - pad)
        hi = percent ? min(10_000, hi + pad) : hi + pad
        let tickValues = ticks(lo: lo, hi: hi, percent: percent)
        lo = Double(tickValues.first!); hi = Double(max(tickValues.last!, tickValues.first! + 1))
        let plotW = width - left - right, plotH = height - top - bottom
        // Points sit in the middle of equal slots, so the first and last are never on the edge.
        func x(_ i: Int) -> Double { left + plotW * (Double(i) + 0.5) / Double(points.count) }
        func y(_ v: Int64) -> Double { top + plotH * (1 - (Double(v) - lo) / (hi - lo)) }
        func f(_ d: Double) -> String { String(Int((d * 10).rounded())).withDecimal }
        var svg = #"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \#(Int(width)) \#(Int(height))" width="100%" role="img" aria-label="\#(escape(title))" font-family="sans-serif">"#
        svg += #"<title>\#(escape(title))</title>"#
        for v in tickValues {
            let yy = y(v)
            svg += #"<line x1="\#(f(left))" y1="\#(f(yy))" x2="\#(f(width - right))" y2="\#(f(yy))" stroke="rgb(225,225,225)"/>"#
            svg += #"<text x="\#(f(left - 5))" y="\#(f(yy + 4))" font-size="11" text-anchor="end" fill="\#(grey)">\#(tickLabel(v, percent: percent))</text>"#
        }
        svg += #"<line x1="\#(f(left))" y1="\#(f(top))" x2="\#(f(left))" y2="\#(f(top + plotH))" stroke="rgb(153,153,153)"/>"#
        svg += #"<line x1="\#(f(left))" y1="\#(f(top + plotH))" x2="\#(f(width - right))" y2="\#(f(top + plotH))" stroke="rgb(153,153,153)"/>"#
        // x labels: the month (8月), with the year under the first point and every January.
        let step = max(1, (points.count + 11) / 12)
        for (i, p) in points.enumerated() {
            let parts = p.period.split(separator: "-")
            let month = parts.count == 2 ? Int(parts[1]) ?? 0 : 0
            if i % step == 0 || i == points.count - 1 {
                let label = month > 0 ? "\(month)月" : p.period
                svg += #"<text x="\#(f(x(i)))" y="\#(f(top + plotH + 15))" font-size="11" text-anchor="middle" fill="\#(grey)">\#(escape(label))</text>"#
            }
            if month > 0 && (i == 0 || month == 1) {
                svg += #"<text x="\#(f(x(i)))" y="\#(f(top + plotH + 29))" font-size="11" text-anchor="middle" fill="\#(grey)">\#(parts[0])年</text>"#
            }
        }
        // The threshold, as steps (it can change during the range).
        var thresholdPath = ""
        for (i, p) in points.enumerated() {
            guard let t = p.thresholdPer10k else { continue }
            let half = plotW / Double(points.count) / 2
            thresholdPath += "M\(f(x(i) - half)) \(f(y(t)))H\(f(x(i) + half))"
        }
        if !thresholdPath.isEmpty {
            svg += #"<path d="\#(thresholdPath)" stroke="\#(red)" stroke-width="1.5" stroke-dasharray="5 3" fill="none"/>"#
        }
        var line = ""
        for (i, p) in points.enumerated() {
            guard let v = p.valuePer10k else { continue }
            line += (line.isEmpty ? "M" : "L") + "\(f(x(i))) \(f(y(v)))"
        }
        if !line.isEmpty { svg += #"<path d="\#(line)" stroke="\#(blue)" stroke-width="2" fill="none"/>"# }
        for (i, p) in points.enumerated() {
            guard let v = p.valuePer10k else { continue }
            let met = p.thresholdPer10k.map { v >= $0 } ?? true
            svg += #"<circle cx="\#(f(x(i)))" cy="\#(f(y(v)))" r="\#(met ? "3" : "4")" fill="\#(met ? blue : red)"><title>\#(escape(p.period)) \#(escape(p.valueText))</title></circle>"#
        }
        // The legend, inside the drawing, under the axis.
        let ly = height - 12
        svg += #"<line x1="\#(f(left))" y1="\#(f(ly - 4))" x2="\#(f(left + 22))" y2="\#(f(ly - 4))" stroke="\#(blue)" stroke-width="2"/><circle cx="\#(f(left + 11))" cy="\#(f(ly - 4))" r="3" fill="\#(blue)"/>"#
        svg += #"<text x="\#(f(left + 28))" y="\#(f(ly))" font-size="11" fill="\#(grey)">全市数值</text>"#
        svg += #"<line x1="\#(f(left + 110))" y1="\#(f(ly - 4))" x2="\#(f(left + 132))" y2="\#(f(ly - 4))" stroke="\#(red)" stroke-width="1.5" stroke-dasharray="5 3"/>"#
        svg += #"<text x="\#(f(left + 138))" y="\#(f(ly))" font-size="11" fill="\#(grey)">考核标准</text>"#
        svg += #"<circle cx="\#(f(left + 226))" cy="\#(f(ly - 4))" r="4" fill="\#(red)"/>"#
        svg += #"<text x="\#(f(left + 234))" y="\#(f(ly))" font-size="11" fill="\#(grey)">未达标的月份</text>"#
        return svg + "</svg>"
    }

    /// Text made safe for HTML and SVG: the one escape that every page and bulletin uses.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
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
