/// A small pull scanner for the XML inside Office files: start tags (with attributes), end tags
/// and text, namespace prefixes dropped. Enough for sheet, shared-string and workbook parts;
/// not a general XML parser (no DTDs).
///
/// It reads a whole part, or a part handed over a chunk at a time (``feed(_:final:)``): until
/// the last chunk, a token that may go on past the bytes held (text not yet ended by `<`, a tag
/// without its `>`) is not returned, and ``next()`` returns nil to ask for more.
struct XMLScanner {
    enum Token {
        case start(name: String, attributes: Attributes, selfClosing: Bool)
        case end(name: String)
        case text(String)
    }

    /// A start tag's attributes by local name, in the order written (a tag has a few: a list
    /// searched in place costs less than a dictionary's hashing, millions of times per sheet).
    /// A name written twice reads as its last value.
    struct Attributes {
        var pairs: [(name: String, value: String)] = []

        subscript(_ name: String) -> String? {
            pairs.last(where: { $0.name == name })?.value
        }
    }

    var b: [UInt8]
    var i = 0
    /// Whether `b` holds the rest of the part (false while chunks are still to come).
    private(set) var isFinal = true

    init(_ bytes: [UInt8]) { b = bytes }

    /// A scanner for a part handed over a chunk at a time.
    init(streaming: ()) { b = []; isFinal = false }

    /// Hands over the next chunk (`final`: the last one), dropping the bytes already scanned.
    mutating func feed(_ more: [UInt8], final: Bool) {
        if i > 0 { b.removeSubrange(0..<i); i = 0 }
        b.append(contentsOf: more)
        isFinal = final
    }

    /// Bytes held and not yet scanned: a token this long has not ended.
    var unscanned: Int { b.count - i }

    /// The name in `b[from..<to]` without its namespace prefix, decoded once.
    func localName(_ from: Int, _ to: Int) -> String {
        var start = from
        for k in stride(from: to - 1, through: from, by: -1) where b[k] == UInt8(ascii: ":") {
            start = k + 1
            break
        }
        return String(decoding: b[start..<to], as: UTF8.self)
    }

    /// Text or an attribute's value in `b[from..<to]`, its entities replaced.
    func content(_ from: Int, _ to: Int) -> String {
        let text = String(decoding: b[from..<to], as: UTF8.self)
        return b[from..<to].contains(UInt8(ascii: "&")) ? Self.unescape(text) : text
    }

    // The scan works on indices into `b`: a tag's name, attributes and text are decoded straight
    // from the bytes held, with no copy of the tag (a sheet of 200,000 rows has millions of tags).
    mutating func next() throws(OfficeFileError) -> Token? {
        guard i < b.count else { return nil }
        if b[i] != UInt8(ascii: "<") {
            var end = i
            while end < b.count, b[end] != UInt8(ascii: "<") { end += 1 }
            if end == b.count && !isFinal { return nil }
            let start = i
            i = end
            return .text(content(start, end))
        }
        // Too few bytes to tell `<![CDATA[` from a tag: wait for the next chunk.
        if !isFinal && b.count - i < 9 { return nil }
        if starts(Self.cdataOpen) {
            let start = i + 9
            guard let end = find(Self.cdataClose, from: start) else {
                if !isFinal { return nil }
                throw OfficeFileError("its XML has an unclosed CDATA section")
            }
            i = end + 3
            return .text(String(decoding: b[start..<end], as: UTF8.self))
        }
        if i + 1 < b.count, b[i + 1] == UInt8(ascii: "?") || b[i + 1] == UInt8(ascii: "!") {
            guard let end = find(Self.tagClose, from: i) else {
                if !isFinal { return nil }
                throw OfficeFileError("its XML is truncated")
            }
            i = end + 1
            return try next()
        }
        guard let end = findTagEnd(from: i) else {
            if !isFinal { return nil }
            throw OfficeFileError("its XML is truncated")
        }
        let open = i + 1
        i = end + 1
        if open < end, b[open] == UInt8(ascii: "/") {
            var from = open + 1, to = end
            while from < to, Self.isSpace(b[from]) { from += 1 }
            while to > from, Self.isSpace(b[to - 1]) { to -= 1 }
            return .end(name: localName(from, to))
        }
        let selfClosing = open < end && b[end - 1] == UInt8(ascii: "/")
        let bodyEnd = selfClosing ? end - 1 : end
        var j = open
        while j < bodyEnd, !Self.isSpace(b[j]) { j += 1 }
        let name = localName(open, j)
        var attributes = Attributes()
        while j < bodyEnd {
            while j < bodyEnd, Self.isSpace(b[j]) { j += 1 }
            let ns = j
            while j < bodyEnd, b[j] != UInt8(ascii: "="), !Self.isSpace(b[j]) { j += 1 }
            let keyEnd = j
            while j < bodyEnd, b[j] != UInt8(ascii: "\""), b[j] != UInt8(ascii: "'") { j += 1 }
            guard j < bodyEnd else { break }
            let quote = b[j]
            j += 1
            let vs = j
            while j < bodyEnd, b[j] != quote { j += 1 }
            attributes.pairs.append((localName(ns, keyEnd), content(vs, min(j, bodyEnd))))
            j += 1
        }
        return .start(name: name, attributes: attributes, selfClosing: selfClosing)
    }

    static let cdataOpen = Array("<![CDATA[".utf8), cdataClose = Array("]]>".utf8), tagClose = Array(">".utf8)

    func starts(_ p: [UInt8]) -> Bool {
        guard i + p.count <= b.count else { return false }
        for k in 0..<p.count where b[i + k] != p[k] { return false }
        return true
    }

    func find(_ p: [UInt8], from: Int) -> Int? {
        var k = from
        outer: while k + p.count <= b.count {
            for m in 0..<p.count where b[k + m] != p[m] {
                k += 1
                continue outer
            }
            return k
        }
        return nil
    }

    func findTagEnd(from: Int) -> Int? {
        var quote: UInt8? = nil
        var k = from + 1
        while k < b.count {
            let c = b[k]
            if let q = quote { if c == q { quote = nil } } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") { quote = c } else if c == UInt8(ascii: ">") { return k }
            k += 1
        }
        return nil
    }

    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }

    static func unescape(_ s: String) -> String {
        guard s.utf8.contains(UInt8(ascii: "&")) else { return s }
        var out = ""
        var rest = Substring(s)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semi = rest[amp...].firstIndex(of: ";") else { out += rest[amp...]; return out }
            let entity = rest[rest.index(after: amp)..<semi]
            switch entity {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                var scalar: UInt32?
                if entity.hasPrefix("#x") || entity.hasPrefix("#X") { scalar = UInt32(entity.dropFirst(2), radix: 16) } else if entity.hasPrefix("#") { scalar = UInt32(entity.dropFirst()) }
                if let v = scalar, let u = Unicode.Scalar(v) { out.unicodeScalars.append(u) } else { out += rest[amp...semi] }
            }
            rest = rest[rest.index(after: semi)...]
        }
        return out + rest
    }

    /// Text for XML content and attribute values.
    static func escape(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default:
                // XML 1.0 forbids most control characters; a tab and a newline stay.
                if u.value < 0x20 && u != "\t" && u != "\n" { continue }
                out.unicodeScalars.append(u)
            }
        }
        return out
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\n" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" || l == "\r" { s.removeLast() }
        return String(s)
    }
}
