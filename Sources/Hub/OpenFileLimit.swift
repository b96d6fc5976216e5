import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The process's open-file limit (RLIMIT_NOFILE): every connection holds one descriptor, and
/// the usual soft limit of 1,024 is what 1,124 idle connections once used up (issue 13).
/// `hub serve` raises its soft limit to the hard one when it starts; raising the hard limit
/// itself is the administrator's (`LimitNOFILE=` in the systemd unit).
public struct OpenFileLimit: Sendable, Equatable {
    /// The soft limit before and after the raise, and the hard limit.
    public var before: Int
    public var soft: Int
    public var hard: Int

    public init(before: Int, soft: Int, hard: Int) {
        self.before = before
        self.soft = soft
        self.hard = hard
    }

    /// The usual limit where nothing raised it.
    public static let usual = OpenFileLimit(before: 1_024, soft: 1_024, hard: 1_024)

    /// What the hub advises (and its systemd unit sets).
    public static let advisedHard = 65_536
    /// Below this hard limit the hub logs what to do: it holds fewer than 10,000 idle connections
    /// and the courts besides.
    public static let lowHard = 16_384

    /// Raises this process's soft limit to its hard limit (no privilege is needed for that) and says what it got.
    @discardableResult
    public static func raiseToHard() -> OpenFileLimit {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return .usual }
        let before = Int(clamping: limit.rlim_cur)
        // An unlimited hard limit is refused as a soft one on Linux past fs.nr_open: ask for that.
        var wanted = limit.rlim_max
        if wanted == rlim_t.max, let text = try? String(contentsOfFile: "/proc/sys/fs/nr_open", encoding: .utf8),
           let nrOpen = rlim_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) { wanted = nrOpen }
        if limit.rlim_cur < wanted {
            var raised = limit
            raised.rlim_cur = wanted
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return OpenFileLimit(before: before, soft: Int(clamping: limit.rlim_cur), hard: Int(clamping: limit.rlim_max == rlim_t.max ? wanted : limit.rlim_max))
    }

    /// Connections the hub may hold at once on this limit: a tenth of the descriptors (at least
    /// 124) stay for the databases, the log files and PostgreSQL's connections — 900 at 1,024.
    public var connectionCap: Int { max(1, soft - max(124, soft / 10)) }

    /// One line for the hub's log.
    public var description: String {
        let raised = soft > before ? "raised from \(before) to \(soft)" : "\(soft)"
        return "open-file limit \(raised) (hard limit \(hard)): up to \(connectionCap) connections at once"
    }

    /// What to do when the hard limit is low, or nil.
    public var advice: String? {
        guard hard < Self.lowHard else { return nil }
        return "the hard open-file limit is \(hard), too low to ride out a flood of idle connections: set LimitNOFILE=\(Self.advisedHard) in the [Service] section of courtsync-hub.service (or `ulimit -Hn \(Self.advisedHard)` as root before `hub serve`), then restart the hub"
    }
}
