import Crypto
import Foundation
import TensorCore

/// The sidecar that signs one checkpoint file: a small JSON object (keys sorted, one per line).
///
/// ```json
/// {
///   "algorithm" : "ed25519-sha256",
///   "bytes" : 4168,
///   "format" : "fedtop-checkpoint-signature/1",
///   "key" : "<hex SHA-256 of the raw Ed25519 public key>",
///   "round" : 7,
///   "sha256" : "<hex SHA-256 of the checkpoint file's bytes>",
///   "signature" : "<base64 Ed25519 signature of the 32 raw bytes of that SHA-256>"
/// }
/// ```
///
/// Only the digest is signed, so anyone with `signing.pub` can check a file with standard tools
/// (SHA-256 the file, verify the 64-byte signature over the 32 digest bytes). `round` and `bytes`
/// are not signed: `round` is checked against the signed file's own `fedtop.round` metadata, and
/// `bytes` only tells a truncated file from a modified one in errors.
struct CheckpointSignature: Codable, Equatable {
    static let formatName = "fedtop-checkpoint-signature/1"
    static let algorithmName = "ed25519-sha256"

    var format: String
    var algorithm: String
    var round: Int
    var bytes: Int
    var sha256: String
    var key: String
    var signature: String

    /// The signature of a checkpoint file's bytes for `round`.
    init(signing fileBytes: [UInt8], round: Int, with signer: CheckpointSigner) {
        let digest = Array(SHA256.hash(data: fileBytes))
        format = Self.formatName
        algorithm = Self.algorithmName
        self.round = round
        bytes = fileBytes.count
        sha256 = Hex.encode(digest)
        key = signer.fingerprint
        signature = Data(signer.signature(ofDigest: digest)).base64EncodedString()
    }

    /// The sidecar's bytes.
    func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Encoding plain strings and integers cannot fail.
        return Array(try! encoder.encode(self)) + [UInt8(ascii: "\n")]
    }

    /// Parses the sidecar at `path` and checks that `verifier`'s key made it and its signature verifies.
    /// - Throws: ``CheckpointError/malformedSignature(signature:reason:)``,
    ///   ``CheckpointError/signedByAnotherKey(signature:found:expected:)`` or
    ///   ``CheckpointError/badSignature(signature:)``.
    init(verifying data: [UInt8], path: String, with verifier: CheckpointVerifier) throws(CheckpointError) {
        do {
            self = try JSONDecoder().decode(CheckpointSignature.self, from: Data(data))
        } catch {
            throw .malformedSignature(signature: path, reason: "not the expected JSON object (\(Self.describe(error)))")
        }
        guard format == Self.formatName else {
            throw .malformedSignature(signature: path, reason: "format \"\(format)\", expected \"\(Self.formatName)\"")
        }
        guard algorithm == Self.algorithmName else {
            throw .malformedSignature(signature: path, reason: "algorithm \"\(algorithm)\", expected \"\(Self.algorithmName)\"")
        }
        guard let digest = digest else {
            throw .malformedSignature(signature: path, reason: "\"sha256\" is not 64 hex digits")
        }
        guard let signatureBytes = Data(base64Encoded: signature), signatureBytes.count == 64 else {
            throw .malformedSignature(signature: path, reason: "\"signature\" is not base64 of 64 bytes")
        }
        guard round >= 0, bytes >= 0 else {
            throw .malformedSignature(signature: path, reason: "negative \"round\" or \"bytes\"")
        }
        guard key == verifier.fingerprint else {
            throw .signedByAnotherKey(signature: path, found: key, expected: verifier.fingerprint)
        }
        guard verifier.isValidSignature(Array(signatureBytes), ofDigest: digest) else {
            throw .badSignature(signature: path)
        }
    }

    /// The signed SHA-256 digest, or nil if ``sha256`` is not 64 hex digits.
    var digest: [UInt8]? {
        guard sha256.utf8.count == 64, let bytes = Hex.decode(sha256) else { return nil }
        return bytes
    }

    /// Whether `fileBytes` are the signed file.
    func matches(_ fileBytes: [UInt8]) -> Bool {
        fileBytes.count == bytes && Array(SHA256.hash(data: fileBytes)) == digest
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "no \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context): "wrong type at \(context.codingPath.map(\.stringValue))"
        case DecodingError.dataCorrupted: "not valid JSON"
        default: "\(error)"
        }
    }
}
