import TensorCore

/// The read side of ``CheckpointStore``: the latest verified checkpoint of a run directory, checked
/// with the public key alone, without writing anything (`fedtop serve`, `fedtop audit`, resume).
///
/// Contract: the store's load rule (see ``CheckpointStore``): every signature file present must
/// parse, name `verifier`'s key and verify; the newest must sign a checkpoint file present, which is
/// decrypted with `encryption` when given (a checkpoint in the other mode is refused, naming the
/// file and the key variable) and must hold the round its signature names. Nothing in the
/// directory is created, changed or removed.
public struct CheckpointReader: Sendable {
    /// The run directory.
    public let directory: String
    /// The key checkpoints must be signed with.
    public let verifier: CheckpointVerifier
    /// The key checkpoints are encrypted with, or nil for plaintext.
    public let encryption: CheckpointEncryption?

    /// The four file names in use, for this reader's mode.
    let names: CheckpointFileNames

    public init(directory: String, verifier: CheckpointVerifier, encryption: CheckpointEncryption?) {
        self.directory = directory
        self.verifier = verifier
        self.encryption = encryption
        names = CheckpointFileNames(directory: directory, encrypted: encryption != nil)
    }

    /// The latest verified checkpoint.
    /// - Throws: ``CheckpointError/noCheckpoint(directory:)`` for an empty run directory; a
    ///   verification error naming the file (missing or bad signature, another key, truncated,
    ///   tampered); ``CheckpointError/encryptedCheckpointNeedsKey(path:variable:)``,
    ///   ``CheckpointError/notEncrypted(path:variable:)`` or
    ///   ``CheckpointError/decryptionFailed(path:variable:)`` for a key that does not fit;
    ///   ``CheckpointError/malformedContent(path:reason:)`` or
    ///   ``CheckpointError/roundMismatch(path:signature:signedRound:storedRound:)``.
    public func loadLatest() throws(CheckpointError) -> Checkpoint {
        guard let latest = try locateLatest() else { throw missingCheckpointError() }
        let path = latest.checkpointPath
        var plaintext = latest.bytes
        if let encryption { plaintext = try encryption.open(latest.bytes, path: path) }
        let content: SafeTensors
        do { content = try SafeTensors(decoding: plaintext, source: path) } catch {
            throw .malformedContent(path: path, reason: "\(error)")
        }
        let storedRound = content.metadata[Sequential.roundKey]
        guard storedRound == String(latest.signature.round) else {
            throw .roundMismatch(path: path, signature: latest.signaturePath,
                                 signedRound: latest.signature.round, storedRound: storedRound)
        }
        var tensors: [String: Tensor] = [:]
        for (name, tensor) in content.tensors { tensors[name] = tensor }
        return Checkpoint(round: latest.signature.round, tensors: tensors, metadata: content.metadata, path: path,
                          sha256: latest.signature.sha256)
    }

    /// Loads the latest verified checkpoint into `model` (see ``Checkpoint/restore(into:)``) and
    /// returns it, for its round, metadata and server state.
    @discardableResult
    public func loadLatest(into model: inout Sequential) throws(CheckpointError) -> Checkpoint {
        let checkpoint = try loadLatest()
        try checkpoint.restore(into: &model)
        return checkpoint
    }

    /// Why there is nothing to load: a checkpoint in the other mode, or none at all.
    private func missingCheckpointError() -> CheckpointError {
        let other = CheckpointFileNames(directory: directory, encrypted: encryption == nil)
        if let found = other.all.first(where: POSIXFile.exists) {
            if let encryption { return .notEncrypted(path: found, variable: encryption.source) }
            return .encryptedCheckpointNeedsKey(path: found, variable: CheckpointEncryption.environmentVariable)
        }
        return .noCheckpoint(directory: directory)
    }
}
