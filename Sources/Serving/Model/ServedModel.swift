import Federation
import Foundation
import TensorCore

/// The model `fedtop serve` answers with: a run's latest checkpoint, verified against a key the
/// operator pinned (never the run folder's own `signing.pub` alone), decrypted when encrypted at
/// rest, and rebuilt from its own signed metadata; read-only and shared by every request handler.
///
/// Contract: loading fails with the ``CheckpointError`` that names the file (unsigned, tampered,
/// signed by another key, undecryptable, not a zoo model, a non-finite parameter); nothing in the
/// run folder is written.
/// ``probabilities(_:)`` takes records already checked by ``RecordValidator`` (the model's feature
/// count, finite values) and returns each record's class probabilities (a softmax over the logits
/// in Double, stable: the largest logit subtracted).
public struct ServedModel: Sendable {
    public let model: Sequential
    /// The round the checkpoint was written after.
    public let round: Int
    /// The run's facts signed with the weights (nil for a checkpoint older than them).
    public let provenance: ModelProvenance?
    /// Class names in output order: the signed ones, else `class-0`, `class-1`, ….
    public let classNames: [String]
    /// Numbers in one record (the product of the model's input shape).
    public let featureCount: Int
    /// Hex SHA-256 of the public key that signed the checkpoint.
    public let keyFingerprint: String
    /// Hex SHA-256 of the checkpoint file as signed.
    public let checkpointSHA256: String
    public let encryptedAtRest: Bool
    /// The aggregation strategy that made it (`fedtop.strategy`), or "unknown".
    public let strategy: String

    public init(checkpoint: Checkpoint, verifier: CheckpointVerifier, encrypted: Bool) throws(CheckpointError) {
        model = try checkpoint.makeModel()
        let finite = model.parameters.withUnsafeBufferPointer { $0.allSatisfy(\.isFinite) }
        guard finite else { throw .modelMismatch(path: checkpoint.path, reason: "a parameter is not finite; refusing to serve it") }
        round = checkpoint.round
        provenance = ModelProvenance(metadata: checkpoint.metadata)
        let classes = model.outputShape.reduce(1, *)
        if let names = provenance?.classNames, names.count == classes {
            classNames = names
        } else {
            classNames = (0..<classes).map { "class-\($0)" }
        }
        featureCount = model.inputShape.reduce(1, *)
        keyFingerprint = verifier.fingerprint
        checkpointSHA256 = checkpoint.sha256
        encryptedAtRest = encrypted
        strategy = checkpoint.metadata["fedtop.strategy"] ?? "unknown"
    }

    /// Loads the latest verified checkpoint of `runDirectory` (see ``CheckpointReader``).
    public static func load(runDirectory: String, verifier: CheckpointVerifier,
                            encryption: CheckpointEncryption?) throws(CheckpointError) -> ServedModel {
        let checkpoint = try CheckpointReader(directory: runDirectory, verifier: verifier, encryption: encryption).loadLatest()
        return try ServedModel(checkpoint: checkpoint, verifier: verifier, encrypted: encryption != nil)
    }

    /// Each record's class probabilities, in class order.
    public func probabilities(_ records: [[Float]]) -> [[Double]] {
        guard !records.isEmpty else { return [] }
        precondition(records.allSatisfy { $0.count == featureCount }, "ServedModel: records must be validated first")
        let input = Tensor(shape: [records.count] + model.inputShape) { buffer in
            for (i, record) in records.enumerated() {
                record.withUnsafeBufferPointer { (buffer.baseAddress! + i * featureCount).update(from: $0.baseAddress!, count: featureCount) }
            }
        }
        let logits = model.logits(for: input)
        let classes = classNames.count
        let z = logits.scalars
        var result: [[Double]] = []
        result.reserveCapacity(records.count)
        for i in 0..<records.count {
            let start = i * classes
            result.append(Self.softmax(z[start..<(start + classes)]))
        }
        return result
    }

    /// A stable softmax in Double.
    static func softmax(_ z: ArraySlice<Float>) -> [Double] {
        let top = Double(z.max() ?? 0)
        let e = z.map { exp(Double($0) - top) }
        let total = e.reduce(0, +)
        return e.map { $0 / total }
    }
}
