import TensorCore

/// Why a checkpoint, its signature or one of its keys could not be written, read or trusted.
///
/// Every case names the file (or the environment variable) involved, and `description` says what
/// was wrong and what to do about it. Cases that refuse a file never fall back to a weaker path: a
/// checkpoint that does not verify is not loaded, and a write that cannot be signed or encrypted as
/// asked is not made.
public enum CheckpointError: Error, Equatable, Sendable {
    /// The private signing key file does not exist. Raised on resume: a resumed run must sign with
    /// the key it was started with, and never writes unsigned checkpoints.
    case signingKeyMissing(path: String)
    /// The signing key file exists but could not be read (`reason` is the system's message).
    case signingKeyUnreadable(path: String, reason: String)
    /// The signing key file does not hold a raw 32-byte Ed25519 private key.
    case signingKeyMalformed(path: String, byteCount: Int)
    /// The signing key file can be read by group or others (`mode` is its permission bits).
    case signingKeyExposed(path: String, mode: UInt32)
    /// A new run's key would replace an existing one (the key that signed the checkpoints there).
    case signingKeyExists(path: String)
    /// The run's `signing.pub` is not the public key of the key that should sign it: the run's key
    /// was replaced (its checkpoints re-signed by someone else), or the key directory is another run's.
    case signingKeyMismatch(path: String)
    /// The public key to verify checkpoints with is not there.
    case verifyingKeyMissing(path: String)
    /// The public key file is not a raw 32-byte Ed25519 public key.
    case verifyingKeyMalformed(path: String, byteCount: Int)
    /// Encryption at rest was asked for, but the environment variable holding the key is not set.
    case encryptionKeyMissing(variable: String)
    /// The environment variable is set but is neither 64 hex digits nor base64 of 32 bytes. The
    /// value itself is never repeated.
    case encryptionKeyMalformed(variable: String, reason: String)
    /// A file system call failed; `reason` is the system's message.
    case io(path: String, operation: String, reason: String)
    /// There is no checkpoint in the run directory.
    case noCheckpoint(directory: String)
    /// A checkpoint file exists but no signature file does: it is never loaded unsigned.
    case missingSignature(path: String, signature: String)
    /// A signature file is not a fedtop checkpoint signature (damaged, or not ours).
    case malformedSignature(signature: String, reason: String)
    /// A signature file was made with another key than this run's (`found`, `expected` are key
    /// fingerprints).
    case signedByAnotherKey(signature: String, found: String, expected: String)
    /// A signature file's Ed25519 signature does not verify against this run's public key: the
    /// signature or the hash it covers was modified.
    case badSignature(signature: String)
    /// A signature file exists but the checkpoint file it signs does not.
    case missingCheckpointFile(path: String, signature: String)
    /// The checkpoint file is shorter than the signed length: it was cut off.
    case truncated(path: String, signature: String, expectedBytes: Int, foundBytes: Int)
    /// The checkpoint file's SHA-256 is not the signed one: it was modified after signing.
    case tampered(path: String, signature: String)
    /// The checkpoint is encrypted but no decryption key was given.
    case encryptedCheckpointNeedsKey(path: String, variable: String)
    /// Encryption at rest is on, but the run directory holds a plaintext checkpoint.
    case notEncrypted(path: String, variable: String)
    /// The signed ciphertext does not open with the given key (AES-GCM authentication failed): the
    /// key is not the one the checkpoint was written with.
    case decryptionFailed(path: String, variable: String)
    /// The signed, decrypted content is not a valid safetensors file.
    case malformedContent(path: String, reason: String)
    /// The round in the signature file is not the round recorded in the checkpoint's metadata.
    case roundMismatch(path: String, signature: String, signedRound: Int, storedRound: String?)
    /// What was given to save cannot be encoded (a duplicate or reserved tensor name, say).
    case invalidContent(reason: String)
    /// A verified checkpoint does not fit the model it is loaded into (kind, tensor, shape).
    case modelMismatch(path: String, reason: String)
}

