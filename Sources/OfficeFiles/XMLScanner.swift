/// A small pull scanner for the XML inside Office files: start tags (with attributes), end tags
/// and text, namespace prefixes dropped. Enough for sheet, shared-string and workbook parts;
/// not a general XML parser (no DTDs).
///
/// It reads a whole part, or a part handed over a chunk at a time (``feed(_:final:)``): until
/// the last chunk, a token that may go on past the bytes held (text not yet ended by `<`, a tag
/// without its `>`) is not returned, and ``next()`` returns nil to ask for more.
struct XMLScanner {
    enum Token {
        case start(name: String, attributes: [String: String], selfClosing: Bool)
        case end(name: String)
        case text(String)
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

    static func local(_ name: String) -> String {
        if let colon = name.lastIndex(of: ":") { return String(name[name.index(after: colon)...]) }
        return name
    }

    mutating func next() throws(OfficeFileError) -> Token? {
        guard i < b.count else { return nil }
        if b[i] != UInt8(ascii: "<") {
            var end = i
            while end < b.count, b[end] != UInt8(ascii: "<") { end += 1 }
            if end == b.count && !isFinal { return nil }
            let start = i
            i = end
            return .text(Self.unescape(String(decoding: b[start..<end], as: UTF8.self)))
        }
        // Too few bytes to tell `<![CDATA[` from a tag: wait for the next chunk.
        if !isFinal && b.count - i < 9 { return nil }
        if starts("<![CDATA[") {
            let start = i + 9
            guard let end = find("]]>", from: start) else {
                if !isFinal { return nil }
                throw OfficeFileError("its XML has an unclosed CDATA section")
            }
            i = end + 3
            return .text(String(decoding: b[start..<end], as: UTF8.self))
        }
        if starts("<?") || starts("<!") {
            guard let end = find(">", from: i) else {
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
        let inner = Array(b[(i + 1)..<end])
        i = end + 1
        if inner.first == UInt8(ascii: "/") {
            return .end(name: Self.local(String(decoding: inner.dropFirst(), as: UTF8.self).trimmingSpaces))
        }
        let selfClosing = inner.last == UInt8(ascii: "/")
        let body = selfClosing ? Array(inner.dropLast()) : inner
        var j = 0
        while j < body.count, !Self.isSpace(body[j]) { j += 1 }
        let name = Self.local(String(decoding: body[0..<j], as: UTF8.self))
        var attributes: [String: String] = [:]
        while j < body.count {
            while j < body.count, Self.isSpace(body[j]) { j += 1 }
            let ns = j
            while j < body.count, body[j] != UInt8(ascii: "="), !Self.isSpace(body[j]) { j += 1 }
            let key = String(decoding: body[ns..<j], as: UTF8.self)
            while j < body.count, body[j] != UInt8(ascii: "\""), body[j] != UInt8(ascii: "'") { j += 1 }
            guard j < body.count else { break }
            let quote = body[j]
            j += 1
            let vs = j
            while j < body.count, body[j] != quote { j += 1 }
            attributes[Self.local(key)] = Self.unescape(String(decoding: body[vs..<min(j, body.count)], as: UTF8.self))
            j += 1
        }
        return .start(name: name, attributes: attributes, selfClosing: selfClosing)
    }

    func starts(_ s: String) -> Bool {
        let p = Array(s.utf8)
        return i + p.count <= b.count && Array(b[i..<(i + p.count)]) == p
    }

    func find(_ s: String, from: Int) -> Int? {
        let p = Array(s.utf8)
        var k = from
        while k + p.count <= b.count {
            if b[k] == p[0] && Array(b[k..<(k + p.count)]) == p { return k }
            k += 1
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
        guard s.contains("&") else { return s }
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
