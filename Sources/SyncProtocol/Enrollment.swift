import CanonicalJSON
import CourtLog
import Crypto
import Foundation

/// What a node sends the hub, carried by hand: who it is, its event-signing key and its TLS
/// public key, signed by both keys (proof that it holds them). `protocol/README.md`, "Sync documents".
public struct EnrollmentRequest: Sendable {
    public static let domain = "courtsync/enroll-request/v1"
    public let court: String
    public let nodePublicKey: NodePublicKey
    public let tlsPublicKeyPEM: String
    public let document: SignedDocument
    public let tlsProof: [UInt8]

    /// Makes and signs a request.
    public static func make(court: String, courtName: String, key: NodeKey, tlsKey: P256.Signing.PrivateKey, now: String) throws -> EnrollmentRequest {
        let body: JSONValue = [
            "format": "courtsync-enroll-request/1", "court": .string(court), "court_name": .string(courtName),
            "node_public_key": .string(key.publicKey.hex), "tls_public_key_pem": .string(tlsKey.publicKey.pemRepresentation),
            "created_at": .string(now),
        ]
        let doc = SignedDocument(domain: domain, body: body, key: key)
        let proof = Array(try tlsKey.signature(for: SignedDocument.message(domain: domain, body: body)).derRepresentation)
        return try EnrollmentRequest(json: doc.json.with("tls_proof", .string(Hex.encode(proof))))
    }

    /// Reads a request and checks both signatures.
    public init(json: JSONValue) throws(EventError) {
        let doc = try SignedDocument(json: json, domain: Self.domain)
        guard let court = doc.body["court"]?.stringValue, let keyHex = doc.body["node_public_key"]?.stringValue,
              let pem = doc.body["tls_public_key_pem"]?.stringValue, let proofHex = json["tls_proof"]?.stringValue,
              let proof = Hex.decode(proofHex, count: proofHex.utf8.count / 2) else {
            throw EventError("enrollment request is missing court, node_public_key, tls_public_key_pem or tls_proof: make it again with `courtsync node enroll-request`")
        }
        let key = try NodePublicKey(hex: keyHex)
        guard doc.isSigned(by: key) else {
            throw EventError("enrollment request is not signed by the node key it names: it was altered; make it again")
        }
        guard let tlsKey = try? P256.Signing.PublicKey(pemRepresentation: pem),
              let signature = try? P256.Signing.ECDSASignature(derRepresentation: proof),
              tlsKey.isValidSignature(signature, for: SignedDocument.message(domain: Self.domain, body: doc.body)) else {
            throw EventError("enrollment request's TLS key proof does not verify: it was altered; make it again")
        }
        self.court = court
        self.nodePublicKey = key
        self.tlsPublicKeyPEM = pem
        self.document = doc
        self.tlsProof = proof
    }

    public var json: JSONValue { document.json.with("tls_proof", .string(Hex.encode(tlsProof))) }
}

/// What the hub gives an enrolled node, carried back by hand: where the hub is, the CA that
/// signs it, the node's client certificate, and the intermediate court's event key.
public struct EnrollmentBundle: Sendable {
    public let court: String
    public let hubURL: String
    public let caPEM: String
    public let clientCertificatePEM: String
    public let intermediatePublicKey: NodePublicKey
    /// The signed-note verifier key of the hub's checkpoints (protocol §16.3); absent in
    /// bundles made before the transparency log, whose nodes cannot check the hub's tree.
    public let checkpointVerifierKey: String?

    public init(court: String, hubURL: String, caPEM: String, clientCertificatePEM: String, intermediatePublicKey: NodePublicKey, checkpointVerifierKey: String? = nil) {
        self.court = court
        self.hubURL = hubURL
        self.caPEM = caPEM
        self.clientCertificatePEM = clientCertificatePEM
        self.intermediatePublicKey = intermediatePublicKey
        self.checkpointVerifierKey = checkpointVerifierKey
    }

