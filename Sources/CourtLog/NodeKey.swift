@preconcurrency import Crypto

/// A court node's Ed25519 signing key. The private part never leaves the node directory.
public struct NodeKey: Sendable {
    let privateKey: Curve25519.Signing.PrivateKey

    /// A fresh random key.
    public init() { privateKey = Curve25519.Signing.PrivateKey() }

    /// The key from its 32-byte seed.
    public init(seed: [UInt8]) throws(EventError) {
        guard seed.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else {
            throw EventError("a node key seed is 32 bytes; the key file is damaged: restore it from the node's backup")
        }
        privateKey = key
    }

    /// The 32-byte seed, for the key file.
    public var seed: [UInt8] { Array(privateKey.rawRepresentation) }

    /// The matching public key.
    public var publicKey: NodePublicKey { NodePublicKey(key: privateKey.publicKey) }

    /// Signs a domain-separated message (sync documents; events use ``sign(eventHash:)``).
    public func sign(message: [UInt8]) -> [UInt8] {
        Array(try! privateKey.signature(for: message))
    }

    /// Signs an event hash under the protocol's domain separation.
    public func sign(eventHash: EventHash) -> [UInt8] {
        // swift-crypto's Ed25519 cannot fail for a valid key and a small message.
        Array(try! privateKey.signature(for: EventHash.signingMessage(for: eventHash)))
    }
}

/// A node's Ed25519 public key, written as 64 lowercase hex digits.
public struct NodePublicKey: Sendable, Hashable, CustomStringConvertible {
    let key: Curve25519.Signing.PublicKey
    public let raw: [UInt8]

    init(key: Curve25519.Signing.PublicKey) { self.key = key; self.raw = Array(key.rawRepresentation) }

    /// Reads 64 hex digits.
    public init(hex: String) throws(EventError) {
        guard let raw = Hex.decode(hex.lowercased(), count: 32),
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
            throw EventError("'\(hex)' is not an Ed25519 public key: expected 64 hex digits as printed by `courtsync node status`")
        }
        self.key = key
        self.raw = raw
    }

    public var hex: String { Hex.encode(raw) }
    public var description: String { hex }

    /// For people comparing keys by eye: the first 16 hex digits of SHA-256(key), grouped by 4.
    public var fingerprint: String {
        let h = Hex.encode(Array(SHA256.hash(data: raw))).prefix(16)
        return stride(from: 0, to: 16, by: 4).map { i in
            String(h[h.index(h.startIndex, offsetBy: i)..<h.index(h.startIndex, offsetBy: i + 4)])
        }.joined(separator: "-")
    }

    /// Whether `signature` is this key's signature of `eventHash`.
    public func verifies(signature: [UInt8], of eventHash: EventHash) -> Bool {
        signature.count == 64 && key.isValidSignature(signature, for: EventHash.signingMessage(for: eventHash))
    }

    /// Whether `signature` is this key's signature of a domain-separated message.
    public func verifies(signature: [UInt8], message: [UInt8]) -> Bool {
        signature.count == 64 && key.isValidSignature(signature, for: message)
    }

    public static func == (a: NodePublicKey, b: NodePublicKey) -> Bool { a.raw == b.raw }
    public func hash(into hasher: inout Hasher) { hasher.combine(raw) }
}
