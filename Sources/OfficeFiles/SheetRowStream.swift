/// The first worksheet of an .xlsx file read from its file a row at a time, so a workbook of
/// any number of rows is read in the same memory: the sheet's XML is inflated out of the zip a
/// chunk at a time (``ZipEntryStream``) and scanned as it comes.
///
/// The shared-strings table is read first, streamed the same way, and kept (a cell of type `s`
/// names its text by index in it): its memory is that of the workbook's distinct strings. Excel and WPS put every text
/// cell there, so a sheet whose every row holds a different case number keeps one string per
/// row; numbers, dates and inline strings (what `courtsync` writes) take none.
public final class SheetRowStream {
    let zip: ZipFile
    let sheet: ZipFile.Entry
    let shared: [String]
    var xml: StreamedXML
    var builder: SheetRowBuilder

    /// Opens the workbook at `path` and reads its shared strings; rows come from ``next()``.
    public init(path: String, chunkSize: Int = 256 << 10) throws(OfficeFileError) {
        let zip: ZipFile
        do { zip = try ZipFile(path: path) } catch { throw OfficeFileError("it is not an .xlsx workbook: \(error.description)") }
        guard let workbook = try zip.bytes(of: "xl/workbook.xml") else { throw Spreadsheet.notAWorkbook }
        let sheetPath = try Spreadsheet.firstSheetPath(workbook: workbook, relationships: try zip.bytes(of: "xl/_rels/workbook.xml.rels"))
        guard let sheet = zip.entries[sheetPath] else { throw OfficeFileError("its first worksheet (\(sheetPath)) is missing") }
        var shared: [String] = []
        if let entry = zip.entries["xl/sharedStrings.xml"] {
            var strings = StreamedXML(try zip.stream(entry, chunkSize: chunkSize))
            shared = try Spreadsheet.sharedStrings { () throws(OfficeFileError) in try strings.next() }
        }
        self.zip = zip
        self.sheet = sheet
        self.shared = shared
        builder = SheetRowBuilder(shared: shared)
        xml = StreamedXML(try zip.stream(sheet, chunkSize: chunkSize))
    }

    /// The sheet's packed size in the file, and how much of it has been read: for progress.
    public var byteCount: Int64 { Int64(sheet.compressedSize) }
    public var bytesRead: Int64 { Int64(xml.stream.compressedRead) }

    /// Starts again from the first row.
    public func rewind() throws(OfficeFileError) {
        xml = StreamedXML(try zip.stream(sheet, chunkSize: xml.stream.chunkSize))
        builder = SheetRowBuilder(shared: shared)
    }

    /// The next row (its number and cells, as ``Spreadsheet/readFirstSheet(_:)`` gives it), or
    /// nil after the last.
    public func next() throws(OfficeFileError) -> Spreadsheet.Row? {
        while let token = try xml.next() {
            if let row = try builder.take(token) { return row }
        }
        return nil
    }
}

/// The XML tokens of a zip entry, scanned as its chunks are inflated.
struct StreamedXML {
    let stream: ZipEntryStream
    var scanner = XMLScanner(streaming: ())
    /// A single token longer than this (a cell of 16 MiB) is refused before it fills memory.
    static let longestToken = 16 << 20

    init(_ stream: ZipEntryStream) { self.stream = stream }

    /// The next token, or nil after the last.
    mutating func next() throws(OfficeFileError) -> XMLScanner.Token? {
        while true {
            if let token = try scanner.next() { return token }
            if scanner.isFinal { return nil }
            guard scanner.unscanned <= Self.longestToken else {
                throw OfficeFileError("its zip entry \(stream.entry.name) holds a cell or tag longer than \(Self.longestToken >> 20) MiB: this is not a table of records")
            }
            let chunk = try stream.next()
            scanner.feed(chunk ?? [], final: chunk == nil)
        }
    }
}
