import CourtLog

/// The records of an input file read a window at a time, in order, each with the line that
/// errors cite, so that ``RecordImport`` checks and stores a file of any length in the same
/// memory. ``JSONLinesRecords`` and ``CSVRecords`` are the two.
public protocol ImportRecords: AnyObject {
    /// A record read: its draft and whether it gave its own id, or what is wrong with it.
    typealias Record = Result<(EventDraft, hasID: Bool), EventError>

    /// Starts again from the first record.
    func rewind() throws(EventError)
    /// The next window of records with their lines (blank lines left out), or nil after the last.
    /// An error that makes the rest of the file unreadable (a broken quote, a wrong encoding)
    /// is thrown rather than returned as a record.
    func nextWindow() throws(EventError) -> [(line: Int, record: Record)]?
    /// Bytes read so far and the file's length, for progress.
    var bytesRead: Int64 { get }
    var byteCount: Int64 { get }
}
