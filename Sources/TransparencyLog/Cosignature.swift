@preconcurrency import Crypto
import Foundation

/// A C2SP tlog-cosignature/v1 witness key (signature type 0x04): a witness signs, with a
/// timestamp, that it verified a checkpoint to be consistent with every one it cosigned before.
///
/// The signed message is `cosignature/v1\ntime <seconds>\n` followed by the checkpoint's note
/// text; the signature line is `— <name> base64(key id ‖ uint64 BE time ‖ Ed25519 signature)`,
/// with key id = first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key).
public struct CosignatureVerifier: Sendable, Equatable {
    public let name: String
    public let publicKey: [UInt8]

    public init(name: String, publicKey: [UInt8]) {
        self.name = name
        self.publicKey = publicKey
    }

    public var keyID: [UInt8] { Array(Array(SHA256.hash(data: Array(name.utf8) + [0x0A, 0x04] + publicKey)).prefix(4)) }

    /// `<name>+<key id>+<base64(0x04 ‖ public key)>`.
    public var encoded: String {
        "\(name)+\(keyID.map { String(format: "%02x", $0) }.joined())+\(Data([0x04] + publicKey).base64EncodedString())"
    }

    /// Reads `<name>+<key id>+<base64(0x04 ‖ public key)>`.
    public init(encoded: String) throws(TransparencyError) {
        let parts = encoded.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, NoteVerifier.isValidName(String(parts[0])), let raw = Data(base64Encoded: String(parts[2])), raw.count == 33, raw.first == 0x04 else {
            throw TransparencyError("'\(encoded)' is not a cosignature/v1 verifier key (name+keyid+base64 of 0x04 and 32 bytes): copy the key `courtsync witness init` printed")
        }
        self.init(name: String(parts[0]), publicKey: Array(raw.dropFirst()))
        guard keyID.map({ String(format: "%02x", $0) }).joined() == parts[1] else {
            throw TransparencyError("the witness key's id \(parts[1]) does not match its name and key: it was altered")
        }
    }

    static func message(body: String, time: UInt64) -> [UInt8] { Array("cosignature/v1\ntime \(time)\n\(body)".utf8) }

    /// The timestamp of a valid cosignature by this key in `line` over the checkpoint `body`, or nil.
    public func verify(line: Substring, body: String) -> UInt64? {
        guard line.hasPrefix("\u{2014} ") else { return nil }
        let fields = line.dropFirst(2).split(separator: " ")
        guard fields.count == 2, String(fields[0]) == name, let raw = Data(base64Encoded: String(fields[1])), raw.count == 76,
              Array(raw.prefix(4)) == keyID, let pk = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return nil }
        var time: UInt64 = 0
        for b in raw[raw.startIndex + 4..<raw.startIndex + 12] { time = time << 8 | UInt64(b) }
        return pk.isValidSignature(Array(raw.suffix(64)), for: Self.message(body: body, time: time)) ? time : nil
    }

    /// The witness name and signed time of a cosignature line, read without verifying it (for
    /// lines the hub verified when it took them).
    public static func parse(line: Substring) -> (name: String, time: UInt64)? {
        guard line.hasPrefix("\u{2014} ") else { return nil }
        let fields = line.dropFirst(2).split(separator: " ")
        guard fields.count == 2, let raw = Data(base64Encoded: String(fields[1])), raw.count == 76 else { return nil }
        var time: UInt64 = 0
        for b in raw[raw.startIndex + 4..<raw.startIndex + 12] { time = time << 8 | UInt64(b) }
        return (String(fields[0]), time)
    }

    /// The valid cosignature lines of this key in a signed note whose text is `body`.
    public func cosignatures(in note: String, body: String) -> [UInt64] {
        note.split(separator: "\n").compactMap { verify(line: $0, body: body) }
    }
}

/// A witness's signing side.
public struct Cosigner: Sendable {
    public let verifier: CosignatureVerifier
    let key: Curve25519.Signing.PrivateKey

    public init(name: String, seed: [UInt8]) throws(TransparencyError) {
        guard NoteVerifier.isValidName(name), let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else {
            throw TransparencyError("a witness needs a key name without spaces or '+' and a 32-byte Ed25519 seed")
        }
        self.key = key
        verifier = CosignatureVerifier(name: name, publicKey: Array(key.publicKey.rawRepresentation))
    }

    /// The cosignature line (without its newline) over the checkpoint note text `body` at `time`.
    public func cosign(body: String, time: UInt64) -> String {
        let sig = (try? key.signature(for: CosignatureVerifier.message(body: body, time: time))).map(Array.init) ?? []
        var t: [UInt8] = []
        for shift in stride(from: 56, through: 0, by: -8) { t.append(UInt8(truncatingIfNeeded: time >> UInt64(shift))) }
        return "\u{2014} \(verifier.name) " + Data(verifier.keyID + t + sig).base64EncodedString()
    }
}

extension CosignatureVerifier {
    /// The witness name of a court's node: `courtsync/witness/<court>`.
    public static func nodeWitnessName(court: String) -> String { "courtsync/witness/\(court)" }
}
