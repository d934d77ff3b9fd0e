import Crypto
import Foundation
import Testing
@testable import Federation
import TensorCore

/// Loading a run's model with the public key alone (``CheckpointReader``, ``CheckpointVerifier``).
@Suite("Checkpoint reader: the public key alone, nothing written")
struct CheckpointReaderTests {
    /// Every file of the directory with its bytes and modification time.
    static func snapshot(_ directory: String) throws -> [String: (bytes: Data, modified: Date)] {
        var result: [String: (bytes: Data, modified: Date)] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            let path = directory + "/" + name
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            result[name] = (try Data(contentsOf: URL(fileURLWithPath: path)), attributes[.modificationDate] as! Date)
        }
        return result
    }

    @Test("with only signing.pub, plaintext and encrypted checkpoints load bit for bit, and the directory is left as it was")
    func loadsWithThePublicKey() throws {
        for encrypted in [false, true] {
            let run = try TestRun(encrypted: encrypted)
            defer { run.remove() }
            try run.save(round: 1)
            try run.save(round: 2)
            // A leftover temporary file (a save killed while staging): the reader must not remove it.
            try run.write([1, 2, 3], to: (encrypted ? "model.safetensors.enc" : "model.safetensors") + ".tmp-leftover")
            try FileManager.default.removeItem(atPath: run.path("signing.key"))
            let before = try Self.snapshot(run.directory)

            let verifier = try CheckpointVerifier.load(from: run.path("signing.pub"))
            #expect(verifier == run.signer.verifier && verifier.fingerprint == run.signer.fingerprint)
            let reader = CheckpointReader(directory: run.directory, verifier: verifier,
                                          encryption: encrypted ? try CheckpointEncryption(key: TestKey.bytes) : nil)
            var model = try TestRun.model(round: 0)
            let checkpoint = try reader.loadLatest(into: &model)
            #expect(checkpoint.round == 2 && checkpoint.metadata["fedtop.strategy"] == "fedadam")
            #expect(model.parameters == (try TestRun.model(round: 2)).parameters)

            let after = try Self.snapshot(run.directory)
            #expect(after.keys.sorted() == before.keys.sorted())
            for (name, file) in before {
                #expect(after[name]?.bytes == file.bytes && after[name]?.modified == file.modified, "\(name) changed")
            }
        }
    }

    @Test("a model re-signed by someone else is refused, even with their public key copied into the folder")
    func swappedKeyRefused() throws {
        let run = try TestRun()
        defer { run.remove() }
        try run.save(round: 1)
        let pinned = run.signer.verifier
        // The attacker edits the model, re-signs it with a key of their own and replaces signing.pub.
        let attacker = CheckpointSigner(privateKey: Curve25519.Signing.PrivateKey())
        var bytes = try run.bytes("model.safetensors")
        bytes[bytes.count - 1] ^= 0x01
        try run.write(bytes, to: "model.safetensors")
        try run.write(CheckpointSignature(signing: bytes, round: 1, with: attacker).encoded(), to: "model.safetensors.sig")
        try run.write(attacker.publicKey, to: "signing.pub")

        let reader = CheckpointReader(directory: run.directory, verifier: pinned, encryption: nil)
        #expect(throws: CheckpointError.signedByAnotherKey(signature: run.path("model.safetensors.sig"),
                                                           found: attacker.fingerprint, expected: pinned.fingerprint)) {
            try reader.loadLatest()
        }
        // Trusting the folder's own signing.pub is exactly what lets this through; the pinned key does not.
        let folderKey = try CheckpointVerifier.load(from: run.path("signing.pub"))
        #expect(folderKey != pinned)
        #expect(throws: Never.self) { try CheckpointReader(directory: run.directory, verifier: folderKey, encryption: nil).loadLatest() }
    }

    @Test("a tampered checkpoint, and an unsigned one, are refused by the reader as by the store")
    func tamperedAndUnsigned() throws {
        let run = try TestRun()
        defer { run.remove() }
        try run.save(round: 1)
        let reader = CheckpointReader(directory: run.directory, verifier: run.signer.verifier, encryption: nil)
        var bytes = try run.bytes("model.safetensors")
        bytes[100] ^= 0x40
        try run.write(bytes, to: "model.safetensors")
        #expect(throws: CheckpointError.tampered(path: run.path("model.safetensors"), signature: run.path("model.safetensors.sig"))) {
            try reader.loadLatest()
        }
        try FileManager.default.removeItem(atPath: run.path("model.safetensors.sig"))
        #expect(throws: CheckpointError.missingSignature(path: run.path("model.safetensors"), signature: run.path("model.safetensors.sig"))) {
            try reader.loadLatest()
        }
    }

    @Test("a missing or malformed public key file is refused, naming it")
    func keyFileErrors() throws {
        let run = try TestRun()
        defer { run.remove() }
        #expect(throws: CheckpointError.verifyingKeyMissing(path: run.path("nothing.pub"))) {
            try CheckpointVerifier.load(from: run.path("nothing.pub"))
        }
        for count in [0, 31, 33, 64] {
            try run.write([UInt8](repeating: 7, count: count), to: "short.pub")
            #expect(throws: CheckpointError.verifyingKeyMalformed(path: run.path("short.pub"), byteCount: count)) {
                try CheckpointVerifier.load(from: run.path("short.pub"))
            }
        }
        #expect(CheckpointError.verifyingKeyMalformed(path: "/x/signing.pub", byteCount: 31).description.contains("/x/signing.pub"))
    }
}