    public init(json: JSONValue) throws(EventError) {
        guard json["format"]?.stringValue == "courtsync-bundle/1", let court = json["court"]?.stringValue,
              let url = json["hub_url"]?.stringValue, let ca = json["ca_pem"]?.stringValue,
              let cert = json["client_certificate_pem"]?.stringValue, let key = json["intermediate_public_key"]?.stringValue else {
            throw EventError("not a CourtSync bundle (format courtsync-bundle/1 with court, hub_url, ca_pem, client_certificate_pem, intermediate_public_key): use the file `courtsync hub enroll` wrote")
        }
        self.init(court: court, hubURL: url, caPEM: ca, clientCertificatePEM: cert, intermediatePublicKey: try NodePublicKey(hex: key),
                  checkpointVerifierKey: json["checkpoint_verifier_key"]?.stringValue)
    }

    public var json: JSONValue {
        var o: JSONValue = ["format": "courtsync-bundle/1", "court": .string(court), "hub_url": .string(hubURL), "ca_pem": .string(caPEM),
                            "client_certificate_pem": .string(clientCertificatePEM), "intermediate_public_key": .string(intermediatePublicKey.hex)]
        if let checkpointVerifierKey { o = o.with("checkpoint_verifier_key", .string(checkpointVerifierKey)) }
        return o
    }
}

/// The hub's signed acknowledgement of a push: which range it now holds and its head.
public struct PushReceipt: Sendable {
    public static let domain = "courtsync/receipt/v1"
    public let court: String
    public let fromSeq: Int64
    public let toSeq: Int64
    public let stored: Int64
    public let headHash: String
    public let receivedAt: Int64
    /// The signed checkpoint that includes the batch (protocol §16.5), its last event's leaf
    /// index and the inclusion proof of that leaf in the checkpoint's tree.
    public let checkpoint: String?
    public let leafIndex: Int64?
    public let inclusion: [[UInt8]]?
    public let document: SignedDocument

    /// The tree evidence a receipt carries.
    public struct Proof: Sendable {
        public let checkpoint: String
        public let leafIndex: Int64
        public let inclusion: [[UInt8]]
        public init(checkpoint: String, leafIndex: Int64, inclusion: [[UInt8]]) {
            self.checkpoint = checkpoint
            self.leafIndex = leafIndex
            self.inclusion = inclusion
        }
    }

    public static func make(court: String, fromSeq: Int64, toSeq: Int64, stored: Int64, headHash: String, receivedAt: Int64,
                            proof: Proof? = nil, key: NodeKey) -> PushReceipt {
        var body: JSONValue = ["court": .string(court), "from_seq": .int(fromSeq), "to_seq": .int(toSeq), "stored": .int(stored),
                               "head_hash": .string(headHash), "received_at": .int(receivedAt)]
        if let proof {
            body = body.with("checkpoint", .string(proof.checkpoint)).with("leaf_index", .int(proof.leafIndex))
                .with("inclusion", .array(proof.inclusion.map { .string(Hex.encode($0)) }))
        }
        // The body is well-formed by construction.
        return try! PushReceipt(json: SignedDocument(domain: domain, body: body, key: key).json)
    }

    public init(json: JSONValue) throws(EventError) {
        let doc = try SignedDocument(json: json, domain: Self.domain)
        guard let court = doc.body["court"]?.stringValue, let from = doc.body["from_seq"]?.intValue, let to = doc.body["to_seq"]?.intValue,
              let stored = doc.body["stored"]?.intValue, let head = doc.body["head_hash"]?.stringValue, let at = doc.body["received_at"]?.intValue else {
            throw EventError("not a push receipt: expected court, from_seq, to_seq, stored, head_hash, received_at")
        }
        self.court = court
        self.fromSeq = from
        self.toSeq = to
        self.stored = stored
        self.headHash = head
        self.receivedAt = at
        self.checkpoint = doc.body["checkpoint"]?.stringValue
        self.leafIndex = doc.body["leaf_index"]?.intValue
        if case .array(let items)? = doc.body["inclusion"] {
            var hashes: [[UInt8]] = []
            for item in items {
                guard let h = item.stringValue.flatMap({ Hex.decode($0, count: 32) }) else {
                    throw EventError("not a push receipt: an inclusion proof hash is not 64 hex digits")
                }
                hashes.append(h)
            }
            self.inclusion = hashes
        } else {
            self.inclusion = nil
        }
        self.document = doc
    }
}

extension JSONValue {
    /// This object with one more member.
    public func with(_ key: String, _ value: JSONValue) -> JSONValue {
        guard case .object(var o) = self else { return self }
        o[key] = value
        return .object(o)
    }
}
