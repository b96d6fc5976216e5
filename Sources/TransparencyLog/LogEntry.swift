/// An entry of CourtSync's transparency log: what a leaf commits to (protocol §16.2).
///
/// An accepted event is `0x01 ‖ court (6 ASCII digits) ‖ seq (uint64 big-endian) ‖ event hash (32)`,
/// 47 bytes: hashes only, so the entries can be public while the events stay with the hub.
public struct LogEntry: Sendable, Equatable {
    public static let eventKind: UInt8 = 0x01
    public let court: String
    public let seq: Int64
    public let eventHash: [UInt8]

    public init(court: String, seq: Int64, eventHash: [UInt8]) {
        self.court = court
        self.seq = seq
        self.eventHash = eventHash
    }

    public var bytes: [UInt8] { Self.bytes(court: court, seq: seq, eventHash: eventHash) }

    /// The entry's bytes without making the entry: kind, court, seq (8 bytes, big-endian), hash.
    public static func bytes(court: String, seq: Int64, eventHash: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1 + court.utf8.count + 8 + eventHash.count)
        out.append(eventKind)
        out.append(contentsOf: court.utf8)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: UInt64(seq) >> UInt64(shift))) }
        out.append(contentsOf: eventHash)
        return out
    }

    public init(bytes: [UInt8]) throws(TransparencyError) {
        guard bytes.count == 47, bytes[0] == Self.eventKind, bytes[1..<7].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw TransparencyError("not a CourtSync event entry (47 bytes starting with 0x01 and a 6-digit court)")
        }
        var seq: UInt64 = 0
        for b in bytes[7..<15] { seq = seq << 8 | UInt64(b) }
        self.init(court: String(decoding: bytes[1..<7], as: UTF8.self), seq: Int64(seq), eventHash: Array(bytes[15..<47]))
    }

    public var leafHash: [UInt8] { MerkleTree.leafHash(bytes) }
}
