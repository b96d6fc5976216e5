import CanonicalJSON
import Crypto

/// An export line read in one pass over its bytes, without a JSON tree: the hub's fast path.
///
/// A node pushes its stored canonical bytes, so nearly every line the hub reads is exactly the
/// RFC 8785 form of an envelope (protocol/README.md): the members in the fixed order at, data,
/// dept (optional), hash, id, node, prev, seq, sig, type, v; no whitespace; strings as canonical
/// JSON writes them. This reader checks the line has exactly that shape and takes each member's
/// value where it stands. Since the body and the content are then slices of the line, nothing is
/// encoded again: the hash is computed over the line's own bytes with `hash` and `sig` cut out.
///
/// It never refuses: any line it is not sure of (another member order, whitespace, an escape, a
/// byte outside printable ASCII in an envelope string, a value that fails a check) gives nil, and
/// ``SignedEvent/parsed(_:catalog:)`` reads it the general way, which accepts it or refuses it
/// with the error it always gave. So the hub accepts and refuses exactly what it did before
/// (`CanonicalEnvelopeTests` runs both readers over the protocol's vectors and bad lines).
enum CanonicalEnvelope {
    /// Reads `line` when it is a canonical envelope whose content passes every check; nil when
    /// it is not, or when anything about it would be refused.
    static func parse(_ line: [UInt8], catalog: EventCatalog) -> (event: SignedEvent, prepared: PreparedDraft)? {
        guard catalog.envelopeVersion == 1 else { return nil }
        return line.withUnsafeBufferPointer { bytes -> (event: SignedEvent, prepared: PreparedDraft)? in
            var scanner = Scanner(bytes: bytes)
            guard let shape = scanner.envelope() else { return nil }
            return shape.event(line: line, bytes: bytes, catalog: catalog)
        }
    }

    /// Where each member's value stands in the line (byte offsets).
    struct Shape {
        var at: Range<Int>
        var data: Range<Int>
        var dept: Range<Int>?
        /// The `,` that starts `,"hash":` (the end of the content's lead).
        var hashMember: Int
        var hash: Range<Int>
        /// The `,` that starts `,"id":`.
        var idMember: Int
        var id: Range<Int>
        var node: Range<Int>
        var prev: Range<Int>
        var seq: Int64
        /// The `,` that starts `,"sig":`.
        var sigMember: Int
        var sig: Range<Int>
        /// The `,` that starts `,"type":`.
        var typeMember: Int
        var type: Range<Int>

