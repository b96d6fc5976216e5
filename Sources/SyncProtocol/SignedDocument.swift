import CanonicalJSON
import CourtLog
import Crypto

/// A small JSON document signed with an Ed25519 node key under its own domain: enrollment
/// requests (signed by the node) and receipts (signed by the hub's 410800 key).
///
/// The signature covers SHA-256 of the canonical JSON of `body`, after the domain and a zero
/// byte, exactly as event signatures do (protocol/README.md, "Sync documents").
public struct SignedDocument: Sendable, Equatable {
    public let domain: String
    public let body: JSONValue
    public let signer: String
    public let signature: [UInt8]

    public static func message(domain: String, body: JSONValue) -> [UInt8] {
        Array(domain.utf8) + [0] + Array(SHA256.hash(data: CanonicalEncoder.encode(body)))
    }

    public init(domain: String, body: JSONValue, key: NodeKey) {
        self.domain = domain
        self.body = body
        self.signer = key.publicKey.hex
        self.signature = key.sign(message: Self.message(domain: domain, body: body))
    }

    public init(json: JSONValue, domain: String) throws(EventError) {
        guard json["domain"]?.stringValue == domain, let body = json["body"], let signer = json["signer"]?.stringValue,
              let sigHex = json["signature"]?.stringValue, let sig = Hex.decode(sigHex, count: 64) else {
            throw EventError("not a \(domain) document: expected domain, body, signer and signature")
        }
        self.domain = domain
        self.body = body
        self.signer = signer
        self.signature = sig
    }

    /// Whether the signature is `key`'s.
    public func isSigned(by key: NodePublicKey) -> Bool {
        key.hex == signer && key.verifies(signature: signature, message: Self.message(domain: domain, body: body))
    }

    public var json: JSONValue {
        ["domain": .string(domain), "body": body, "signer": .string(signer), "signature": .string(Hex.encode(signature))]
    }
}
