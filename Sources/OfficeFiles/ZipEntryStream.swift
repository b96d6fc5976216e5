import COfficeShims
#if canImport(Glibc)
import Glibc
#endif

/// One entry of a ``ZipFile`` unpacked a chunk at a time: the packed bytes are read from the
/// file a buffer at a time and inflated by zlib into chunks of `chunkSize`, so an entry of any
/// size is read in the same memory.
public final class ZipEntryStream {
    let file: ZipFile
    let entry: ZipFile.Entry
    let chunkSize: Int
    /// Packed bytes read from the file so far.
    public private(set) var compressedRead = 0
    /// Unpacked bytes handed out so far.
    var produced = 0
    var finished = false
    /// zlib's state and its input buffer, at fixed addresses (zlib keeps pointers into both).
    let z: UnsafeMutablePointer<z_stream>
    let input: UnsafeMutablePointer<UInt8>
    static let inputSize = 64 << 10

    init(_ file: ZipFile, _ entry: ZipFile.Entry, chunkSize: Int = 256 << 10) throws(OfficeFileError) {
        self.file = file
        self.entry = entry
        self.chunkSize = max(1, chunkSize)
        z = .allocate(capacity: 1)
        z.initialize(to: z_stream())
        input = .allocate(capacity: Self.inputSize)
        if entry.method == 8 {
            guard inflateInit2_(z, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                z.deallocate(); input.deallocate()
                throw OfficeFileError("zlib could not start")
            }
        }
    }

    deinit {
        if entry.method == 8 { inflateEnd(z) }
        z.deallocate()
        input.deallocate()
    }

    /// The next chunk of the entry's bytes, or nil after the last.
    public func next() throws(OfficeFileError) -> [UInt8]? {
        guard !finished else { return nil }
        let chunk: [UInt8]
        if entry.method == 0 {
            let n = min(chunkSize, entry.compressedSize - compressedRead)
            chunk = try file.read(n, at: entry.dataOffset + compressedRead)
            guard chunk.count == n else { throw damaged }
            compressedRead += n
            if compressedRead == entry.compressedSize { finished = true }
        } else {
            chunk = try inflateChunk()
        }
        produced += chunk.count
        guard produced <= entry.size else { throw damaged }
        if finished {
            guard produced == entry.size else { throw damaged }
            if chunk.isEmpty { return nil }
        }
        return chunk
    }

    var damaged: OfficeFileError { OfficeFileError("its zip entry \(entry.name) is damaged (it does not decompress)") }

    /// Inflates up to `chunkSize` bytes, reading packed bytes as zlib asks for them.
    func inflateChunk() throws(OfficeFileError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: chunkSize)
        var filled = 0
        while filled < chunkSize {
            if z.pointee.avail_in == 0 && compressedRead < entry.compressedSize {
                let n = min(Self.inputSize, entry.compressedSize - compressedRead)
                let packed = try file.read(n, at: entry.dataOffset + compressedRead)
                guard packed.count == n else { throw damaged }
                packed.withUnsafeBufferPointer { input.update(from: $0.baseAddress!, count: n) }
                compressedRead += n
                z.pointee.next_in = input
                z.pointee.avail_in = uInt(n)
            }
            let result: Int32 = out.withUnsafeMutableBufferPointer { buffer in
                z.pointee.next_out = buffer.baseAddress! + filled
                z.pointee.avail_out = uInt(chunkSize - filled)
                let r = COfficeShims.inflate(z, Z_NO_FLUSH)
                filled = chunkSize - Int(z.pointee.avail_out)
                return r
            }
            if result == Z_STREAM_END { finished = true; break }
            // Z_BUF_ERROR here: out of packed bytes before the end of the deflate stream (the
            // entry was cut short); anything else but Z_OK: the bytes are not deflate.
            guard result == Z_OK else {
                if entry.size == 0 && entry.compressedSize == 0 { finished = true; break }
                throw damaged
            }
        }
        out.removeLast(chunkSize - filled)
        return out
    }
}
