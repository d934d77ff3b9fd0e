import Federation
import Foundation
import Privacy

/// A run's secrets, kept outside its folder so that whoever can edit the run folder cannot re-sign its
/// checkpoints or rewrite its ledgers: the checkpoint-signing key (``CheckpointSigner``) and the seal
/// (HMAC key and head records, ``LedgerSeal``) of the run's local ledgers.
///
/// Contract:
/// - They live in `<store>/<fingerprint>/`, where the store is `$FEDTOP_KEYS` (the operator's choice,
///   e.g. beside the federation's credentials) or `~/.local/state/fedtop/keys`, and the fingerprint is
///   the SHA-256 of the run's public signing key. The run folder keeps only `signing.pub`.
/// - A new run makes its key in the store (folders 0700, keys 0600); a resumed run finds its key by
///   the fingerprint of its `signing.pub` and refuses a run whose `signing.pub` is not its key's.
/// - A run made before keys left the run folder (`<run>/signing.key`) has its key moved into the store
///   on resume, once, and says so.
struct RunKeys {
    /// `<store>/<fingerprint>/`.
    let directory: String
    /// What happened that the operator should hear about (a key moved out of the run folder).
    var notes: [String] = []

    /// The key store: `$FEDTOP_KEYS`, else `~/.local/state/fedtop/keys`.
    static var store: String {
        if let chosen = ProcessInfo.processInfo.environment["FEDTOP_KEYS"], !chosen.isEmpty { return chosen }
        return FileManager.default.homeDirectoryForCurrentUser.path + "/.local/state/fedtop/keys"
    }

    /// A new run's key, made in the store; its public key is copied into `runDirectory`.
    static func create(runDirectory: String) throws -> (RunKeys, CheckpointSigner) {
        let store = Self.store
        try makeFolder(store)
        let fresh = store + "/.new-" + UUID().uuidString
        try makeFolder(fresh)
        let signer = try CheckpointSigner.create(keyDirectory: fresh, runDirectory: runDirectory)
        let directory = store + "/" + signer.fingerprint
        guard rename(fresh, directory) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: fresh)
            throw RunError("\(directory): cannot store the run's signing key: \(reason)")
        }
        return (RunKeys(directory: directory), signer)
    }

    /// An existing run's key, found by its `signing.pub` (moved into the store first if it still lies in
    /// the run folder).
    static func open(runDirectory: String) throws -> (RunKeys, CheckpointSigner) {
        let legacy = runDirectory + "/" + CheckpointSigner.privateKeyFileName
        var notes: [String] = []
        if FileManager.default.fileExists(atPath: legacy) {
            let signer = try CheckpointSigner.load(from: legacy)
            let directory = store + "/" + signer.fingerprint
            try makeFolder(store)
            try makeFolder(directory)
            let target = directory + "/" + CheckpointSigner.privateKeyFileName
            if !FileManager.default.fileExists(atPath: target) {
                try FileManager.default.copyItem(atPath: legacy, toPath: target)
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: target)
                try FileManager.default.copyItem(atPath: runDirectory + "/" + CheckpointSigner.publicKeyFileName,
                                                 toPath: directory + "/" + CheckpointSigner.publicKeyFileName)
            }
            try FileManager.default.removeItem(atPath: legacy)
            notes.append("moved the run's signing key out of the run folder to \(target)")
        }
        let fingerprint = try CheckpointSigner.runFingerprint(runDirectory: runDirectory)
        let directory = store + "/" + fingerprint
        let signer = try CheckpointSigner.load(keyDirectory: directory, runDirectory: runDirectory)
        return (RunKeys(directory: directory, notes: notes), signer)
    }

    /// The seal of `party`'s ledger (``LedgerSeal``): the store's ledger key and the party's head record.
    func seal(_ party: String) throws -> LedgerSeal {
        do { return try LedgerSeal.loadOrCreate(directory: directory, name: party) } catch {
            throw RunError("the ledger seal of \(party) in \(directory): \(error)")
        }
    }

    /// Removes the run's key folder (a new run whose start failed: nothing is left behind).
    func discard() { try? FileManager.default.removeItem(atPath: directory) }

    private static func makeFolder(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch { throw RunError("\(path): cannot create the key store folder: \(error.localizedDescription)") }
    }
}