        func event(line: [UInt8], bytes: UnsafeBufferPointer<UInt8>, catalog: EventCatalog) -> (event: SignedEvent, prepared: PreparedDraft)? {
            func text(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) }
            guard let hashBytes = CanonicalEnvelope.hex(bytes, self.hash, count: 32),
                  let prevBytes = CanonicalEnvelope.hex(bytes, self.prev, count: 32),
                  let sigBytes = CanonicalEnvelope.hex(bytes, self.sig, count: 64),
                  let members = DataReader.object(UnsafeBufferPointer(rebasing: bytes[self.data])) else { return nil }
            let court = text(self.node), typeName = text(self.type)
            guard court.utf8.count == 6, court.utf8.allSatisfy({ (48...57).contains($0) }),
                  let time = try? EventTime(parsing: text(self.at)),
                  let draft = try? EventDraft(id: text(self.id), type: typeName, at: time, dept: self.dept.map(text),
                                              data: members, catalog: catalog) else { return nil }
            let role = catalog.types[typeName]?.role
            if role == .policy && court != PolicyAuthority.intermediateCourt { return nil }
            if role == .explanation && court != PolicyAuthority.intermediateCourt, let unit = members["unit"]?.stringValue, unit != court { return nil }
            // The content is `{"at":…,"data":…[,"dept":…],"type":…}`; the body is the line without
            // its hash and sig members. Both are the canonical bytes the general reader encodes.
            var content = [UInt8]()
            content.reserveCapacity(hashMember + self.type.count + 12)
            content.append(contentsOf: bytes[0..<hashMember])
            content.append(contentsOf: bytes[typeMember..<(self.type.upperBound + 1)])
            content.append(UInt8(ascii: "}"))
            var head = [UInt8]()
            head.reserveCapacity(line.count)
            head.append(contentsOf: bytes[0..<hashMember])
            head.append(contentsOf: bytes[idMember..<self.prev.lowerBound])
            var body = head
            body.append(contentsOf: bytes[self.prev.lowerBound..<sigMember])
            body.append(contentsOf: bytes[typeMember..<bytes.count])
            guard Array(SHA256.hash(data: body)) == hashBytes else { return nil }
            let prepared = PreparedDraft(draft, bodyHead: head, contentDigest: Array(SHA256.hash(data: content)),
                                         columns: ProjectionColumns(type: typeName, data: members))
            let event = SignedEvent(node: court, seq: seq, draft: draft, prev: EventHash(unchecked: prevBytes),
                                    hash: EventHash(unchecked: hashBytes), sig: sigBytes, body: body)
            return (event, prepared)
        }
    }

    /// Lowercase hex of exactly `count` bytes.
    static func hex(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, count: Int) -> [UInt8]? {
        guard range.count == count * 2 else { return nil }
        var valid = true
        let out = nibbles.withUnsafeBufferPointer { table in
            [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                var i = range.lowerBound
                for k in 0..<count {
                    let hi = table[Int(bytes[i])], lo = table[Int(bytes[i + 1])]
                    if hi > 15 || lo > 15 { valid = false; break }
                    buffer[k] = hi << 4 | lo
                    i += 2
                }
                initialized = valid ? count : 0
            }
        }
        return valid ? out : nil
    }

    /// Each byte's value as a lowercase hex digit; 255 for anything else. A table: the hub
    /// reads 256 hex digits per event.
    static let nibbles: [UInt8] = (0..<256).map { nibble(UInt8($0)) }

    /// The value of a lowercase hex digit; 255 for anything else.
    @inline(__always)
    static func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case 48...57: c - 48
        case 97...102: c - 87
        default: 255
        }
    }

    /// Walks the envelope's fixed layout.
    struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        mutating func envelope() -> Shape? {
            guard literal(#"{"at":""#), let at = plainString() else { return nil }
            guard literal(#","data":"#), let data = object() else { return nil }
            var dept: Range<Int>?
            if literal(#","dept":""#) {
                guard let d = plainString() else { return nil }
                dept = d
            }
            let hashMember = index
            guard literal(#","hash":""#), let hash = plainString() else { return nil }
            let idMember = index
            guard literal(#","id":""#), let id = plainString(),
                  literal(#","node":""#), let node = plainString(),
                  literal(#","prev":""#), let prev = plainString(),
                  literal(#","seq":"#), let seq = positiveInteger() else { return nil }
            let sigMember = index
            guard literal(#","sig":""#), let sig = plainString() else { return nil }
            let typeMember = index
            guard literal(#","type":""#), let type = plainString(),
                  literal(#","v":1}"#), index == bytes.count else { return nil }
            return Shape(at: at, data: data, dept: dept, hashMember: hashMember, hash: hash, idMember: idMember, id: id,
                         node: node, prev: prev, seq: seq, sigMember: sigMember, sig: sig, typeMember: typeMember, type: type)
        }

        /// Consumes `text` when the bytes at the index are exactly it.
        mutating func literal(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            let p = text.utf8Start
            for k in 0..<count where bytes[index + k] != p[k] { return false }
            index += count
            return true
        }

        /// The rest of a string whose opening quote was consumed, holding printable ASCII only
        /// (no escape): every envelope string that passes its checks is so. The closing quote is
        /// consumed; the range is the content.
        mutating func plainString() -> Range<Int>? {
            let start = index
            while index < bytes.count {
                let b = bytes[index]
                if b == UInt8(ascii: "\"") { index += 1; return start..<(index - 1) }
                guard b >= 0x20, b < 0x7F, b != UInt8(ascii: "\\") else { return nil }
                index += 1
            }
            return nil
        }

        /// A canonical integer ≥ 1 and ≤ 2^53 − 1.
        mutating func positiveInteger() -> Int64? {
            let start = index
            var value: Int64 = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                value = value &* 10 &+ Int64(bytes[index] - 48)
                index += 1
                if index - start > 16 { return nil }
            }
            guard index > start, bytes[start] != 48, value <= JSONValue.maxSafeInteger else { return nil }
            return value
        }

        /// The span of a JSON object starting at the index, found by matching brackets outside
        /// strings; what is inside is checked by ``DataReader``.
        mutating func object() -> Range<Int>? {
            let start = index
            guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { return nil }
            var depth = 0
            while index < bytes.count {
                let b = bytes[index]
                index += 1
                switch b {
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return start..<index }
                case UInt8(ascii: "\""):
                    while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                        index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                    }
                    index += 1
                default: break
                }
            }
            return nil
        }
    }

    /// Reads an event's data object when it is exactly canonical JSON with no escapes: members
    /// in ascending byte order of ASCII names, no whitespace, integers in plain decimal, strings
    /// of valid UTF-8 with no character that canonical JSON escapes. Nil for anything else.
    struct DataReader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0
        var depth = 0

        static func object(_ bytes: UnsafeBufferPointer<UInt8>) -> [String: JSONValue]? {
            var reader = DataReader(bytes: bytes)
            guard case .object(let members)? = reader.value(), reader.index == bytes.count else { return nil }
            return members
        }

        mutating func value() -> JSONValue? {
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "{"): return objectValue()
            case UInt8(ascii: "["): return arrayValue()
            case UInt8(ascii: "\""):
                index += 1
                guard let range = string() else { return nil }
                guard let s = String(validating: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) else { return nil }
                return .string(s)
            case UInt8(ascii: "t"): return word("true") ? .bool(true) : nil
            case UInt8(ascii: "f"): return word("false") ? .bool(false) : nil
            case UInt8(ascii: "n"): return word("null") ? .null : nil
            case UInt8(ascii: "-"), 48...57: return integer().map(JSONValue.int)
            default: return nil
            }
        }

        mutating func word(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            for k in 0..<count where bytes[index + k] != text.utf8Start[k] { return false }
            index += count
            return true
        }

        /// A string's content up to its closing quote (consumed): no escape, no control character.
        /// Non-ASCII bytes are checked as UTF-8 by the caller.
        mutating func string() -> Range<Int>? {
            let start = index
            while index < bytes.count {
                let b = bytes[index]
                if b == UInt8(ascii: "\"") { index += 1; return start..<(index - 1) }
                guard b >= 0x20, b != UInt8(ascii: "\\") else { return nil }
                index += 1
            }
            return nil
        }

        mutating func integer() -> Int64? {
            let negative = bytes[index] == UInt8(ascii: "-")
            if negative { index += 1 }
            let start = index
            var magnitude: Int64 = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                magnitude = magnitude &* 10 &+ Int64(bytes[index] - 48)
                index += 1
                if index - start > 16 { return nil }
            }
            let count = index - start
            guard count > 0, count == 1 || bytes[start] != 48, magnitude <= JSONValue.maxSafeInteger,
                  !(negative && magnitude == 0) else { return nil }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") { return nil }
            return negative ? -magnitude : magnitude
        }

        mutating func objectValue() -> JSONValue? {
            depth += 1
            guard depth <= 8 else { return nil }
            index += 1
            var members: [String: JSONValue] = [:]
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; depth -= 1; return .object(members) }
            var previous: Range<Int>?
            while true {
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
                index += 1
                guard let name = string(), bytes[name].allSatisfy({ $0 < 0x80 }) else { return nil }
                // Canonical order for ASCII names is byte order; strictly ascending also refuses
                // a duplicate.
                if let previous, !bytes[previous].lexicographicallyPrecedes(bytes[name]) { return nil }
                previous = name
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
                index += 1
                guard let member = value() else { return nil }
                members[String(decoding: UnsafeBufferPointer(rebasing: bytes[name]), as: UTF8.self)] = member
                guard index < bytes.count else { return nil }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; break }
                return nil
            }
            depth -= 1
            return .object(members)
        }

        mutating func arrayValue() -> JSONValue? {
            depth += 1
            guard depth <= 8 else { return nil }
            index += 1
            var items: [JSONValue] = []
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; depth -= 1; return .array(items) }
            while true {
                guard let item = value() else { return nil }
                items.append(item)
                guard index < bytes.count else { return nil }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; break }
                return nil
            }
            depth -= 1
            return .array(items)
        }
    }
}
