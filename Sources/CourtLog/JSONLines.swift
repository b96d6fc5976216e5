#if canImport(Glibc)
import Glibc
#endif

/// The lines of a JSON Lines input (an export, or records to import), read in order from memory
/// or from a file a buffer at a time, so that an input of any length is checked in the same
/// memory. ``rewind()`` starts
/// again from the first line: the duplicate-id checks read a file twice when they must.
public final class JSONLines {
    enum Source {
        case bytes([UInt8])
        case file(Int32, path: String)
    }

    let source: Source
    /// The input's length in bytes.
    public let byteCount: Int64
    /// Whether the input ends with a newline (an export always does; one cut short does not).
    public let endsWithNewline: Bool
    /// Bytes consumed so far, for progress.
    public private(set) var bytesRead: Int64 = 0
    /// The longest line a file may hold: an envelope is a few hundred bytes; a line longer than
    /// this is not an export's, and is refused before it can fill memory.
    public static let longestLine = 1 << 20

    var buffer: [UInt8] = []
    var start = 0
    var atEnd = false

    /// Lines of an export held in memory.
    public init(bytes: [UInt8]) {
        source = .bytes(bytes)
        byteCount = Int64(bytes.count)
        endsWithNewline = bytes.last == 0x0A
        buffer = bytes
        atEnd = true
    }

    /// Lines of an export file, read as needed.
    public init(path: String) throws(EventError) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw EventError("cannot read \(path): check the path and its permissions") }
        var info = stat()
        guard fstat(fd, &info) == 0 else { close(fd); throw EventError("cannot read \(path): check the path and its permissions") }
        source = .file(fd, path: path)
        byteCount = Int64(info.st_size)
        var last: UInt8 = 0
        endsWithNewline = byteCount > 0 && pread(fd, &last, 1, off_t(byteCount - 1)) == 1 && last == 0x0A
    }

    deinit {
        if case .file(let fd, _) = source { close(fd) }
    }

    /// The next line without its newline, or nil after the last. A last line without a newline
    /// is returned too (the caller decides what a missing final newline means).
    public func next() throws(EventError) -> ArraySlice<UInt8>? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                let line = buffer[start..<newline]
                bytesRead += Int64(newline - start + 1)
                start = newline + 1
                return line
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                let line = buffer[start...]
                bytesRead += Int64(line.count)
                start = buffer.count
                return line
            }
            try fill()
        }
    }

    /// Reads the next part of the file after what is left of the buffer.
    func fill() throws(EventError) {
        guard case .file(let fd, let path) = source else { atEnd = true; return }
        if buffer.count - start > Self.longestLine {
            throw EventError("a line longer than \(Self.longestLine) bytes: this is not an export (an envelope is one line of a few hundred bytes)")
        }
        buffer.removeSubrange(0..<start)
        start = 0
        let chunk = 1 << 20
        let old = buffer.count
        buffer += repeatElement(0, count: chunk)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + old, chunk) }
        guard n >= 0 else { throw EventError("cannot read \(path) (errno \(errno)): check the disk") }
        buffer.removeLast(chunk - n)
        if n == 0 { atEnd = true }
    }

    /// Starts again from the first line.
    public func rewind() throws(EventError) {
        bytesRead = 0
        start = 0
        guard case .file(let fd, let path) = source else { return }
        guard lseek(fd, 0, SEEK_SET) == 0 else { throw EventError("cannot read \(path) again (errno \(errno)): check the disk") }
        buffer = []
        atEnd = false
    }
}
