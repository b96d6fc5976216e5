/// Lowercase hexadecimal, as the protocol writes hashes, keys and signatures.
public enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    public static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0xF)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the hex digits of `bytes` to `out`.
    public static func append(_ bytes: [UInt8], to out: inout [UInt8]) {
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0xF)]) }
    }

    /// Decodes lowercase hex of exactly `count` bytes; nil for anything else.
    public static func decode(_ text: String, count: Int) -> [UInt8]? {
        var text = text
        // Every event's hash, prev and sig pass here: read the UTF-8 in place, no copy.
        return text.withUTF8 { u -> [UInt8]? in
            guard u.count == count * 2 else { return nil }
            var valid = true
            let out = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                for i in 0..<count {
                    guard let hi = nibble(u[2 * i]), let lo = nibble(u[2 * i + 1]) else { valid = false; break }
                    buffer[i] = hi << 4 | lo
                }
                initialized = valid ? count : 0
            }
            return valid ? out : nil
        }
    }

    @inline(__always)
    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 97...102: c - 87
        default: nil
        }
    }
}
