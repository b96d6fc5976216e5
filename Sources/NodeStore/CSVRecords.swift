import CourtLog
import OfficeFiles
#if canImport(Glibc)
import Glibc
#endif

/// The records of a CSV file (RFC 4180: quoted cells may hold commas, doubled quotes and line
/// breaks; CRLF or LF; a UTF-8 BOM is dropped) read a chunk at a time, so a file of any length
/// is checked and imported in the same memory. The first non-blank row is the header
/// (``TableHeader``); each row after it becomes a record as ``EventRecordReader/readTable(_:what:sheet:)``
/// makes it, cited by the line it starts on.
///
/// The file is decoded a run of whole lines at a time: a line feed (0x0A) is never part of a
/// multi-byte character in UTF-8 or GB18030, so a run cut after one decodes on its own.
///
/// Encoding: as given (`--encoding`), else decided on the first run that holds a byte that is
/// not ASCII (until then UTF-8 and GB18030 read the same): UTF-8 if that run is valid UTF-8, else
/// GB18030 if it is valid there, as ``TextEncoding/detect(_:)`` decides for a whole file. If a
/// later run is not valid in the encoding decided, the import stops with a one-line error naming
/// the first such line; this happens while the file is checked, before anything is written,
/// so nothing is stored. (A whole-file reader would have decoded such a mixed file as GB18030
/// and stored the UTF-8 part garbled.)
public final class CSVRecords: ImportRecords {
    let reader: EventRecordReader
    let path: String
    let fd: Int32
    /// Bytes read from the file at a time (injectable so tests cross chunk boundaries).
    let chunkSize: Int
    /// The encoding given, or nil to decide it from the file.
    let given: TextEncoding?
    /// The encoding in use: given, or decided from the first run that is not ASCII.
    public private(set) var encoding: TextEncoding?
    public let byteCount: Int64
    public private(set) var bytesRead: Int64 = 0
    /// Rows converted a window at a time, on all cores.
    static let window = 4096
    /// A line longer than this is refused before it can fill memory.
    public static let longestLine = 16 << 20

    /// Bytes read but not yet decoded: the part of a line after the last line feed.
    var pending: [UInt8] = []
    var atEnd = false
    /// Line feeds decoded so far: the line the next run starts on is this plus one.
    var linesDecoded = 0
    var scanner = CSVScanner()
    /// Rows scanned and not yet handed out (from `next`).
    var rows: [(line: Int, cells: [String])] = []
    var next = 0
    var header: TableHeader?

