/// C2SP tlog-tiles paths and shapes (tile height 8, width 256).
public enum TilePath {
    public static let height = 8
    public static let width: Int64 = 256

    /// N as `x001/x234/067`.
    public static func index(_ n: Int64) -> String {
        var groups: [String] = []
        var v = n
        repeat {
            let g = String(v % 1000)
            groups.insert(String(repeating: "0", count: 3 - g.count) + g, at: 0)
            v /= 1000
        } while v > 0
        return groups.enumerated().map { $0.offset < groups.count - 1 ? "x" + $0.element : $0.element }.joined(separator: "/")
    }

    /// Parses `x001/x234/067` back; nil when malformed.
    public static func parseIndex(_ parts: [Substring]) -> Int64? {
        guard !parts.isEmpty else { return nil }
        var n: Int64 = 0
        for (i, p) in parts.enumerated() {
            let last = i == parts.count - 1
            let digits = last ? p : (p.hasPrefix("x") ? p.dropFirst() : "")
            guard digits.count == 3, digits.allSatisfy({ $0 >= "0" && $0 <= "9" }), let v = Int64(digits) else { return nil }
            n = n * 1000 + v
        }
        return n
    }

    /// `tile/<L>/<N>[.p/<W>]`, or `tile/entries/<N>[.p/<W>]` when level is nil.
    public static func path(level: Int?, index n: Int64, width w: Int64) -> String {
        "tile/\(level.map(String.init) ?? "entries")/\(index(n))" + (w < width ? ".p/\(w)" : "")
    }

    /// Width of tile `n` at `level` in a tree of `size` leaves (0 when the tile does not exist yet).
    public static func width(level: Int, index n: Int64, size: Int64) -> Int64 {
        let nodes = size >> Int64(level * height)
        return max(0, min(width, nodes - n * width))
    }
}