extension CheckpointError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .signingKeyMissing(path):
            return "\(path): no checkpoint signing key; a resumed run must sign with the key it was started "
                + "with, so restore that file (mode 0600) or start a new run in a new directory"
        case let .signingKeyUnreadable(path, reason):
            return "\(path): cannot read the checkpoint signing key: \(reason)"
        case let .signingKeyMalformed(path, byteCount):
            return "\(path): checkpoint signing key is \(byteCount) bytes; expected a raw 32-byte Ed25519 "
                + "private key (as written by a new run)"
        case let .signingKeyExposed(path, mode):
            return "\(path): checkpoint signing key has mode \(String(mode, radix: 8)), readable by others; "
                + "run `chmod 600 \(path)`"
        case let .signingKeyExists(path):
            return "\(path): a signing key already exists; resume that run, or start the new run in another directory"
        case let .signingKeyMismatch(path):
            return "\(path): this run's public key is not the one its signing key holds: the run's key was replaced "
                + "(its checkpoints may have been re-signed by someone else) or FEDTOP_KEYS names another key store; refused"
        case let .verifyingKeyMissing(path):
            return "\(path): no public key to verify the checkpoint with; give the run's signing.pub (32 raw bytes)"
        case let .verifyingKeyMalformed(path, byteCount):
            return "\(path): \(byteCount) bytes, not a raw 32-byte Ed25519 public key (a run's signing.pub)"
        case let .encryptionKeyMissing(variable):
            return "checkpoint encryption was asked for but \(variable) is not set; set it to 64 hex digits "
                + "or base64 of 32 random bytes (e.g. `openssl rand -hex 32`). Nothing was written."
        case let .encryptionKeyMalformed(variable, reason):
            return "\(variable): \(reason); expected 64 hex digits or base64 of 32 bytes (e.g. `openssl rand -hex 32`)"
        case let .io(path, operation, reason):
            return "\(path): cannot \(operation): \(reason)"
        case let .noCheckpoint(directory):
            return "\(directory): no checkpoint to resume from; start a new run instead"
        case let .missingSignature(path, signature):
            return "\(path): no signature (\(signature)); refusing to load an unsigned checkpoint. If the "
                + "run's first save was interrupted, remove the file and start the run again"
        case let .malformedSignature(signature, reason):
            return "\(signature): not a fedtop checkpoint signature: \(reason); the file is damaged: restore "
                + "the run directory from a backup"
        case let .signedByAnotherKey(signature, found, expected):
            return "\(signature): signed by key \(found), but this run's key is \(expected); use the run's "
                + "own signing.key, or do not trust this checkpoint"
        case let .badSignature(signature):
            return "\(signature): the Ed25519 signature does not verify; the signature file was modified. "
                + "Do not trust this checkpoint: restore the run directory from a backup"
        case let .missingCheckpointFile(path, signature):
            return "\(path): missing, though \(signature) signs it; restore the run directory from a backup"
        case let .truncated(path, signature, expected, found):
            return "\(path): truncated (\(found) bytes, \(signature) signs \(expected)); restore the run "
                + "directory from a backup"
        case let .tampered(path, signature):
            return "\(path): SHA-256 differs from the one signed in \(signature); the file was modified "
                + "after it was written. Do not trust it: restore the run directory from a backup"
        case let .encryptedCheckpointNeedsKey(path, variable):
            return "\(path): checkpoint is encrypted; set \(variable) to the key it was written with and enable encryption"
        case let .notEncrypted(path, variable):
            return "\(path): checkpoint is not encrypted, but encryption at rest is on (\(variable)); "
                + "resume without encryption, or start a new run in another directory"
        case let .decryptionFailed(path, variable):
            return "\(path): does not decrypt with the key in \(variable) (AES-GCM authentication failed); "
                + "the file's signature is valid, so the key is wrong: set the key the run was written with"
        case let .malformedContent(path, reason):
            return "\(path): signed content is not a valid safetensors file: \(reason)"
        case let .roundMismatch(path, signature, signedRound, storedRound):
            return "\(path): \(signature) says round \(signedRound) but the checkpoint records round "
                + "\(storedRound ?? "none"); restore the run directory from a backup"
        case let .invalidContent(reason):
            return "checkpoint not written: \(reason)"
        case let .modelMismatch(path, reason):
            return "\(path): checkpoint does not fit the model: \(reason)"
        }
    }
}

extension CheckpointError {
    /// The error for a failed POSIX file call.
    init(_ error: POSIXFileError) {
        self = .io(path: error.path, operation: error.operation, reason: error.reason)
    }

    /// `body`'s file steps (``POSIXFile``), a failure as ``io(path:operation:reason:)``.
    static func onFile<T>(_ body: @autoclosure () throws(POSIXFileError) -> T) throws(CheckpointError) -> T {
        do { return try body() } catch { throw CheckpointError(error) }
    }
}
