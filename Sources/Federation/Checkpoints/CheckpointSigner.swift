#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import Foundation
import TensorCore

/// The Ed25519 key a run signs its checkpoints with (swift-crypto `Curve25519.Signing`).
///
/// Contract:
/// - Key files are raw bytes: `signing.key` holds the 32-byte private key (the RFC 8032 seed,
///   `rawRepresentation`), mode 0600; `signing.pub` holds the 32-byte public key, mode 0644, for
///   anyone who verifies checkpoints without the private key. No PEM, no passphrase.
/// - The private key never lies beside the checkpoints it signs: ``create(keyDirectory:runDirectory:)``
///   writes it to a key directory outside the run (the public key goes to both), and
///   ``load(keyDirectory:runDirectory:)`` refuses a run whose `signing.pub` is not the key's own, so
///   a run folder whose model was edited and re-signed with another key is refused on resume.
/// - ``create(inRunDirectory:)`` makes a fresh key for a new run and never replaces an existing
///   one; ``load(from:)`` (and ``load(runDirectory:)`` on resume) refuses a missing, unreadable,
///   wrongly sized or group/world-readable key with a ``CheckpointError`` naming the file, so a
///   resumed run never writes unsigned or differently signed checkpoints.
/// - What is signed is the 32-byte SHA-256 digest of a checkpoint file's bytes (see
///   ``CheckpointStore``); ``fingerprint`` is the hex SHA-256 of the raw public key.
public struct CheckpointSigner: Sendable {
    /// The private key's file name in a run directory.
    public static let privateKeyFileName = "signing.key"
    /// The public key's file name in a run directory.
    public static let publicKeyFileName = "signing.pub"

    /// The raw private key (swift-crypto's key types are not `Sendable`, so the bytes are kept).
    private let privateKeyBytes: [UInt8]
    /// The raw 32-byte public key.
    public let publicKey: [UInt8]
    /// Hex SHA-256 of ``publicKey``: how signature files name the key that made them.
    public let fingerprint: String

    /// A signer with this private key.
    public init(privateKey: Curve25519.Signing.PrivateKey) {
        privateKeyBytes = Array(privateKey.rawRepresentation)
        publicKey = Array(privateKey.publicKey.rawRepresentation)
        fingerprint = Hex.encode(SHA256.hash(data: publicKey))
    }

    /// Loads the raw 32-byte private key at `path`.
    /// - Throws: ``CheckpointError/signingKeyMissing(path:)``,
    ///   ``CheckpointError/signingKeyUnreadable(path:reason:)``,
    ///   ``CheckpointError/signingKeyMalformed(path:byteCount:)`` or
    ///   ``CheckpointError/signingKeyExposed(path:mode:)`` (group or others may read it).
    public static func load(from path: String) throws(CheckpointError) -> CheckpointSigner {
        guard POSIXFile.exists(path) else { throw .signingKeyMissing(path: path) }
        let bytes: [UInt8]
        do { bytes = try CheckpointError.onFile(try POSIXFile.readAll(path)) } catch {
            if case let .io(_, _, reason) = error { throw .signingKeyUnreadable(path: path, reason: reason) }
            throw error
        }
        if let mode = POSIXFile.mode(of: path), mode & 0o077 != 0 {
            throw .signingKeyExposed(path: path, mode: mode)
        }
        guard bytes.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: bytes) else {
            throw .signingKeyMalformed(path: path, byteCount: bytes.count)
        }
        return CheckpointSigner(privateKey: key)
    }

    /// Loads the key of an existing run (`<directory>/signing.key`), for resuming it.
    public static func load(runDirectory directory: String) throws(CheckpointError) -> CheckpointSigner {
        try load(from: path(directory, privateKeyFileName))
    }

    /// Makes a new key for a new run: `signing.key` (mode 0600) and `signing.pub` in `directory`,
    /// each written durably.
    /// - Throws: ``CheckpointError/signingKeyExists(path:)`` if the directory already has a key,
    ///   or ``CheckpointError/io(path:operation:reason:)``.
    public static func create(inRunDirectory directory: String) throws(CheckpointError) -> CheckpointSigner {
        let signer = CheckpointSigner(privateKey: Curve25519.Signing.PrivateKey())
        let keyPath = path(directory, privateKeyFileName)
        guard try CheckpointError.onFile(try POSIXFile.createNew(signer.privateKeyBytes, at: keyPath, mode: 0o600)) else {
            throw .signingKeyExists(path: keyPath)
        }
        let publicPath = path(directory, publicKeyFileName)
        let temporary = try CheckpointError.onFile(try POSIXFile.writeTemporary(signer.publicKey, beside: publicPath, mode: 0o644))
        try CheckpointError.onFile(try POSIXFile.rename(temporary, to: publicPath))
        return signer
    }

    /// Makes a new key for a new run: `signing.key` (0600) and `signing.pub` in `keyDirectory`, outside
    /// the run, and a copy of `signing.pub` in `runDirectory` for those who verify its checkpoints.
    public static func create(keyDirectory: String, runDirectory: String) throws(CheckpointError) -> CheckpointSigner {
        let signer = try create(inRunDirectory: keyDirectory)
        let publicPath = path(runDirectory, publicKeyFileName)
        let temporary = try CheckpointError.onFile(try POSIXFile.writeTemporary(signer.publicKey, beside: publicPath, mode: 0o644))
        try CheckpointError.onFile(try POSIXFile.rename(temporary, to: publicPath))
        return signer
    }

    /// Loads the key of an existing run from `keyDirectory` and checks that it is the run's own: the
    /// run's `signing.pub` must be this key's public key.
    /// - Throws: the errors of ``load(from:)``, or ``CheckpointError/signingKeyMismatch(path:)`` when
    ///   the run names another key (its public key replaced, or the wrong key directory).
    public static func load(keyDirectory: String, runDirectory: String) throws(CheckpointError) -> CheckpointSigner {
        let signer = try load(from: path(keyDirectory, privateKeyFileName))
        let publicPath = path(runDirectory, publicKeyFileName)
        guard POSIXFile.exists(publicPath), try CheckpointError.onFile(try POSIXFile.readAll(publicPath)) == signer.publicKey else {
            throw .signingKeyMismatch(path: publicPath)
        }
        return signer
    }

    /// The hex SHA-256 of the public key in a run's `signing.pub`, which names the run's key directory.
    public static func runFingerprint(runDirectory: String) throws(CheckpointError) -> String {
        let publicPath = path(runDirectory, publicKeyFileName)
        guard POSIXFile.exists(publicPath) else { throw .signingKeyMissing(path: publicPath) }
        let bytes = try CheckpointError.onFile(try POSIXFile.readAll(publicPath))
        guard bytes.count == 32 else { throw .signingKeyMalformed(path: publicPath, byteCount: bytes.count) }
        return Hex.encode(SHA256.hash(data: bytes))
    }

    /// The Ed25519 signature of a 32-byte SHA-256 digest.
    func signature(ofDigest digest: [UInt8]) -> [UInt8] {
        // The key was validated when this signer was made; signing a valid key cannot fail.
        let key = try! Curve25519.Signing.PrivateKey(rawRepresentation: privateKeyBytes)
        return Array(try! key.signature(for: digest))
    }

    /// The public half, which verifies what this key signs.
    public var verifier: CheckpointVerifier {
        // A valid private key's public key is a valid point.
        CheckpointVerifier(publicKey: publicKey)!
    }

    private static func path(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
