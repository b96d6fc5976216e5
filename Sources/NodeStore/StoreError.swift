import GRDB

/// A storage fault, said so that the operator knows what to do.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    /// Turns SQLite's codes into sentences about the node directory.
    static func from(_ error: any Error, path: String) -> any Error {
        guard let db = error as? DatabaseError else { return error }
        switch db.resultCode {
        case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_AUTH:
            return StoreError("\(path) is read-only: give the node's user write access to the directory and its files, then retry (nothing was written)")
        case .SQLITE_FULL:
            return StoreError("the disk holding \(path) is full: free space, then retry (the last batch was rolled back, nothing half-written)")
        case .SQLITE_CANTOPEN:
            return StoreError("cannot open \(path): check that the directory exists and is writable")
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return StoreError("\(path) is damaged or not a CourtSync log: restore it from a backup or an export")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return StoreError("\(path) is locked by another process: wait for it to finish, then retry")
        case .SQLITE_IOERR:
            return StoreError("I/O error on \(path) (\(db.message ?? "")): check the disk, then retry")
        default:
            if let message = db.message, message.hasPrefix("no such table: "),
               EventStore.hubTables.contains(String(message.dropFirst("no such table: ".count))) {
                return StoreError("\(path) is a court's log, not the hub's database: give the hub's directory (the one `courtsync hub init` made)")
            }
            return StoreError("SQLite error on \(path): \(db.message ?? "\(db.resultCode)")")
        }
    }
}
