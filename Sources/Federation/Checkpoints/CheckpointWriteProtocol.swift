#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

// The write protocol of `CheckpointStore`, as separate stage and commit steps so that tests can stop
// between any two of them (a simulated crash) and check what loads.

/// A checkpoint written to temporary files in the run directory, flushed, not yet installed.
struct StagedCheckpoint: Sendable {
    var round: Int
    /// The temporary checkpoint file (encrypted when the store encrypts).
    var checkpointTemporary: String
    /// The temporary signature file.
    var signatureTemporary: String
}

/// The steps of a commit, in order; each is one rename followed by a flush of the directory.
enum CommitStep: Int, CaseIterable, Comparable, Sendable {
    /// The latest verified signature, if under the current name, goes to the previous name.
    case retireSignature
    /// The latest verified checkpoint file, if under the current name, goes to the previous name.
    case retireCheckpoint
    /// The staged checkpoint file goes to the current name.
    case installCheckpoint
    /// The staged signature goes to the current name.
    case installSignature

    static func < (a: CommitStep, b: CommitStep) -> Bool { a.rawValue < b.rawValue }
}

extension CheckpointStore {
    /// Encodes (and encrypts) the checkpoint, signs it, and writes both to flushed temporary files,
    /// after removing temporaries an earlier interrupted save left.
    func stage(round: Int, tensors: [(name: String, tensor: Tensor)],
               metadata: [String: String]) throws(CheckpointError) -> StagedCheckpoint {
        guard round >= 0 else { throw .invalidContent(reason: "round \(round) is negative") }
        POSIXFile.removeTemporaries(of: names.model)
        POSIXFile.removeTemporaries(of: names.signature)

        var metadata = metadata
        metadata[Sequential.roundKey] = String(round)
        var bytes: [UInt8]
        do { bytes = try SafeTensors(tensors: tensors, metadata: metadata).encoded() } catch {
            throw .invalidContent(reason: "\(error)")
        }
        if let encryption { bytes = try encryption.seal(bytes) }
        let signature = CheckpointSignature(signing: bytes, round: round, with: signer)

        let checkpointTemporary = try CheckpointError.onFile(try POSIXFile.writeTemporary(bytes, beside: names.model, mode: 0o600))
        do {
            let signatureTemporary = try CheckpointError.onFile(
                try POSIXFile.writeTemporary(signature.encoded(), beside: names.signature, mode: 0o644))
            return StagedCheckpoint(round: round, checkpointTemporary: checkpointTemporary,
                                    signatureTemporary: signatureTemporary)
        } catch {
            _ = unlink(checkpointTemporary)
            throw error
        }
    }

    /// Installs a staged checkpoint, running the steps up to and including `last`.
    ///
    /// Which files are retired is decided once, from the latest verified pair found at the start:
    /// only a file of that pair that sits under a current name is moved to the previous name, so the
    /// pair survives every later step. Starting from any state a stopped commit leaves, this is again
    /// a correct commit. A lone unsigned checkpoint file (a first save killed before its signature
    /// was installed) is no checkpoint: it is simply replaced.
    /// - Throws: a verification error of the checkpoint already there (nothing is moved then), or
    ///   ``CheckpointError/io(path:operation:reason:)``.
    func commit(_ staged: StagedCheckpoint, through last: CommitStep = .installSignature) throws(CheckpointError) {
        let latest: VerifiedCheckpointFile?
        do { latest = try reader.locateLatest() } catch {
            guard case .missingSignature = error else { throw error }
            latest = nil
        }
        for step in CommitStep.allCases where step <= last {
            switch step {
            case .retireSignature:
                if latest?.signaturePath == names.signature {
                    try CheckpointError.onFile(try POSIXFile.rename(names.signature, to: names.previousSignature))
                }
            case .retireCheckpoint:
                if latest?.checkpointPath == names.model {
                    try CheckpointError.onFile(try POSIXFile.rename(names.model, to: names.previousModel))
                }
            case .installCheckpoint:
                try CheckpointError.onFile(try POSIXFile.rename(staged.checkpointTemporary, to: names.model))
            case .installSignature:
                try CheckpointError.onFile(try POSIXFile.rename(staged.signatureTemporary, to: names.signature))
            }
        }
    }

    /// Removes a staged checkpoint's temporary files that are still there.
    func discard(_ staged: StagedCheckpoint) {
        _ = unlink(staged.checkpointTemporary)
        _ = unlink(staged.signatureTemporary)
    }
}
