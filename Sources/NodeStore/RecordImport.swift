import CourtLog

/// A file of records (JSON Lines, CSV) imported in the same memory whatever its length: read once to
/// check every record (nothing is written if any is wrong), then again, a chunk at a time, to
/// be stored in one transaction (``NodeDirectory/appendAll(recordedAt:_:)``).
///
/// What the whole-file reader keeps for every record, this keeps in two fixed-size filters: ids
/// that may repeat are confirmed by a third read, and the contents of id-less records that may
/// repeat are counted exactly on the second read, so that their derived ids
/// (``EventRecordReader/derivedID(digest:occurrence:)``) are the ones the whole-file reader gives.
public final class RecordImport {
    let source: any ImportRecords
    /// Content digests of id-less records that may occur more than once.
    var repeatedContents: Set<[UInt8]> = []
    /// Records checked by ``check()``.
    public private(set) var records = 0

    public init(_ source: any ImportRecords) {
        self.source = source
    }

    /// The records of a JSON Lines file.
    public convenience init(reader: EventRecordReader, lines: JSONLines) {
        self.init(JSONLinesRecords(reader: reader, lines: lines))
    }

    /// Reads every record and checks it: the bad ones (up to ``EventRecordReader/reportLimit``)
    /// are thrown together with their lines, and an id given to two records of different content.
    public func check(progress: (Int64, Int64) -> Void = { _, _ in }) throws(EventError) {
        var problems = ImportProblems()
        var ids = IDFilter(), contents = IDFilter()
        var maybeRepeatedIDs: Set<String> = []
        try source.rewind()
        records = 0
        while let window = try source.nextWindow() {
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
            progress(source.bytesRead, source.byteCount)
        }
        try problems.check()
        if !maybeRepeatedIDs.isEmpty { try confirmIDs(maybeRepeatedIDs) }
    }

    /// Refuses an id that two records give with different content (the filter's "maybe" made exact).
    func confirmIDs(_ wanted: Set<String>) throws(EventError) {
        var first: [String: (record: Int, digest: [UInt8])] = [:]
        try source.rewind()
        var record = 0
        while let window = try source.nextWindow() {
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
        try source.rewind()
        var pending: [EventDraft] = []
        var occurrences: [[UInt8]: Int] = [:]
        let repeated = repeatedContents
        return { [self] () throws -> [EventDraft]? in
            while pending.count < chunk, let window = try source.nextWindow() {
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
