import CourtLog
import Dispatch
import OfficeFiles

/// The records of an .xlsx workbook's first sheet, read a row at a time (``SheetRowStream``),
/// so a sheet of any number of rows is checked and imported in the same memory (besides the
/// workbook's shared strings, see there). As the whole-sheet reader does: the first non-blank
/// row is the header (``TableHeader``), blank rows are left out, a row may leave out its empty
/// cells at the end, and each record is cited by its row number in the sheet.
public final class SheetRecords: ImportRecords {
    let reader: EventRecordReader
    let rows: SheetRowStream
    /// Rows converted a window at a time, on all cores.
    static let window = 4096
    var header: TableHeader?
    /// The next window's rows, being read on another thread while the caller handles this one
    /// (the XML is scanned on one core; converting, signing and storing use the others): at
    /// most two windows of rows are held, whatever the sheet's length. While it runs, only its
    /// thread touches ``rows``.
    var ahead: ReadAhead?
    /// Packed bytes read up to the end of the window last handed out, for progress (read on the
    /// caller's thread, never from ``rows`` while a read ahead runs).
    var readSoFar: Int64 = 0

    /// Opens the workbook at `path`; a file that is not an .xlsx workbook is refused here.
    public init(path: String, reader: EventRecordReader, chunkSize: Int = 256 << 10) throws(EventError) {
        do { rows = try SheetRowStream(path: path, chunkSize: chunkSize) } catch { throw EventError(error.description) }
        self.reader = reader
        byteCount = rows.byteCount
    }

    deinit { ahead?.done.wait() }

    public var bytesRead: Int64 { readSoFar }
    public let byteCount: Int64

    public func rewind() throws(EventError) {
        ahead?.done.wait()
        ahead = nil
        do { try rows.rewind() } catch { throw EventError(error.description) }
        header = nil
        readSoFar = 0
    }

    public func nextWindow() throws(EventError) -> [(line: Int, record: Record)]? {
        if header == nil {
            guard let first = try nextRow() else { throw EventError("the sheet is empty: it needs a header row (type,at,...)") }
            header = try TableHeader(first.cells)
        }
        let window: [Spreadsheet.Row]
        if let ahead {
            ahead.done.wait()
            self.ahead = nil
            window = try ahead.rows.get()
            readSoFar = ahead.bytesRead
        } else {
            window = try readWindow()
            readSoFar = rows.bytesRead
        }
        if window.isEmpty { return nil }
        // A full window may not be the last: read the next while this one is converted and used.
        if window.count == Self.window { readAhead() }
        let reader = reader, header = header!
        return Parallel.map(window) { row -> (line: Int, record: Record) in
            (row.number, Result { () throws(EventError) in try reader.tableRecord(row.cells, header: header, sheet: true) })
        }
    }

    /// Up to ``window`` rows that are not blank; empty after the last.
    func readWindow() throws(EventError) -> [Spreadsheet.Row] {
        var window: [Spreadsheet.Row] = []
        window.reserveCapacity(Self.window)
        while window.count < Self.window, let row = try nextRow() { window.append(row) }
        return window
    }

    /// Starts reading the next window on another thread.
    func readAhead() {
        let next = ReadAhead()
        let source = Unshared(records: self)
        next.done.enter()
        DispatchQueue.global().async {
            next.rows = Result { () throws(EventError) in try source.records.readWindow() }
            next.bytesRead = source.records.rows.bytesRead
            next.done.leave()
        }
        ahead = next
    }

    /// One window read ahead, handed from the reading thread to the caller's after
    /// `done.wait()` (which orders the two).
    final class ReadAhead: @unchecked Sendable {
        let done = DispatchGroup()
        var rows: Result<[Spreadsheet.Row], EventError> = .success([])
        var bytesRead: Int64 = 0
    }

    /// These records handed to the reading thread: the caller touches ``rows`` only after
    /// waiting for it.
    struct Unshared: @unchecked Sendable { let records: SheetRecords }

    /// The next row that is not blank, or nil after the last.
    func nextRow() throws(EventError) -> Spreadsheet.Row? {
        do {
            while let row = try rows.next() {
                if !EventRecordReader.isBlank(row.cells) { return row }
            }
            return nil
        } catch {
            throw EventError(error.description)
        }
    }
}
