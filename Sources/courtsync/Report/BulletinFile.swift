import Bulletins
import CourtLog
import Foundation

/// A bulletin in one of its forms, written whole (by rename) or not at all. Shared by
/// `courtsync report` and the demo so both write the same files the same way.
enum BulletinFile {
    /// Every form `report` writes; the demo writes the first two.
    static let formats = ["md", "html", "docx", "pdf"]

    /// Text forms (Markdown, HTML) print to standard output; the others need --out.
    static func isText(_ format: String) -> Bool { format == "md" || format == "html" }

    static func render(_ bulletin: Bulletin, format: String) -> String {
        format == "html" ? BulletinHTML.render(bulletin) : BulletinMarkdown.render(bulletin)
    }

    static func bytes(_ bulletin: Bulletin, format: String) throws -> [UInt8] {
        switch format {
        case "docx": return BulletinDocx.render(bulletin)
        case "pdf": return try PDFPrinter.print(html: BulletinHTML.render(bulletin))
        default: return Array(render(bulletin, format: format).utf8)
        }
    }

    static func write(_ bulletin: Bulletin, format: String, to path: String) throws {
        let data = try bytes(bulletin, format: format)
        do {
            try Data(data).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw EventError("cannot write \(path): \(error.localizedDescription); choose a writable path")
        }
    }
}
