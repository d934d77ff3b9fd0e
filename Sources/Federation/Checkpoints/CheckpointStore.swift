import Foundation
import TensorCore

/// Durable, signed and optionally encrypted checkpoints of a federated run, one per round, in the
/// run directory.
///
/// **Layout.** Plaintext: `model.safetensors` (a safetensors file: the model's parameters under
/// PyTorch-style names, extra server tensors, metadata with `fedtop.round`) and its signature
/// `model.safetensors.sig` (see `CheckpointSignature`: JSON with the round, the file's SHA-256, the
/// Ed25519 signature of that digest and the key's fingerprint), plus the previous pair
/// `model.prev.safetensors` and `model.prev.safetensors.sig`. Encrypted at rest, the same four names
/// with `.enc` before `.sig` (`model.safetensors.enc`, `model.safetensors.enc.sig`, ...): the file is
/// the AES-GCM combined box of the safetensors bytes, and the signature covers the ciphertext.
/// Checkpoint files are written with mode 0600, signatures with 0644; the key files are
/// ``CheckpointSigner``'s.
///
/// **Write protocol** (``save(round:tensors:metadata:)``). Stage: the new checkpoint file and its
/// signature go to temporary files in the directory, each written and fsynced. Commit, each step a
/// `rename` followed by an fsync of the directory, so the steps reach the disk in order:
/// 1. retire the signature: if the latest verified pair's signature is the current one, rename it
///    to the previous name;
/// 2. retire the model: likewise for the checkpoint file;
/// 3. install the new checkpoint file under the current name;
/// 4. install the new signature under the current name.
///
/// **Load rule** (``CheckpointReader``, which needs only the public key). Every signature file
/// present must parse, name this run's key and verify, or loading fails. The one with the highest round (the current name on a tie) must
/// have a checkpoint file under either name whose SHA-256 is the signed one; other checkpoint files
/// (orphans) are ignored. A checkpoint file with no signature file at all is refused.
///
/// **Crash safety.** Signatures are matched to files by hash, not by name, and the commit only ever
/// moves the latest verified pair into the previous names before it touches the current names. So
/// after a kill at any point, with round r being written over a directory whose latest pair is
/// round r−1: before step 1, or after step 4, the pair is intact under its names (round r−1, or r);
/// after step 1 the r−1 signature (previous name) still has its file (current name); after step 2
/// both are under the previous names; after step 3 the new file is an orphan next to the intact
/// r−1 pair. In every state every signature file present has its file, so loading gives round r or
/// r−1 and never reports tampering; leftover temporary files are ignored and removed by the next
/// save. A commit from any such state (a resumed run) again retires only the verified pair. The one
/// exception is a kill during the first save of a run (no round r−1), which leaves a lone unsigned
/// file: it is refused as ``CheckpointError/missingSignature(path:signature:)``, never loaded.
///
/// **What a signature does not prove.** Freshness: deleting the newest pair rolls a run back to the
/// previous one, as any crash could. Keep the run directory on storage only the run can write.
///
/// One writer per run directory; ``CheckpointStore`` holds no state between calls.
public struct CheckpointStore: Sendable {
    /// The run directory (it must exist).
    public let directory: String
    /// The key that signs new checkpoints and verifies loaded ones.
    public let signer: CheckpointSigner
    /// The key checkpoints are encrypted with, or nil for plaintext.
    public let encryption: CheckpointEncryption?

    /// The four file names in use, for this store's mode.
    let names: CheckpointFileNames

    /// A store for `directory`, signing with `signer`, encrypting at rest when `encryptionKey` is given.
    public init(directory: String, signer: CheckpointSigner, encryptionKey: CheckpointEncryption?) {
        self.directory = directory
        self.signer = signer
        self.encryption = encryptionKey
        names = CheckpointFileNames(directory: directory, encrypted: encryptionKey != nil)
    }

    /// A store that encrypts at rest if `encryptAtRest`, with the key from `FEDTOP_CHECKPOINT_KEY`.
    /// - Throws: ``CheckpointError/encryptionKeyMissing(variable:)`` or
    ///   ``CheckpointError/encryptionKeyMalformed(variable:reason:)`` when encryption is asked for
    ///   without a usable key; nothing is written then.
    public init(directory: String, signer: CheckpointSigner, encryptAtRest: Bool,
                environment: [String: String] = ProcessInfo.processInfo.environment) throws(CheckpointError) {
        let key = encryptAtRest ? try CheckpointEncryption.fromEnvironment(environment) : nil
        self.init(directory: directory, signer: signer, encryptionKey: key)
    }

    /// The current checkpoint file (`model.safetensors`, or `model.safetensors.enc`).
    public var checkpointPath: String { names.model }
    /// The current signature file (the checkpoint file's name with `.sig`).
    public var signaturePath: String { names.signature }

    /// Writes, signs (and encrypts) a checkpoint of `tensors` and `metadata` for `round`, replacing
    /// the current one durably by the write protocol above; `fedtop.round` is set to `round`.
    /// - Throws: ``CheckpointError/invalidContent(reason:)`` (duplicate or reserved names, say),
    ///   ``CheckpointError/io(path:operation:reason:)``, or a verification error of the checkpoint
    ///   already there (which is then left untouched). No temporary file is left on error.
    public func save(round: Int, tensors: [(name: String, tensor: Tensor)],
                     metadata: [String: String] = [:]) throws(CheckpointError) {
        let staged = try stage(round: round, tensors: tensors, metadata: metadata)
        do { try commit(staged) } catch {
            discard(staged)
            throw error
        }
    }

    /// Saves `model`'s parameters (with ``Sequential/safeTensors(round:metadata:)``'s metadata: kind,
    /// shapes) and `serverState` tensors (e.g. `server.m`, `server.v`) for `round`.
    public func save(_ model: Sequential, round: Int, serverState: [(name: String, tensor: Tensor)] = [],
                     metadata: [String: String] = [:]) throws(CheckpointError) {
        let content = model.safeTensors(round: round, metadata: metadata)
        try save(round: round, tensors: content.tensors + serverState, metadata: content.metadata)
    }

    /// The latest verified checkpoint (``CheckpointReader/loadLatest()`` with this store's key).
    public func loadLatest() throws(CheckpointError) -> Checkpoint { try reader.loadLatest() }

    /// Loads the latest verified checkpoint into `model` (see ``Checkpoint/restore(into:)``) and
    /// returns it, for its round, metadata and server state.
    @discardableResult
    public func loadLatest(into model: inout Sequential) throws(CheckpointError) -> Checkpoint {
        try reader.loadLatest(into: &model)
    }

    /// This store's load rule, with the public half of its key.
    public var reader: CheckpointReader { CheckpointReader(directory: directory, verifier: signer.verifier, encryption: encryption) }
}

/// The paths of the current and previous checkpoint files and signatures in a run directory.
struct CheckpointFileNames: Sendable {
    var model: String
    var signature: String
    var previousModel: String
    var previousSignature: String

    init(directory: String, encrypted: Bool) {
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        let suffix = encrypted ? ".enc" : ""
        model = base + "model.safetensors" + suffix
        signature = model + ".sig"
        previousModel = base + "model.prev.safetensors" + suffix
        previousSignature = previousModel + ".sig"
    }

    var all: [String] { [model, signature, previousModel, previousSignature] }
}
