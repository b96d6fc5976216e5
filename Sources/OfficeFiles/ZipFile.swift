import COfficeShims
#if canImport(Glibc)
import Glibc
#endif

/// A zip archive read from its file a part at a time (``ZipArchive`` reads one whole from
/// memory): the central directory is read once, small entries are read whole, and a large one
/// (a worksheet of 200,000 rows) is inflated a chunk at a time by ``ZipEntryStream``, so an
/// archive of any size is read in the same memory.
///
/// The same zips as ``ZipArchive``: stored and deflated entries, no zip64, no encryption.
public final class ZipFile {
    /// Where an entry's bytes are and how they are packed.
    public struct Entry: Sendable {
        public let name: String
        let method: Int
        /// Packed and unpacked sizes, from the central directory.
        public let compressedSize: Int
        public let size: Int
        /// Where the packed bytes start in the file.
        let dataOffset: Int
    }

    let path: String
    let fd: Int32
    /// The file's length in bytes.
    public let byteCount: Int
    /// The entries by name.
    public private(set) var entries: [String: Entry] = [:]

    /// Opens `path` and reads its central directory; throws ``OfficeFileError`` for anything
    /// that is not a plain zip.
    public init(path: String) throws(OfficeFileError) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw OfficeFileError("cannot read \(path): check the path and its permissions") }
        var info = stat()
        guard fstat(fd, &info) == 0 else { close(fd); throw OfficeFileError("cannot read \(path): check the path and its permissions") }
        self.fd = fd
        self.path = path
        byteCount = Int(info.st_size)
        try readDirectory()
    }

    deinit { close(fd) }

    /// `count` bytes at `offset`, or fewer at the end of the file.
    func read(_ count: Int, at offset: Int) throws(OfficeFileError) -> [UInt8] {
        guard count > 0 else { return [] }
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            guard n >= 0 else { throw OfficeFileError("cannot read \(path) (errno \(errno)): check the disk") }
            if n == 0 { break }
            done += n
        }
        out.removeLast(count - done)
        return out
    }

    func readDirectory() throws(OfficeFileError) {
        guard byteCount >= 22 else { throw OfficeFileError("it is not a zip file (too short)") }
        // The end-of-central-directory record is in the last 22 bytes plus at most a 64 KiB comment.
        let tailStart = max(0, byteCount - 22 - 65_535)
        let tail = try read(byteCount - tailStart, at: tailStart)
        func u16(_ b: [UInt8], _ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 }
        func u32(_ b: [UInt8], _ o: Int) -> Int { u16(b, o) | u16(b, o + 2) << 16 }
        var eocd = -1
        var o = tail.count - 22
        while o >= 0 {
            if tail[o] == 0x50, tail[o + 1] == 0x4B, tail[o + 2] == 0x05, tail[o + 3] == 0x06 { eocd = o; break }
            o -= 1
        }
        guard eocd >= 0 else { throw OfficeFileError("it is not a zip file (no end of central directory)") }
        let count = u16(tail, eocd + 10)
        let directorySize = u32(tail, eocd + 12), directoryOffset = u32(tail, eocd + 16)
        guard directoryOffset + directorySize <= byteCount else { throw OfficeFileError("its zip directory is damaged") }
        let b = try read(directorySize, at: directoryOffset)
        var p = 0
        for _ in 0..<count {
            guard p + 46 <= b.count, u32(b, p) == 0x0201_4B50 else { throw OfficeFileError("its zip directory is damaged") }
            let flags = u16(b, p + 8), method = u16(b, p + 10)
            let csize = u32(b, p + 20), usize = u32(b, p + 24)
            let nameLen = u16(b, p + 28), extraLen = u16(b, p + 30), commentLen = u16(b, p + 32)
            let local = u32(b, p + 42)
            guard p + 46 + nameLen <= b.count else { throw OfficeFileError("its zip directory is damaged") }
            let name = String(decoding: b[(p + 46)..<(p + 46 + nameLen)], as: UTF8.self)
            p += 46 + nameLen + extraLen + commentLen
            guard flags & 1 == 0 else { throw OfficeFileError("it is encrypted (\(name)): save it without a password") }
            let header = try read(30, at: local)
            guard csize != 0xFFFF_FFFF, usize != 0xFFFF_FFFF, header.count == 30, u32(header, 0) == 0x0403_4B50 else {
                throw OfficeFileError("its zip entry \(name) is damaged or zip64")
            }
            let start = local + 30 + u16(header, 26) + u16(header, 28)
            guard start + csize <= byteCount else { throw OfficeFileError("its zip entry \(name) is truncated") }
            guard method == 0 || method == 8 else {
                throw OfficeFileError("its zip entry \(name) uses compression method \(method), which is not supported")
            }
            entries[name] = Entry(name: name, method: method, compressedSize: csize, size: usize, dataOffset: start)
        }
    }

    /// A small entry's bytes, whole (a workbook part, a relationships file); nil if absent.
    /// Entries larger than `limit` are refused: read those with ``stream(_:)``.
    public func bytes(of name: String, limit: Int = 64 << 20) throws(OfficeFileError) -> [UInt8]? {
        guard let entry = entries[name] else { return nil }
        guard entry.size <= limit else {
            throw OfficeFileError("its zip entry \(name) is larger than \(limit >> 20) MiB")
        }
        var out: [UInt8] = []
        out.reserveCapacity(entry.size)
        let stream = try ZipEntryStream(self, entry)
        while let chunk = try stream.next() { out += chunk }
        return out
    }

    /// An entry's bytes a chunk at a time.
    public func stream(_ entry: Entry, chunkSize: Int = 256 << 10) throws(OfficeFileError) -> ZipEntryStream {
        try ZipEntryStream(self, entry, chunkSize: chunkSize)
    }
}
