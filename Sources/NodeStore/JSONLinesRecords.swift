import CourtLog

/// The records of a JSON Lines file, one object per line, parsed a window at a time on all cores.
public final class JSONLinesRecords: ImportRecords {
    let reader: EventRecordReader
    let lines: JSONLines
    /// Lines read since the last rewind.
    var lineNo = 0
    /// Records read a window at a time, on all cores.
    static let window = 4096

    public init(reader: EventRecordReader, lines: JSONLines) {
        self.reader = reader
        self.lines = lines
    }

    public var bytesRead: Int64 { lines.bytesRead }
    public var byteCount: Int64 { lines.byteCount }

    public func rewind() throws(EventError) {
        try lines.rewind()
        lineNo = 0
    }

    public func nextWindow() throws(EventError) -> [(line: Int, record: Record)]? {
        var window: [ArraySlice<UInt8>] = []
        window.reserveCapacity(Self.window)
        while window.count < Self.window, let line = try lines.next() { window.append(line) }
        if window.isEmpty { return nil }
        let reader = reader
        let parsed = Parallel.map(window) { line in Result { () throws(EventError) in try reader.record(line) } }
        var out: [(line: Int, record: Record)] = []
        out.reserveCapacity(parsed.count)
        for (i, result) in parsed.enumerated() {
            switch result {
            case .success(nil): continue
            case .success(let record?): out.append((lineNo + i + 1, .success(record)))
            case .failure(let error): out.append((lineNo + i + 1, .failure(error)))
            }
        }
        lineNo += window.count
        return out
    }
}
