/// Text from a request made safe for the hub's log: every control character (newlines, escape
/// sequences, C1 controls, Unicode line separators) and the backslash are written as `\u{hh}`
/// escapes, and long text is cut, so a caller can neither forge a log line nor flood the log.
enum LogText {
    /// Characters kept of one value; the rest is replaced by `…`.
    static let limit = 300

    static func escape(_ text: String) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count == limit { out += "…"; break }
            count += 1
            let v = scalar.value
            if v < 0x20 || (0x7F...0x9F).contains(v) || v == 0x2028 || v == 0x2029 || scalar == "\\" {
                out += "\\u{" + String(v, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
