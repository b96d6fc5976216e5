import COfficeShims

/// The text encodings a court's spreadsheet exports come in: UTF-8, or GB18030 (which
/// includes GBK and GB2312), the default of Chinese Excel and WPS for CSV.
public enum TextEncoding: String, Sendable, CaseIterable {
    case utf8 = "utf-8", gb18030, gbk

    /// Accepts `utf-8`/`utf8`, `gb18030`, `gbk`/`gb2312`/`cp936` in any case.
    public init?(name: String) {
        switch name.lowercased() {
        case "utf-8", "utf8": self = .utf8
        case "gb18030": self = .gb18030
        case "gbk", "gb2312", "cp936": self = .gbk
        default: return nil
        }
    }

    /// Decodes `bytes`, or nil if they are not valid in this encoding. A UTF-8 BOM is dropped.
    public func decode(_ bytes: [UInt8]) -> String? {
        switch self {
        case .utf8:
            let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
            return String(validating: body, as: UTF8.self)
        case .gb18030, .gbk:
            // GB18030 is a superset of GBK: one converter reads both.
            return Self.iconv(bytes, from: "GB18030")
        }
    }

    /// UTF-8 when the bytes are valid UTF-8, else GB18030 when they are valid there.
    public static func detect(_ bytes: [UInt8]) -> (TextEncoding, String)? {
        if let s = TextEncoding.utf8.decode(bytes) { return (.utf8, s) }
        if let s = TextEncoding.gb18030.decode(bytes) { return (.gb18030, s) }
        return nil
    }

    /// `text` in this encoding (what Chinese Excel would save), or nil if it cannot be written so.
    public func encode(_ text: String) -> [UInt8]? {
        self == .utf8 ? Array(text.utf8) : Self.convert(Array(text.utf8), from: "UTF-8", to: "GB18030")
    }

    static func iconv(_ bytes: [UInt8], from encoding: String) -> String? {
        guard let out = convert(bytes, from: encoding, to: "UTF-8") else { return nil }
        return String(validating: out, as: UTF8.self)
    }

    static func convert(_ bytes: [UInt8], from encoding: String, to target: String) -> [UInt8]? {
        if bytes.isEmpty { return [] }
        let cd = iconv_open(target, encoding)
        guard let cd, Int(bitPattern: cd) != -1 else { return nil }
        defer { iconv_close(cd) }
        var input = bytes
        var output = [UInt8](repeating: 0, count: bytes.count * 2 + 16)
        let written: Int? = input.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                var inPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(inBuf.baseAddress!).assumingMemoryBound(to: CChar.self)
                var inLeft = inBuf.count
                var outPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outBuf.baseAddress!).assumingMemoryBound(to: CChar.self)
                var outLeft = outBuf.count
                let r = COfficeShims.iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft)
                return r == -1 || inLeft != 0 ? nil : outBuf.count - outLeft
            }
        }
        guard let written else { return nil }
        return Array(output.prefix(written))
    }
}
