import CourtLog
import Foundation
import OfficeFiles
import NodeStore

/// An input file as the office hands it over: CSV (UTF-8 or GB18030), an .xlsx workbook, or
/// JSON Lines; the kind from `--format`, else the extension, else the content.
enum OfficeInput {
    enum Content {
        /// Rows with the line (CSV) or row number (sheet) that errors cite.
        case table([(line: Int, cells: [String])])
        case jsonLines([UInt8])
    }

    static func kind(of bytes: [UInt8], name: String) -> String {
        switch URL(fileURLWithPath: name).pathExtension.lowercased() {
        case "csv": return "csv"
        case "xlsx", "xls": return "xlsx"  // an old .xls is refused there with what to do
        case "jsonl", "ndjson", "json": return "jsonl"
        default:
            if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) || bytes.starts(with: [0xD0, 0xCF, 0x11, 0xE0]) { return "xlsx" }
            let first = bytes.drop(while: { [0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }).first
            return first == UInt8(ascii: "{") ? "jsonl" : "csv"
        }
    }

    /// Reads `bytes` and hands the content to `body`; errors name what is wrong with the file.
    static func read<T>(_ bytes: [UInt8], name: String, format: String?, encoding: TextEncoding?,
                        _ body: (String, Content) throws(EventError) -> T) throws -> T {
        let kind = format ?? kind(of: bytes, name: name)
        switch kind {
        case "xlsx":
            if name.lowercased().hasSuffix(".xls") || bytes.starts(with: [0xD0, 0xCF, 0x11, 0xE0]) {
                throw EventError("this is an old Excel .xls file: save it as .xlsx (Excel 工作簿) or CSV and import that")
            }
            let rows: [Spreadsheet.Row]
            do { rows = try Spreadsheet.readFirstSheet(bytes) } catch { throw EventError(error.description) }
            return try body("sheet", .table(rows.map { (line: $0.number, cells: $0.cells) }))
        case "csv":
            let text: String
            if let encoding {
                guard let t = encoding.decode(bytes) else {
                    throw EventError("it is not valid \(encoding.rawValue) text: give the encoding it was saved in (--encoding utf-8, gb18030 or gbk)")
                }
                text = t
            } else {
                guard let (_, t) = TextEncoding.detect(bytes) else {
                    throw EventError("it is neither UTF-8 nor GBK/GB18030 text: save it as CSV (UTF-8) and import again")
                }
                text = t
            }
            let rows: [(line: Int, cells: [String])]
            do { rows = try EventRecordReader.csvRows(text) } catch { throw error }
            return try body("CSV file", .table(rows))
        default:
            return try body("JSON Lines file", .jsonLines(bytes))
        }
    }
}
