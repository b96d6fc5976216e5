import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small file a court or the hub keeps (a key, a manifest, a bundle, the hub's config),
/// written so that it is never seen half-written and never, even for a moment, readable by more
/// than `mode` allows: the bytes go to a file opened with `mode` from its first byte (the
/// umask can only narrow it), are synced, and only then take the file's name.
///
/// `FileManager.createFile(atPath:contents:attributes:)` writes with the process's umask and sets
/// the permissions after the rename, so a private key would be world-readable between the two.
public enum KeptFile {
    /// Why a file could not be kept; the caller says what to do in its own words.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// `create` found the file already there.
        case exists
        /// The file could not be opened, written, synced or renamed (the `errno`).
        case io(Int32)

        public var description: String {
            switch self {
            case .exists: "it exists already"
            case .io(let code): String(cString: strerror(code))
            }
        }
    }

    /// Creates `path` with `bytes`, refusing if it exists (`O_EXCL`): for a key made once.
    /// Nothing is left behind on failure.
    public static func create(_ path: String, bytes: [UInt8], mode: mode_t) throws(Failure) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw errno == EEXIST ? .exists : .io(errno) }
        if let failure = fill(fd, bytes) { unlink(path); throw failure }
        syncDirectory(of: path)
    }

    /// Replaces `path` (or creates it) with `bytes`, whole: a temporary file beside it is
    /// written with `mode`, synced and renamed over it. Nothing is left behind on failure.
    public static func replace(_ path: String, bytes: [UInt8], mode: mode_t) throws(Failure) {
        let tmp = "\(path).tmp-\(getpid())"
        unlink(tmp)
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .io(errno) }
        if let failure = fill(fd, bytes) { unlink(tmp); throw failure }
        guard rename(tmp, path) == 0 else { let e = errno; unlink(tmp); throw .io(e) }
        syncDirectory(of: path)
    }

    /// Writes all of `bytes` to `fd`, syncs and closes it; the failure, if any.
    private static func fill(_ fd: Int32, _ bytes: [UInt8]) -> Failure? {
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 { if errno == EINTR { continue }; return .io(errno) }
            done += n
        }
        guard fsync(fd) == 0 else { return .io(errno) }
        return nil
    }

    /// Makes the new name durable (the directory entry), best effort.
    private static func syncDirectory(of path: String) {
        let dir = (path as NSString).deletingLastPathComponent
        let fd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}
