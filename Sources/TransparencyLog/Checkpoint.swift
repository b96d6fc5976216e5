@preconcurrency import Crypto
import Foundation

/// A C2SP tlog-checkpoint: origin, tree size and root hash, as the body of a signed note.
public struct Checkpoint: Sendable, Equatable {
    public let origin: String
    public let size: Int64
    public let root: [UInt8]

    public init(origin: String, size: Int64, root: [UInt8]) {
        self.origin = origin
        self.size = size
        self.root = root
    }

    /// The note text: `origin\nsize\nbase64(root)\n`.
    public var body: String { "\(origin)\n\(size)\n\(Data(root).base64EncodedString())\n" }

    /// Parses a checkpoint body (extension lines after the third are allowed and ignored).
    public init(body: String) throws(TransparencyError) {
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        guard body.hasSuffix("\n"), lines.count >= 4, !lines[0].isEmpty,
              let size = Int64(lines[1]), size >= 0, String(size) == lines[1],
              let root = Data(base64Encoded: String(lines[2])), root.count == 32 else {
            throw TransparencyError("not a tlog-checkpoint: expected origin, tree size and base64 root hash on three lines")
        }
        self.init(origin: String(lines[0]), size: size, root: Array(root))
    }
}

/// An Ed25519 signed-note key (C2SP signed-note, signature type 0x01).
public struct NoteSigner: Sendable {
    public let name: String
    let key: Curve25519.Signing.PrivateKey

    public init(name: String, seed: [UInt8]) throws(TransparencyError) {
        guard NoteVerifier.isValidName(name) else { throw TransparencyError("'\(name)' is not a signed-note key name (non-empty, no spaces or '+')") }
        do { key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed) } catch {
            throw TransparencyError("the checkpoint key is not a 32-byte Ed25519 seed: restore it from the hub's backup")
        }
        self.name = name
    }

    public var verifier: NoteVerifier { NoteVerifier(name: name, publicKey: Array(key.publicKey.rawRepresentation)) }

    /// The signed note: the text, a blank line, and one signature line.
    public func sign(_ text: String) -> String {
        let sig = (try? key.signature(for: Array(text.utf8))).map(Array.init) ?? []
        return text + "\n" + "\u{2014} \(name) " + Data(verifier.keyID + sig).base64EncodedString() + "\n"
    }
}

/// A signed-note verifier key: `<name>+<hex key id>+<base64(0x01 ‖ public key)>`.
public struct NoteVerifier: Sendable, Equatable {
    public let name: String
    public let publicKey: [UInt8]

    public init(name: String, publicKey: [UInt8]) {
        self.name = name
        self.publicKey = publicKey
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.unicodeScalars.contains { $0 == "+" || $0 == " " || $0 == "\n" || $0.properties.isWhitespace }
    }

    /// First four bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key).
    public var keyID: [UInt8] {
        Array(Array(SHA256.hash(data: Array(name.utf8) + [0x0A, 0x01] + publicKey)).prefix(4))
    }

    public var encoded: String {
        "\(name)+\(keyID.map { String(format: "%02x", $0) }.joined())+\(Data([0x01] + publicKey).base64EncodedString())"
    }

    public init(encoded: String) throws(TransparencyError) {
        let parts = encoded.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let raw = Data(base64Encoded: String(parts[2])), raw.count == 33, raw.first == 0x01 else {
            throw TransparencyError("'\(encoded)' is not an Ed25519 signed-note verifier key (name+keyid+base64 of 0x01 and 32 bytes)")
        }
        self.init(name: String(parts[0]), publicKey: Array(raw.dropFirst()))
        guard keyID.map({ String(format: "%02x", $0) }).joined() == parts[1] else {
            throw TransparencyError("the verifier key's id \(parts[1]) does not match its name and key: it was altered")
        }
    }

    /// The note's text if it carries a valid signature by this key; throws otherwise.
    public func verify(note: String) throws(TransparencyError) -> String {
        guard let split = note.range(of: "\n\n", options: .backwards) else {
            throw TransparencyError("not a signed note: no blank line between the text and the signatures")
        }
        let text = String(note[..<split.lowerBound]) + "\n"
        let signatures = note[split.upperBound...].split(separator: "\n")
        guard note.hasSuffix("\n"), !signatures.isEmpty else { throw TransparencyError("not a signed note: no signature lines") }
        guard let pk = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { throw TransparencyError("the verifier key is not an Ed25519 key") }
        for line in signatures {
            guard line.hasPrefix("\u{2014} ") else { throw TransparencyError("not a signed note: a signature line does not start with an em dash") }
            let fields = line.dropFirst(2).split(separator: " ")
            guard fields.count == 2, String(fields[0]) == name, let raw = Data(base64Encoded: String(fields[1])), raw.count == 68,
                  Array(raw.prefix(4)) == keyID else { continue }
            if pk.isValidSignature(Array(raw.dropFirst(4)), for: Array(text.utf8)) { return text }
            throw TransparencyError("the signature of \(name) on this checkpoint does not verify: it was altered or forged")
        }
        throw TransparencyError("the checkpoint carries no signature by \(name) (key id \(keyID.map { String(format: "%02x", $0) }.joined()))")
    }

    /// A checkpoint signed by this key, of the given origin (the key's name when nil).
    public func verifyCheckpoint(_ note: String, origin: String? = nil) throws(TransparencyError) -> Checkpoint {
        let checkpoint = try Checkpoint(body: try verify(note: note))
        let expected = origin ?? name
        guard checkpoint.origin == expected else {
            throw TransparencyError("the checkpoint is of log '\(checkpoint.origin)', not '\(expected)'")
        }
        return checkpoint
    }
}

/// A fault in a checkpoint, proof or tile, said plainly.
public struct TransparencyError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
