import CourtLog

/// A JSON Lines file of records imported in the same memory whatever its length: read once to
/// check every record (nothing is written if any is wrong), then again, a chunk at a time, to
/// be stored in one transaction (``NodeDirectory/appendAll(recordedAt:_:)``).
///
/// What the whole-file reader keeps for every record, this keeps in two fixed-size filters: ids
/// that may repeat are confirmed by a third read, and the contents of id-less records that may
/// repeat are counted exactly on the second read, so that their derived ids
/// (``EventRecordReader/derivedID(digest:occurrence:)``) are the ones the whole-file reader gives.
public final class JSONLinesImport {
    let reader: EventRecordReader
    let lines: JSONLines
    /// Records read a window at a time, on all cores.
    static let window = 4096
    /// Content digests of id-less records that may occur more than once.
    var repeatedContents: Set<[UInt8]> = []
    /// Records checked by ``check()``.
    public private(set) var records = 0

    public init(reader: EventRecordReader, lines: JSONLines) {
        self.reader = reader
        self.lines = lines
    }

    /// The next window of records with their line numbers (blank lines left out), or nil.
    func nextWindow(from lineNo: inout Int) throws(EventError) -> [(line: Int, record: Result<(EventDraft, hasID: Bool), EventError>)]? {
        var window: [ArraySlice<UInt8>] = []
        window.reserveCapacity(Self.window)
        while window.count < Self.window, let line = try lines.next() { window.append(line) }
        if window.isEmpty { return nil }
        let reader = reader
        let parsed = Parallel.map(window) { line in Result { () throws(EventError) in try reader.record(line) } }
        var out: [(line: Int, record: Result<(EventDraft, hasID: Bool), EventError>)] = []
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

    /// Reads every record and checks it: the bad ones (up to ``EventRecordReader/reportLimit``)
    /// are thrown together with their lines, and an id given to two records of different content.
    public func check(progress: (Int64, Int64) -> Void = { _, _ in }) throws(EventError) {
        var problems = ImportProblems()
        var ids = IDFilter(), contents = IDFilter()
        var maybeRepeatedIDs: Set<String> = []
        try lines.rewind()
        var lineNo = 0
        records = 0
        while let window = try nextWindow(from: &lineNo) {
            for (line, result) in window {
                switch result {
                case .failure(let error): try problems.add(error.at(line: line))
                case .success(let (draft, hasID)):
                    records += 1
                    if hasID {
                        if ids.insert(draft.id) { maybeRepeatedIDs.insert(draft.id) }
                    } else {
                        let digest = draft.contentDigest
                        if contents.insert(digest) { repeatedContents.insert(digest) }
                    }
                }
            }
            progress(lines.bytesRead, lines.byteCount)
        }
        try problems.check()
        if !maybeRepeatedIDs.isEmpty { try confirmIDs(maybeRepeatedIDs) }
    }

    /// Refuses an id that two records give with different content (the filter's "maybe" made exact).
    func confirmIDs(_ wanted: Set<String>) throws(EventError) {
        var first: [String: (record: Int, digest: [UInt8])] = [:]
        try lines.rewind()
        var lineNo = 0, record = 0
        while let window = try nextWindow(from: &lineNo) {
            for (_, result) in window {
                guard case .success(let (draft, hasID)) = result else { continue }
                record += 1
                guard hasID, wanted.contains(draft.id) else { continue }
                let digest = draft.contentDigest
                if let earlier = first[draft.id] {
                    guard earlier.digest == digest else {
                        throw EventError("id '\(draft.id)' is used by record \(earlier.record) and record \(record) with different content: give each event its own id")
                    }
                } else {
                    first[draft.id] = (record, digest)
                }
            }
        }
    }

    /// After ``check()``: hands the drafts over `chunk` at a time (id-less ones with their derived
    /// ids), for ``NodeDirectory/appendAll(recordedAt:_:)``; nil after the last.
    public func drafts(chunk: Int) throws -> () throws -> [EventDraft]? {
        try lines.rewind()
        var lineNo = 0
        var pending: [EventDraft] = []
        var occurrences: [[UInt8]: Int] = [:]
        let repeated = repeatedContents
        return { [self] () throws -> [EventDraft]? in
            while pending.count < chunk, let window = try nextWindow(from: &lineNo) {
                for (line, result) in window {
                    guard case .success(let (draft, hasID)) = result else {
                        throw EventError("line \(line) changed while it was being imported: nothing was imported; import the file again when nothing is writing it")
                    }
                    var d = draft
                    if !hasID {
                        let digest = draft.contentDigest
                        var n = 0
                        if repeated.contains(digest) { n = occurrences[digest, default: 0]; occurrences[digest] = n + 1 }
                        d.id = EventRecordReader.derivedID(digest: digest, occurrence: n)
                    }
                    pending.append(d)
                }
            }
            if pending.isEmpty { return nil }
            let out = Array(pending.prefix(chunk))
            pending.removeFirst(out.count)
            return out
        }
    }
}
