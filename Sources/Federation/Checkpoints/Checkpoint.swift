import TensorCore

/// A verified checkpoint as loaded from a run directory: named tensors and string metadata, with no
/// model attached.
///
/// Contract: everything here comes from a file whose signature verified (and which decrypted, when
/// encrypted); ``round`` is the signed round, equal to the `fedtop.round` metadata. ``tensors`` holds
/// the model's parameters under their PyTorch-style names (`fc1.weight`) and any server state saved
/// with them (`server.m`, `server.v` for FedAdam, say); ``restore(into:)`` takes the parameters a
/// ``Sequential`` needs and leaves the rest.
public struct Checkpoint: Sendable {
    /// The federated round the checkpoint was written after.
    public var round: Int
    /// Every tensor in the file, by name.
    public var tensors: [String: Tensor]
    /// The file's metadata (`fedtop.round`, `fedtop.model`, the strategy, ...).
    public var metadata: [String: String]
    /// The file it was loaded from.
    public var path: String
    /// Hex SHA-256 of the file as signed (the ciphertext when encrypted at rest); empty when not loaded from a signed file.
    public var sha256: String

    public init(round: Int, tensors: [String: Tensor], metadata: [String: String], path: String, sha256: String = "") {
        self.round = round
        self.tensors = tensors
        self.metadata = metadata
        self.path = path
        self.sha256 = sha256
    }

    /// Sets `model`'s parameters from the checkpoint, after checking its kind (`fedtop.model`, when
    /// recorded) and every parameter's presence and shape. Extra tensors are ignored.
    /// - Throws: ``CheckpointError/modelMismatch(path:reason:)``; `model` is unchanged then.
    public func restore(into model: inout Sequential) throws(CheckpointError) {
        if let kind = metadata[Sequential.kindKey], kind != model.kind {
            throw .modelMismatch(path: path, reason: "it holds model kind \(kind), not \(model.kind)")
        }
        do { try model.setParameters(named: tensors) } catch {
            throw .modelMismatch(path: path, reason: "\(error)")
        }
    }
}
