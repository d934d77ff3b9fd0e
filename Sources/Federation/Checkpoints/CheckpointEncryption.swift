import Crypto
import Foundation
import TensorCore

/// The AES-256-GCM key checkpoints are encrypted with at rest (swift-crypto `AES.GCM`).
///
/// Contract:
/// - The key comes from the environment variable ``environmentVariable`` (`FEDTOP_CHECKPOINT_KEY`):
///   either 64 hexadecimal digits or standard base64 of exactly 32 bytes (surrounding whitespace is
///   ignored), e.g. `export FEDTOP_CHECKPOINT_KEY=$(openssl rand -hex 32)`. It is never written to
///   disk by fedtop and never repeated in an error.
/// - Asking for encryption without a usable key is an error naming the variable
///   (``CheckpointError/encryptionKeyMissing(variable:)``,
///   ``CheckpointError/encryptionKeyMalformed(variable:reason:)``), never a plaintext write.
/// - ``seal(_:)`` gives AES-GCM's combined form: a random 12-byte nonce, the ciphertext, the 16-byte
///   tag; the associated data is ``associatedData``. ``open(_:path:)`` refuses anything that does
///   not authenticate with ``CheckpointError/decryptionFailed(path:variable:)``.
public struct CheckpointEncryption: Sendable {
    /// The environment variable that holds the key.
    public static let environmentVariable = "FEDTOP_CHECKPOINT_KEY"
    /// Bound to every ciphertext, so a checkpoint cannot be passed off as another AES-GCM message
    /// under the same key.
    static let associatedData = Array("fedtop checkpoint v1".utf8)

    /// The raw 32-byte key (swift-crypto's `SymmetricKey` is not `Sendable`, so the bytes are kept).
    private let keyBytes: [UInt8]
    /// Where the key came from, for errors (the variable's name).
    public let source: String

    /// Encryption with a raw 32-byte key; `source` names where it came from in errors.
    /// - Throws: ``CheckpointError/encryptionKeyMalformed(variable:reason:)`` if `key` is not 32 bytes.
    public init(key: [UInt8], source: String = CheckpointEncryption.environmentVariable) throws(CheckpointError) {
        guard key.count == 32 else {
            throw .encryptionKeyMalformed(variable: source, reason: "key is \(key.count) bytes, not 32")
        }
        keyBytes = key
        self.source = source
    }

    /// Encryption with the key written as 64 hex digits or base64 of 32 bytes.
    /// - Throws: ``CheckpointError/encryptionKeyMalformed(variable:reason:)``.
    public init(keyText: String, source: String = CheckpointEncryption.environmentVariable) throws(CheckpointError) {
        let text = keyText.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { throw .encryptionKeyMalformed(variable: source, reason: "it is empty") }
        if text.utf8.count == 64, let bytes = Hex.decode(text) {
            try self.init(key: bytes, source: source)
        } else if let data = Data(base64Encoded: text) {
            guard data.count == 32 else {
                throw .encryptionKeyMalformed(variable: source, reason: "it is base64 of \(data.count) bytes, not 32")
            }
            try self.init(key: Array(data), source: source)
        } else {
            throw .encryptionKeyMalformed(
                variable: source, reason: "it is \(text.utf8.count) characters that are neither 64 hex digits nor base64")
        }
    }

    /// The key in `FEDTOP_CHECKPOINT_KEY`, for a run that asked for encryption at rest.
    /// - Throws: ``CheckpointError/encryptionKeyMissing(variable:)`` if the variable is unset or
    ///   ``CheckpointError/encryptionKeyMalformed(variable:reason:)``.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(CheckpointError) -> CheckpointEncryption {
        guard let text = environment[environmentVariable] else {
            throw .encryptionKeyMissing(variable: environmentVariable)
        }
        return try CheckpointEncryption(keyText: text, source: environmentVariable)
    }

    /// `plaintext` sealed with a fresh random nonce, in AES-GCM's combined form.
    func seal(_ plaintext: [UInt8]) throws(CheckpointError) -> [UInt8] {
        do {
            let box = try AES.GCM.seal(plaintext, using: SymmetricKey(data: keyBytes), authenticating: Self.associatedData)
            guard let combined = box.combined else {
                throw CheckpointError.invalidContent(reason: "AES-GCM gave no combined form")
            }
            return Array(combined)
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw .invalidContent(reason: "AES-GCM encryption failed: \(error)")
        }
    }

    /// The plaintext of a combined AES-GCM box read from `path`.
    /// - Throws: ``CheckpointError/decryptionFailed(path:variable:)`` if it does not authenticate.
    func open(_ combined: [UInt8], path: String) throws(CheckpointError) -> [UInt8] {
        do {
            let box = try AES.GCM.SealedBox(combined: combined)
            return Array(try AES.GCM.open(box, using: SymmetricKey(data: keyBytes), authenticating: Self.associatedData))
        } catch {
            throw .decryptionFailed(path: path, variable: source)
        }
    }
}
