import Crypto

/// SHA-256 of an event's canonical body: the link of the chain.
public struct EventHash: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    /// The `prev` of every node's first event: 32 zero bytes.
    public static let genesis = EventHash(unchecked: [UInt8](repeating: 0, count: 32))

    /// The signature domain: `courtsync/event/v1` and a zero byte come before the hash.
    public static let signingDomain: [UInt8] = Array("courtsync/event/v1".utf8) + [0]

    init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    /// The hash of canonical body bytes.
    public init(ofCanonicalBody body: [UInt8]) { bytes = Array(SHA256.hash(data: body)) }

    /// Reads 64 lowercase hex digits.
    public init?(hex: String) {
        guard let b = Hex.decode(hex, count: 32) else { return nil }
        bytes = b
    }

    /// Reads 32 raw bytes.
    public init?(raw: [UInt8]) {
        guard raw.count == 32 else { return nil }
        bytes = raw
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }

    /// The exact bytes the node signs for an event: the domain, then the 32 hash bytes.
    public static func signingMessage(for hash: EventHash) -> [UInt8] { signingDomain + hash.bytes }
}
