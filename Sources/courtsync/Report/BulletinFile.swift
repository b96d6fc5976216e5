import Bulletins
import CourtLog
import Foundation

/// A bulletin in one of its forms, written whole (by rename) or not at all. Shared by
/// `courtsync report` and the demo so both write the same files the same way.
enum BulletinFile {
    static let formats = ["md", "html"]

    static func render(_ bulletin: Bulletin, format: String) -> String {
        format == "html" ? BulletinHTML.render(bulletin) : BulletinMarkdown.render(bulletin)
    }

    static func write(_ bulletin: Bulletin, format: String, to path: String) throws {
        do {
            try Data(render(bulletin, format: format).utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw EventError("cannot write \(path): \(error.localizedDescription); choose a writable path")
        }
    }
}
