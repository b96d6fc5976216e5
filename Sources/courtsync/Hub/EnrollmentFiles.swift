import CanonicalJSON
import CourtLog
import Foundation
import SyncProtocol

/// The files `hub enroll` and `hub rotate` read and write: a court's request, and the bundle it installs.
enum EnrollmentFiles {
    /// The request at `path`, as JSON; `madeBy` names the node command that writes such a file.
    static func request(at path: String, madeBy: String) throws -> JSONValue {
        guard let data = FileManager.default.contents(atPath: path) else { throw EventError("cannot read \(path): check the path") }
        do { return try StrictJSONParser.parse(Array(data)) } catch {
            throw EventError("\(path) is not valid JSON (\(error.description)): use the file `courtsync \(madeBy)` wrote")
        }
    }

    /// Writes the bundle to `out` (default `<court>.bundle.json` here) and returns the path.
    static func write(_ bundle: EnrollmentBundle, to out: String?) throws -> String {
        let path = out ?? "\(bundle.court).bundle.json"
        guard FileManager.default.createFile(atPath: path, contents: Data(CanonicalEncoder.encode(bundle.json) + [0x0A])) else {
            throw EventError("cannot write \(path): choose a writable path with --out")
        }
        return path
    }
}
