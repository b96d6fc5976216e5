import Bulletins
/// Escaped HTML building. Every piece of text that reaches a page goes through `escape`, so a
/// court name, an explanation's text or a query parameter can never become markup.
enum HTML {
    static func escape(_ s: String) -> String { TrendChart.escape(s) }

    /// A query-string value (periods, slugs and codes are ASCII already; this keeps them so).
    static func query(_ s: String) -> String {
        s.addingPercentEncodingForQuery()
    }
}

extension String {
    /// Percent-encodes everything but unreserved characters (RFC 3986).
    func addingPercentEncodingForQuery() -> String {
        var out = ""
        for b in utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(Character(Unicode.Scalar(b)))
            default:
                let hex = Array("0123456789ABCDEF")
                out += "%\(hex[Int(b >> 4)])\(hex[Int(b & 15)])"
            }
        }
        return out
    }
}
