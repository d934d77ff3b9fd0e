import Crypto
import Foundation
import TensorCore
import SwiftASN1
import X509

/// The federation's certificate authority: a self-signed P-256 certificate and its key, which
/// issue the certificate of every party (swift-certificates and swift-crypto).
///
/// Contract:
/// - The CA certificate: subject `CN=fedtop federation CA <8 hex digits>, O=fedtop` (the digits are
///   random, so two federations' CAs are told apart by name as well as by key), basicConstraints
///   critical CA with path length 0 (it signs only leaves), keyUsage critical keyCertSign + cRLSign,
///   a subject key identifier.
/// - A party's certificate (``issue(for:key:hostNames:)``): subject `CN=<party name>`, signed with
///   ECDSA P-256 SHA-256, basicConstraints critical not-a-CA, keyUsage critical digitalSignature,
///   extendedKeyUsage serverAuth (a hospital) or clientAuth (the console), authority and subject key
///   identifiers; a hospital's also has subject alternative names (see ``hospitalNames(_:extra:)``).
/// - Every certificate is valid from 5 minutes before its making (clocks of two machines differ a
///   little) to `validityDays` days after; a party's never outlives the CA's.
/// - Serial numbers are 20 random bytes.
public struct FederationCA: Sendable {
    /// The CA's certificate (`ca.pem` in every folder).
    public let certificate: Certificate
    /// The CA's P-256 private key, raw (swift-crypto's key types are not `Sendable`).
    private let keyBytes: Data

    /// How long before "now" certificates become valid.
    public static let clockSkewAllowance: TimeInterval = 300

    /// Makes a new CA valid from `now` (less the skew allowance) for `validityDays` days.
    public static func create(validityDays: Int, now: Date = Date()) throws(ProvisioningError) -> FederationCA {
        let key = P256.Signing.PrivateKey()
        let suffix = Hex.encode((0..<4).map { _ in UInt8.random(in: 0...255) })
        do {
            let name = try DistinguishedName {
                CommonName("fedtop federation CA \(suffix)")
                OrganizationName("fedtop")
            }
            let publicKey = Certificate.PublicKey(key.publicKey)
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
            }
            let certificate = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
                notValidBefore: now - clockSkewAllowance, notValidAfter: now + Double(validityDays) * 86_400,
                issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions, issuerPrivateKey: Certificate.PrivateKey(key))
            return FederationCA(certificate: certificate, keyBytes: key.rawRepresentation)
        } catch {
            throw .certificate("the CA: \(error)")
        }
    }

    /// A CA from its certificate and P-256 key (PEM, PKCS#8 or SEC 1), e.g. to issue more parties later.
    /// - Throws: ``ProvisioningError/certificate(_:)`` if either cannot be read or they do not belong together.
    public init(certificatePEM: String, privateKeyPEM: String) throws(ProvisioningError) {
        do {
            let certificate = try Certificate(pemEncoded: certificatePEM)
            let key = try P256.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
            guard Certificate.PublicKey(key.publicKey) == certificate.publicKey else {
                throw ProvisioningError.certificate("the CA key does not belong to the CA certificate")
            }
            self.init(certificate: certificate, keyBytes: key.rawRepresentation)
        } catch let error as ProvisioningError {
            throw error
        } catch {
            throw .certificate("the CA: \(error)")
        }
    }

    private init(certificate: Certificate, keyBytes: Data) {
        self.certificate = certificate
        self.keyBytes = keyBytes
    }

    /// The CA's private key in PEM (PKCS#8), for `ca/ca.key`.
    public var privateKeyPEM: String {
        // The bytes came from a valid key.
        try! P256.Signing.PrivateKey(rawRepresentation: keyBytes).pemRepresentation + "\n"
    }

    /// The subject alternative names of hospital `name`: DNS `name`, DNS `localhost`, IP 127.0.0.1,
    /// IP ::1, then `extra` (each once, in order).
    public static func hospitalNames(_ name: String, extra: [HostName]) -> [HostName] {
        var names: [HostName] = [
            .dns(name), .dns("localhost"),
            .ipAddress(bytes: [127, 0, 0, 1], text: "127.0.0.1"),
            .ipAddress(bytes: [UInt8](repeating: 0, count: 15) + [1], text: "::1"),
        ]
        for host in extra where !names.contains(where: { same($0, host) }) { names.append(host) }
        return names
    }

    /// Issues the certificate of `party` for the P-256 public key `key`, valid until the CA expires;
    /// a hospital's lists `hostNames` as subject alternative names (see ``hospitalNames(_:extra:)``),
    /// the console's has none.
    public func issue(for party: FederationParty, key: P256.Signing.PublicKey, hostNames: [HostName] = [],
                      now: Date = Date()) throws(ProvisioningError) -> Certificate {
        do {
            let caKey = try P256.Signing.PrivateKey(rawRepresentation: keyBytes)
            let publicKey = Certificate.PublicKey(key)
            let usage: ExtendedKeyUsage.Usage
            switch party {
            case .console: usage = .clientAuth
            case .hospital: usage = .serverAuth
            }
            let caKeyIdentifier = try certificate.extensions.subjectKeyIdentifier?.keyIdentifier
                ?? SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier
            let alternativeNames = hostNames.map { host -> GeneralName in
                switch host {
                case let .ipAddress(bytes, _): .ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes)))
                case let .dns(name): .dnsName(name)
                }
            }
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([usage])
                SubjectKeyIdentifier(hash: publicKey)
                AuthorityKeyIdentifier(keyIdentifier: caKeyIdentifier)
                if !alternativeNames.isEmpty {
                    SubjectAlternativeNames(alternativeNames)
                }
            }
            let subject = try DistinguishedName { CommonName(party.name) }
            return try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
                notValidBefore: now - Self.clockSkewAllowance, notValidAfter: certificate.notValidAfter,
                issuer: certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions, issuerPrivateKey: Certificate.PrivateKey(caKey))
        } catch let error as ProvisioningError {
            throw error
        } catch {
            throw .certificate("\(party): \(error)")
        }
    }

    private static func same(_ a: HostName, _ b: HostName) -> Bool {
        switch (a, b) {
        case let (.ipAddress(x, _), .ipAddress(y, _)): x == y
        case let (.dns(x), .dns(y)): x.lowercased() == y.lowercased()
        default: false
        }
    }
}