    public init(path: String, reader: EventRecordReader, encoding: TextEncoding? = nil, chunkSize: Int = 1 << 20) throws(EventError) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw EventError("cannot read \(path): check the path and its permissions") }
        var info = stat()
        guard fstat(fd, &info) == 0 else { close(fd); throw EventError("cannot read \(path): check the path and its permissions") }
        self.fd = fd
        self.path = path
        self.reader = reader
        self.given = encoding
        self.encoding = encoding
        self.chunkSize = max(1, chunkSize)
        byteCount = Int64(info.st_size)
    }

    deinit { close(fd) }

    public func rewind() throws(EventError) {
        guard lseek(fd, 0, SEEK_SET) == 0 else { throw EventError("cannot read \(path) again (errno \(errno)): check the disk") }
        bytesRead = 0
        pending = []
        atEnd = false
        linesDecoded = 0
        scanner = CSVScanner()
        rows = []
        next = 0
        header = nil
    }

    public func nextWindow() throws(EventError) -> [(line: Int, record: Record)]? {
        if header == nil {
            guard let first = try nextRow() else { throw EventError("the CSV file is empty: it needs a header row (type,at,...)") }
            header = try TableHeader(first.cells)
        }
        var window: [(line: Int, cells: [String])] = []
        window.reserveCapacity(Self.window)
        while window.count < Self.window, let row = try nextRow() { window.append(row) }
        if window.isEmpty { return nil }
        let reader = reader, header = header!
        return Parallel.map(window) { row -> (line: Int, record: Record) in
            (row.line, Result { () throws(EventError) in try reader.tableRecord(row.cells, header: header) })
        }
    }

    /// The next row that is not blank, or nil after the last.
    func nextRow() throws(EventError) -> (line: Int, cells: [String])? {
        while true {
            while next < rows.count {
                let row = rows[next]
                next += 1
                if !EventRecordReader.isBlank(row.cells) { return row }
            }
            rows.removeAll(keepingCapacity: true)
            next = 0
            guard let text = try nextRun() else {
                if let last = try scanner.finish() { rows.append(last) }
                if rows.isEmpty { return nil }
                continue
            }
            try scanner.scan(text, into: &rows)
        }
    }

    /// The next run of whole lines (the last one may lack its line feed) decoded, or nil at the end.
    func nextRun() throws(EventError) -> String? {
        while true {
            if let lastFeed = pending.lastIndex(of: 0x0A) {
                let run = Array(pending[...lastFeed])
                pending.removeSubrange(...lastFeed)
                return try decode(run)
            }
            if atEnd {
                guard !pending.isEmpty else { return nil }
                let run = pending
                pending = []
                return try decode(run)
            }
            guard pending.count <= Self.longestLine else {
                throw EventError("a line longer than \(Self.longestLine >> 20) MB: this is not a spreadsheet's CSV; check the file", line: linesDecoded + 1)
            }
            try fill()
        }
    }

    /// Appends the next chunk of the file to `pending` (dropping a UTF-8 BOM at its start).
    func fill() throws(EventError) {
        let old = pending.count
        pending += repeatElement(0, count: chunkSize)
        let n = pending.withUnsafeMutableBytes { read(fd, $0.baseAddress! + old, chunkSize) }
        guard n >= 0 else { throw EventError("cannot read \(path) (errno \(errno)): check the disk") }
        pending.removeLast(chunkSize - n)
        if n == 0 { atEnd = true }
        if bytesRead == 0 && old < 3 && pending.count >= 3 && pending.starts(with: [0xEF, 0xBB, 0xBF]) {
            pending.removeFirst(3)
            bytesRead = 3
        }
    }

    /// A run of whole lines as text, in the encoding given or decided (see the type's comment).
    func decode(_ run: [UInt8]) throws(EventError) -> String {
        let firstLine = linesDecoded + 1
        bytesRead += Int64(run.count)
        linesDecoded += run.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }
        if encoding == nil {
            guard run.contains(where: { $0 >= 0x80 }) else { return String(decoding: run, as: UTF8.self) }
            guard let (found, text) = TextEncoding.detect(run) else {
                throw EventError("it is neither UTF-8 nor GBK/GB18030 text: save it as CSV (UTF-8) and import again", line: firstLine + badLine(run, .gb18030))
            }
            encoding = found
            return text
        }
        if let text = encoding!.decode(run) { return text }
        let line = firstLine + badLine(run, encoding!)
        if let given {
            throw EventError("it is not valid \(given.rawValue) text: give the encoding it was saved in (--encoding utf-8, gb18030 or gbk)", line: line)
        }
        throw EventError("it is not valid \(encoding!.rawValue) text, though the lines before it were read as \(encoding!.rawValue): save the whole file in one encoding, or give it with --encoding", line: line)
    }

    /// How many lines of `run` come before the first one `encoding` cannot decode.
    func badLine(_ run: [UInt8], _ encoding: TextEncoding) -> Int {
        for (i, line) in run.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() where encoding.decode(Array(line)) == nil {
            return i
        }
        return 0
    }
}

/// RFC 4180 scanned incrementally: the state between two runs of text is kept, so a quoted cell
/// may run across them. Row lines are the lines the rows start on. ``EventRecordReader/csvRows(_:)``
/// scans a whole text with it.
struct CSVScanner {
    var cells: [String] = []
    var cell = ""
    var inQuotes = false
    /// A quote seen inside a quoted cell: the next character says whether it is doubled.
    var quoteInQuotes = false
    var line = 1
    var rowLine = 1
    var started = false

    mutating func scan(_ text: String, into rows: inout [(line: Int, cells: [String])]) throws(EventError) {
        for c in text.unicodeScalars {
            if !started {
                started = true
                if c == "\u{FEFF}" { continue }
            }
            if quoteInQuotes {
                quoteInQuotes = false
                if c == "\"" { cell.unicodeScalars.append("\""); continue }
                inQuotes = false
            }
            if inQuotes {
                if c == "\"" {
                    quoteInQuotes = true
                } else {
                    if c == "\n" { line += 1 }
                    cell.unicodeScalars.append(c)
                }
            } else if c == "\"" {
                guard cell.isEmpty else { throw EventError("a quote inside an unquoted cell: quote the whole cell and double the quote", line: line) }
                inQuotes = true
            } else if c == "," {
                cells.append(cell); cell = ""
            } else if c == "\r" {
                // ignored; \n ends the row
            } else if c == "\n" {
                endRow(into: &rows); line += 1; rowLine = line
            } else {
                cell.unicodeScalars.append(c)
            }
        }
    }

    /// The last row if the file does not end with a line break.
    mutating func finish() throws(EventError) -> (line: Int, cells: [String])? {
        if quoteInQuotes { quoteInQuotes = false; inQuotes = false }
        if inQuotes { throw EventError("a quoted cell is not closed before the end of the file", line: rowLine) }
        guard !cell.isEmpty || !cells.isEmpty else { return nil }
        var rows: [(line: Int, cells: [String])] = []
        endRow(into: &rows)
        return rows.first
    }

    mutating func endRow(into rows: inout [(line: Int, cells: [String])]) {
        cells.append(cell)
        cell = ""
        if !(cells.count == 1 && cells[0].isEmpty) { rows.append((rowLine, cells)) }
        cells = []
    }
}
