import Foundation

/// Where a replay too long to hold every distinct subject in memory writes them instead: each
/// `(counter key, subject hash)` pair goes to one of ``partitions`` files by the subject's top
/// bits, and ``Tally/resolveSpilled(budget:)`` later counts each file's subjects per key, a
/// bounded number of pairs at a time. A subject always lands in the same file, so the distinct
/// count of a key is the sum of its counts over the files: the same number the in-memory sets
/// give, in memory that does not grow with the log.
///
/// Used by one fold (one thread) at a time. A write that fails is remembered and reported by
/// ``flush()``, so the fold itself stays non-throwing.
public final class DistinctSpill: @unchecked Sendable {
    /// Files per spill: a subject's top four bits choose its file.
    public static let partitions = 16
    /// Pairs buffered per file before they are appended (16 bytes each: 64 KiB).
    static let bufferPairs = 4096

    let directory: String
    let name: String
    private var buffers: [[UInt64]]
    private var failure: String?

    /// A spill writing `<directory>/<name>-<partition>.pairs`; the directory must exist.
    public init(directory: String, name: String) {
        self.directory = directory
        self.name = name
        buffers = Array(repeating: [], count: Self.partitions)
        for i in buffers.indices { buffers[i].reserveCapacity(2 * Self.bufferPairs) }
    }

    func path(_ partition: Int) -> String { "\(directory)/\(name)-\(partition).pairs" }

    @inline(__always)
    static func partition(of subject: UInt64) -> Int { Int(subject >> 60) }

    @inline(__always)
    func append(key: UInt64, subject: UInt64) {
        let p = Self.partition(of: subject)
        buffers[p].append(key)
        buffers[p].append(subject)
        if buffers[p].count >= 2 * Self.bufferPairs { write(p) }
    }

    private func write(_ p: Int) {
        defer { buffers[p].removeAll(keepingCapacity: true) }
        guard failure == nil, !buffers[p].isEmpty else { return }
        guard let file = fopen(path(p), "ab") else {
            failure = "cannot write \(path(p)): \(String(cString: strerror(errno)))"
            return
        }
        let written = buffers[p].withUnsafeBufferPointer { fwrite($0.baseAddress, 8, $0.count, file) }
        let closed = fclose(file) == 0
        if written != buffers[p].count || !closed {
            failure = "cannot write \(path(p)) (disk full?): \(String(cString: strerror(errno)))"
        }
    }

    /// Writes what is buffered; throws the first write that failed.
    public func flush() throws(SpillError) {
        for p in buffers.indices { write(p) }
        if let failure { throw SpillError("replay: \(failure); free space where the database lies, or replay where there is room") }
    }

    /// Reads partition `p`'s pairs in chunks, calling `body(key, subject)` for each.
    func forEachPair(in p: Int, _ body: (UInt64, UInt64) -> Void) throws(SpillError) {
        guard let file = fopen(path(p), "rb") else {
            if errno == ENOENT { return }
            throw SpillError("replay: cannot read \(path(p)): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var chunk = [UInt64](repeating: 0, count: 2 * Self.bufferPairs)
        while true {
            let n = chunk.withUnsafeMutableBufferPointer { fread($0.baseAddress, 8, $0.count, file) }
            var i = 0
            while i + 1 < n { body(chunk[i], chunk[i + 1]); i += 2 }
            if n < chunk.count { break }
        }
        if ferror(file) != 0 { throw SpillError("replay: cannot read \(path(p))") }
    }

    /// The number of pairs in partition `p`.
    func pairs(in p: Int) -> Int {
        var st = stat()
        return stat(path(p), &st) == 0 ? Int(st.st_size) / 16 : 0
    }

    /// Removes the spill's files.
    public func remove() {
        for p in 0..<Self.partitions { unlink(path(p)) }
    }
}

/// A spill file could not be written or read.
public struct SpillError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
