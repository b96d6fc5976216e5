import COfficeShims

/// A zip archive as Office files use it (.docx, .xlsx): read whole from bytes, or written whole.
///
/// Reads stored and deflated entries (what Excel, WPS and LibreOffice write); writes deflated
/// entries with fixed timestamps, so the same content gives the same bytes. No zip64, no
/// encryption: an Office document never needs them.
public struct ZipArchive: Sendable {
    /// Entry name → uncompressed bytes.
    public private(set) var entries: [String: [UInt8]] = [:]
    /// Names in the order they were added or found.
    public private(set) var names: [String] = []

    public init() {}

    public mutating func add(_ name: String, _ bytes: [UInt8]) {
        if entries[name] == nil { names.append(name) }
        entries[name] = bytes
    }

    public mutating func add(_ name: String, text: String) { add(name, Array(text.utf8)) }

    /// Reads an archive; throws ``OfficeFileError`` for anything that is not a plain zip.
    public init(reading bytes: [UInt8]) throws(OfficeFileError) {
        let b = bytes
        func u16(_ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 }
        func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }
        guard b.count >= 22 else { throw OfficeFileError("it is not a zip file (too short)") }
        var eocd = -1
        var o = b.count - 22
        while o >= max(0, b.count - 22 - 65_535) {
            if b[o] == 0x50, b[o + 1] == 0x4B, b[o + 2] == 0x05, b[o + 3] == 0x06 { eocd = o; break }
            o -= 1
        }
        guard eocd >= 0 else { throw OfficeFileError("it is not a zip file (no end of central directory)") }
        let count = u16(eocd + 10)
        var p = u32(eocd + 16)
        for _ in 0..<count {
            guard p + 46 <= b.count, u32(p) == 0x0201_4B50 else { throw OfficeFileError("its zip directory is damaged") }
            let flags = u16(p + 8), method = u16(p + 10)
            let csize = u32(p + 20), usize = u32(p + 24)
            let nameLen = u16(p + 28), extraLen = u16(p + 30), commentLen = u16(p + 32)
            let local = u32(p + 42)
            guard p + 46 + nameLen <= b.count else { throw OfficeFileError("its zip directory is damaged") }
            let name = String(decoding: b[(p + 46)..<(p + 46 + nameLen)], as: UTF8.self)
            p += 46 + nameLen + extraLen + commentLen
            guard flags & 1 == 0 else { throw OfficeFileError("it is encrypted (\(name)): save it without a password") }
            guard csize != 0xFFFF_FFFF, local + 30 <= b.count, u32(local) == 0x0403_4B50 else {
                throw OfficeFileError("its zip entry \(name) is damaged or zip64")
            }
            let start = local + 30 + u16(local + 26) + u16(local + 28)
            guard start + csize <= b.count else { throw OfficeFileError("its zip entry \(name) is truncated") }
            let raw = Array(b[start..<(start + csize)])
            switch method {
            case 0: add(name, raw)
            case 8: add(name, try Self.inflate(raw, size: usize, name: name))
            default: throw OfficeFileError("its zip entry \(name) uses compression method \(method), which is not supported")
            }
        }
    }

    /// The archive's bytes: deflated entries, then the central directory.
    public func bytes() -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        func le16(_ v: Int, _ a: inout [UInt8]) { a += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func le32(_ v: Int, _ a: inout [UInt8]) { le16(v & 0xFFFF, &a); le16(v >> 16 & 0xFFFF, &a) }
        for name in names {
            let data = entries[name]!
            let crc = Self.crc32(data)
            let packed = Self.deflate(data)
            let (method, body) = packed.count < data.count ? (8, packed) : (0, data)
            let nameBytes = Array(name.utf8)
            let offset = out.count
            le32(0x0403_4B50, &out); le16(20, &out); le16(0x0800, &out); le16(method, &out)
            le16(0, &out); le16(0x21, &out)  // 1980-01-01 00:00, so output is reproducible
            le32(crc, &out); le32(body.count, &out); le32(data.count, &out)
            le16(nameBytes.count, &out); le16(0, &out)
            out += nameBytes; out += body
            le32(0x0201_4B50, &central); le16(20, &central); le16(20, &central); le16(0x0800, &central); le16(method, &central)
            le16(0, &central); le16(0x21, &central)
            le32(crc, &central); le32(body.count, &central); le32(data.count, &central)
            le16(nameBytes.count, &central); le16(0, &central); le16(0, &central); le16(0, &central); le16(0, &central)
            le32(0, &central); le32(offset, &central)
            central += nameBytes
        }
        let cdOffset = out.count
        out += central
        le32(0x0605_4B50, &out); le16(0, &out); le16(0, &out)
        le16(names.count, &out); le16(names.count, &out)
        le32(central.count, &out); le32(cdOffset, &out); le16(0, &out)
        return out
    }

    static func crc32(_ data: [UInt8]) -> Int {
        data.withUnsafeBufferPointer { Int(COfficeShims.crc32(0, $0.baseAddress, uInt($0.count))) }
    }

    static func deflate(_ data: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        guard deflateInit2_(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return data }
        defer { deflateEnd(&stream) }
        var input = data
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(data.count))) + 16)
        let result: Int32 = input.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = inBuf.baseAddress
                stream.avail_in = uInt(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = uInt(outBuf.count)
                return COfficeShims.deflate(&stream, Z_FINISH)
            }
        }
        guard result == Z_STREAM_END else { return data }
        return Array(output.prefix(Int(stream.total_out)))
    }

    static func inflate(_ data: [UInt8], size: Int, name: String) throws(OfficeFileError) -> [UInt8] {
        guard size <= 512 << 20 else { throw OfficeFileError("its zip entry \(name) is larger than 512 MiB") }
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw OfficeFileError("zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var input = data.isEmpty ? [0] : data
        var output = [UInt8](repeating: 0, count: max(size, 1))
        let result: Int32 = input.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = inBuf.baseAddress
                stream.avail_in = uInt(data.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = uInt(outBuf.count)
                return COfficeShims.inflate(&stream, Z_FINISH)
            }
        }
        guard result == Z_STREAM_END || (size == 0 && result == Z_BUF_ERROR), Int(stream.total_out) == size else {
            throw OfficeFileError("its zip entry \(name) is damaged (it does not decompress)")
        }
        return Array(output.prefix(size))
    }
}

/// Something wrong with an office file, said so a person can act on it.
public struct OfficeFileError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
