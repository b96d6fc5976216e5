import CanonicalJSON
import CourtLog
import Foundation

/// The files of enrollment and rotation: the request a node writes and the hub reads, and the bundle the hub writes.
enum EnrollmentFiles {
    /// The request at `path`, as JSON; `madeBy` names the node command that writes such a file.
    static func request(at path: String, madeBy: String) throws -> JSONValue {
        guard let data = FileManager.default.contents(atPath: path) else { throw EventError("cannot read \(path): check the path") }
        do { return try StrictJSONParser.parse(Array(data)) } catch {
            throw EventError("\(path) is not valid JSON (\(error.description)): use the file `courtsync \(madeBy)` wrote")
        }
    }

    /// Writes a request or bundle as canonical JSON to `out` (default `fallback` here) and returns the path.
    static func write(_ json: JSONValue, to out: String?, default fallback: String) throws -> String {
        let path = out ?? fallback
        do { try KeptFile.replace(path, bytes: CanonicalEncoder.encode(json) + [0x0A], mode: 0o644) } catch {
            throw EventError("cannot write \(path) (\(error)): choose a writable path with --out")
        }
        return path
    }
}
