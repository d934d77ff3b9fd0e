import TensorCore
// Finding the latest verified (checkpoint file, signature) pair in a run directory: the load rule of
// `CheckpointStore`, applied by `CheckpointReader`.

/// A checkpoint file whose bytes a verified signature signs.
struct VerifiedCheckpointFile {
    var checkpointPath: String
    var signaturePath: String
    var signature: CheckpointSignature
    /// The file's bytes (ciphertext when encrypted), whose SHA-256 is the signed one.
    var bytes: [UInt8]
}

extension CheckpointReader {
    /// The latest verified pair, or nil if there is no file of this reader's mode at all.
    ///
    /// Every signature file present must parse, name this run's key and verify. The one with the
    /// highest round (the current name on a tie) must sign one of the checkpoint files present,
    /// matched by SHA-256 whatever its name; checkpoint files no signature signs are ignored, unless
    /// there is no signature at all.
    /// - Throws: ``CheckpointError/missingSignature(path:signature:)``,
    ///   ``CheckpointError/malformedSignature(signature:reason:)``,
    ///   ``CheckpointError/signedByAnotherKey(signature:found:expected:)``,
    ///   ``CheckpointError/badSignature(signature:)``,
    ///   ``CheckpointError/missingCheckpointFile(path:signature:)``,
    ///   ``CheckpointError/truncated(path:signature:expectedBytes:foundBytes:)``,
    ///   ``CheckpointError/tampered(path:signature:)`` or ``CheckpointError/io(path:operation:reason:)``.
    func locateLatest() throws(CheckpointError) -> VerifiedCheckpointFile? {
        var latest: (path: String, signature: CheckpointSignature)?
        for path in [names.signature, names.previousSignature] where POSIXFile.exists(path) {
            let signature = try CheckpointSignature(verifying: try CheckpointError.onFile(try POSIXFile.readAll(path)), path: path, with: verifier)
            if latest == nil || signature.round > latest!.signature.round { latest = (path, signature) }
        }
        guard let (signaturePath, signature) = latest else {
            if POSIXFile.exists(names.model) { throw .missingSignature(path: names.model, signature: names.signature) }
            if POSIXFile.exists(names.previousModel) {
                throw .missingSignature(path: names.previousModel, signature: names.previousSignature)
            }
            return nil
        }

        // Its own name's file first; the other one holds it only after a commit stopped at step 1.
        let partner = signaturePath == names.signature ? names.model : names.previousModel
        let other = partner == names.model ? names.previousModel : names.model
        var partnerBytes: [UInt8]?
        for path in [partner, other] where POSIXFile.exists(path) {
            let bytes = try CheckpointError.onFile(try POSIXFile.readAll(path))
            if signature.matches(bytes) {
                return VerifiedCheckpointFile(checkpointPath: path, signaturePath: signaturePath,
                                              signature: signature, bytes: bytes)
            }
            if path == partner { partnerBytes = bytes }
        }
        guard let found = partnerBytes else {
            throw .missingCheckpointFile(path: partner, signature: signaturePath)
        }
        if found.count < signature.bytes {
            throw .truncated(path: partner, signature: signaturePath, expectedBytes: signature.bytes,
                             foundBytes: found.count)
        }
        throw .tampered(path: partner, signature: signaturePath)
    }
}
