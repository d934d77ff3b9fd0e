import Crypto
import Foundation
import TensorCore
import SwiftASN1

/// The console's Ed25519 key that signs every global model it sends (swift-crypto
/// `Curve25519.Signing`, RFC 8032); hospitals verify with the matching ``ModelVerifyingKey``.
///
/// Contract:
/// - The file form is PEM, PKCS#8 v1 as RFC 8410 writes an Ed25519 key (`-----BEGIN PRIVATE KEY-----`,
///   48 DER bytes: the fixed prefix `302e020100300506032b657004220420` and the 32-byte seed), the
///   form `openssl genpkey -algorithm ed25519` writes and Python's `cryptography` reads. Any other
///   content (another algorithm, PKCS#8 v2 with the public key, trailing bytes) is refused.
/// - Kept in `console/model-signing.key`, mode 0600 (see ``PartyCredentials``).
/// - ``signature(for:)`` signs the given bytes as they are; what is signed (the model's encoding
///   and the round it belongs to) is the protocol's choice.
/// - The raw key bytes are kept (swift-crypto's key types are not `Sendable`).
public struct ModelSigningKey: Sendable {
    /// The 32-byte private key (the RFC 8032 seed).
    private let seed: [UInt8]
    /// The public half, for the hospitals.
    public let verifyingKey: ModelVerifyingKey

    /// A fresh random key.
    public init() {
        self.init(Curve25519.Signing.PrivateKey())
    }

    init(_ key: Curve25519.Signing.PrivateKey) {
        seed = Array(key.rawRepresentation)
        verifyingKey = ModelVerifyingKey(key.publicKey)
    }

    /// Reads the PEM form; throws a ``ModelKeyError`` naming what is wrong.
    public init(pemRepresentation pem: String) throws(ModelKeyError) {
        let der = try ModelKeyError.der(of: pem, type: "PRIVATE KEY")
        guard der.count == Self.pkcs8Prefix.count + 32, der.starts(with: Self.pkcs8Prefix) else {
            throw ModelKeyError(reason: "not an Ed25519 private key in PKCS#8 (RFC 8410) form")
        }
        guard let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: der.suffix(32)) else {
            throw ModelKeyError(reason: "not a valid Ed25519 private key")
        }
        self.init(key)
    }

    /// The PEM form (PKCS#8, RFC 8410), with a final newline.
    public var pemRepresentation: String {
        PEMDocument(type: "PRIVATE KEY", derBytes: Self.pkcs8Prefix + seed).pemString + "\n"
    }

    /// The 64-byte Ed25519 signature of `message`.
    public func signature(for message: some DataProtocol) -> [UInt8] {
        // The seed was checked when the key was made, so this cannot fail.
        let key = try! Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        // swift-crypto's Ed25519 signing only fails if the system's randomness does.
        guard let signature = try? key.signature(for: message) else {
            fatalError("Ed25519 signing failed: the system's random generator is not available")
        }
        return Array(signature)
    }

    /// DER prefix of an Ed25519 PKCS#8 v1 private key (RFC 8410 §7): SEQUENCE { version 0,
    /// AlgorithmIdentifier { 1.3.101.112 }, OCTET STRING { OCTET STRING (32 bytes) } }.
    static let pkcs8Prefix: [UInt8] = [0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70,
                                       0x04, 0x22, 0x04, 0x20]
}

/// The public half of the console's ``ModelSigningKey``, given to every hospital to check that a
/// global model comes from the console unchanged.
///
/// Contract: the file form is PEM SubjectPublicKeyInfo as RFC 8410 writes an Ed25519 key
/// (`-----BEGIN PUBLIC KEY-----`, 44 DER bytes: the prefix `302a300506032b6570032100` and the
/// 32-byte key), as `openssl pkey -pubout` writes it; kept in `<hospital>/model-signing.pub`.
/// ``fingerprint`` (hex SHA-256 of the 32 raw bytes) names the key in logs.
public struct ModelVerifyingKey: Sendable, Hashable {
    /// The raw 32-byte public key.
    public let rawRepresentation: [UInt8]

    init(_ key: Curve25519.Signing.PublicKey) {
        rawRepresentation = Array(key.rawRepresentation)
    }

    /// Reads the PEM form; throws a ``ModelKeyError`` naming what is wrong.
    public init(pemRepresentation pem: String) throws(ModelKeyError) {
        let der = try ModelKeyError.der(of: pem, type: "PUBLIC KEY")
        guard der.count == Self.spkiPrefix.count + 32, der.starts(with: Self.spkiPrefix),
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: der.suffix(32)) else {
            throw ModelKeyError(reason: "not an Ed25519 public key in SubjectPublicKeyInfo (RFC 8410) form")
        }
        self.init(key)
    }

    /// The PEM form (SubjectPublicKeyInfo, RFC 8410), with a final newline.
    public var pemRepresentation: String {
        PEMDocument(type: "PUBLIC KEY", derBytes: Self.spkiPrefix + rawRepresentation).pemString + "\n"
    }

    /// Whether `signature` is the console's Ed25519 signature of `message`.
    public func isValidSignature(_ signature: some DataProtocol, for message: some DataProtocol) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation) else { return false }
        return key.isValidSignature(signature, for: message)
    }

    /// Hex SHA-256 of the raw public key.
    public var fingerprint: String {
        Hex.encode(SHA256.hash(data: rawRepresentation))
    }

    /// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4): SEQUENCE { AlgorithmIdentifier
    /// { 1.3.101.112 }, BIT STRING (0 unused bits, 32 bytes) }.
    static let spkiPrefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]
}

/// Why a model-signing key's PEM text could not be read.
public struct ModelKeyError: Error, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }

    /// The DER bytes of the single PEM block of `type` in `pem`.
    static func der(of pem: String, type: String) throws(ModelKeyError) -> [UInt8] {
        let document: PEMDocument
        do { document = try PEMDocument(pemString: pem) } catch {
            throw ModelKeyError(reason: "not a PEM document (expected -----BEGIN \(type)-----)")
        }
        guard document.discriminator == type else {
            throw ModelKeyError(reason: "a PEM \(document.discriminator), expected a PEM \(type)")
        }
        return document.derBytes
    }
}
