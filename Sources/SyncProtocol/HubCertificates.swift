import Crypto
import Foundation
import SwiftASN1
import X509

/// The hub's own certificate authority: made at `hub init`, it signs the hub's server
/// certificate and each enrolled node's client certificate (CN = the court code).
public enum HubCertificates {
    public struct Issued: Sendable {
        public let certificatePEM: String
        public let privateKeyPEM: String?

        public init(certificatePEM: String, privateKeyPEM: String?) {
            self.certificatePEM = certificatePEM
            self.privateKeyPEM = privateKeyPEM
        }
    }

    static let organization = "CourtSync 焦作市中级人民法院"

    /// A new CA, valid for ten years.
    public static func makeAuthority(now: Date = Date()) throws -> Issued {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            CommonName("CourtSync hub CA 焦作")
            OrganizationName(organization)
        }
        let cert = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: now - 3600, notValidAfter: now + 10 * 365 * 86400,
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: .init(key.publicKey))
            },
            issuerPrivateKey: .init(key))
        return Issued(certificatePEM: try cert.serializeAsPEM().pemString, privateKeyPEM: key.pemRepresentation)
    }

    /// The hub's server certificate for the given DNS names and IP addresses, valid two years.
    public static func issueServer(authority: Issued, hosts: [String], ips: [String], now: Date = Date()) throws -> Issued {
        let key = P256.Signing.PrivateKey()
        var names: [GeneralName] = hosts.map { .dnsName($0) }
        for ip in ips {
            guard let bytes = ipBytes(ip) else { throw CertificateError("'\(ip)' is not an IPv4 or IPv6 address: give --ip like 127.0.0.1") }
            names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes))))
        }
        let cert = try issue(authority: authority, subject: try DistinguishedName {
            CommonName(hosts.first ?? ips.first ?? "courtsync-hub")
            OrganizationName(organization)
        }, publicKey: .init(key.publicKey), usage: .serverAuth, altNames: names, now: now, days: 730)
        return Issued(certificatePEM: cert, privateKeyPEM: key.pemRepresentation)
    }

    /// A node's client certificate for its own TLS key: CN is the court code, OU "node".
    public static func issueClient(authority: Issued, court: String, role: String, publicKeyPEM: String, now: Date = Date()) throws -> String {
        let publicKey = try P256.Signing.PublicKey(pemRepresentation: publicKeyPEM)
        return try issue(authority: authority, subject: try DistinguishedName {
            CommonName(court)
            OrganizationalUnitName(role)
            OrganizationName(organization)
        }, publicKey: .init(publicKey), usage: .clientAuth, altNames: [], now: now, days: 730)
    }

    static func issue(authority: Issued, subject: DistinguishedName, publicKey: Certificate.PublicKey,
                      usage: ExtendedKeyUsage.Usage, altNames: [GeneralName], now: Date, days: Int) throws -> String {
        let caCert = try Certificate(pemEncoded: authority.certificatePEM)
        guard let caKeyPEM = authority.privateKeyPEM else { throw CertificateError("the hub CA's private key is missing") }
        let caKey = try P256.Signing.PrivateKey(pemRepresentation: caKeyPEM)
        let cert = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: publicKey,
            notValidBefore: now - 3600, notValidAfter: now + Double(days) * 86400,
            issuer: caCert.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([usage])
                if !altNames.isEmpty { SubjectAlternativeNames(altNames) }
            },
            issuerPrivateKey: .init(caKey))
        return try cert.serializeAsPEM().pemString
    }

    /// The common name (a court code for node certificates) and serial of a certificate.
    public static func identity(ofDER der: [UInt8]) throws -> (commonName: String, serial: String) {
        let cert = try Certificate(derEncoded: der)
        var cn = ""
        for rdn in cert.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                cn = String(describing: attribute.value)
            }
        }
        return (cn, String(describing: cert.serialNumber))
    }

    /// The serial of a PEM certificate, as `identity` writes it.
    public static func serial(ofPEM pem: String) throws -> String {
        String(describing: try Certificate(pemEncoded: pem).serialNumber)
    }

    static func ipBytes(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4 {
            let bytes = parts.compactMap { UInt8($0) }
            return bytes.count == 4 ? bytes : nil
        }
        if text == "::1" { return [UInt8](repeating: 0, count: 15) + [1] }
        return nil
    }
}

/// A certificate that could not be made or read, said plainly.
public struct CertificateError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
