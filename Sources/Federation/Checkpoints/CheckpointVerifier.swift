import Crypto
import TensorCore

/// The public half of a run's checkpoint key (Ed25519, RFC 8032): it verifies checkpoint signatures
/// without the private key, for whoever only reads a run's model (`fedtop serve`, an auditor).
///
/// Contract: holds a raw 32-byte public key that parses as an Ed25519 point; ``fingerprint`` is the
/// hex SHA-256 of those bytes, the name signature files give the key (see ``CheckpointSignature``).
/// ``load(from:)`` refuses a missing, unreadable or malformed key file with a ``CheckpointError``
/// naming it. A verifier proves only that the key's holder signed: which key to trust is the
/// caller's decision (a run folder's own `signing.pub` proves nothing to someone who cannot vouch
/// for the folder).
public struct CheckpointVerifier: Sendable, Equatable {
    /// The raw 32-byte public key.
    public let publicKey: [UInt8]
    /// Hex SHA-256 of ``publicKey``.
    public let fingerprint: String

    /// A verifier for a raw Ed25519 public key, or nil if the bytes are not one.
    public init?(publicKey: [UInt8]) {
        guard publicKey.count == 32, (try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey)) != nil else { return nil }
        self.publicKey = publicKey
        fingerprint = Hex.encode(SHA256.hash(data: publicKey))
    }

    /// Loads a raw 32-byte public key file (a run's `signing.pub`).
    /// - Throws: ``CheckpointError/verifyingKeyMissing(path:)``,
    ///   ``CheckpointError/verifyingKeyMalformed(path:byteCount:)`` or
    ///   ``CheckpointError/io(path:operation:reason:)``.
    public static func load(from path: String) throws(CheckpointError) -> CheckpointVerifier {
        guard POSIXFile.exists(path) else { throw .verifyingKeyMissing(path: path) }
        let bytes = try CheckpointError.onFile(try POSIXFile.readAll(path))
        guard let verifier = CheckpointVerifier(publicKey: bytes) else {
            throw .verifyingKeyMalformed(path: path, byteCount: bytes.count)
        }
        return verifier
    }

    /// Whether `signature` is this key's Ed25519 signature of the 32-byte `digest`.
    func isValidSignature(_ signature: [UInt8], ofDigest digest: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
        return key.isValidSignature(signature, for: digest)
    }
}
