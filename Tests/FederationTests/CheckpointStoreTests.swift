import Crypto
import Foundation
import Testing
@testable import Federation
import TensorCore

@Suite("Checkpoint store")
struct CheckpointStoreTests {
    @Test("a plaintext checkpoint round-trips: parameters bit for bit, server state, metadata and round")
    func plaintextRoundTrip() throws {
        let run = try TestRun()
        defer { run.remove() }
        try run.save(round: 3)
        #expect(run.files == ["model.safetensors", "model.safetensors.sig", "signing.key", "signing.pub"])

        let checkpoint = try run.store.loadLatest()
        #expect(checkpoint.round == 3 && checkpoint.path == run.path("model.safetensors"))
        #expect(checkpoint.metadata["fedtop.round"] == "3" && checkpoint.metadata["fedtop.strategy"] == "fedadam")
        #expect(checkpoint.metadata["fedtop.model"] == "mlp")
        #expect(checkpoint.tensors["server.m"] == Tensor([3, 1, 2]))
        #expect(checkpoint.tensors["server.v"] == Tensor(shape: [1, 2], scalars: [1.5, 3]))

        var model = try TestRun.model(round: 0)
        try run.store.loadLatest(into: &model)
        #expect(model.parameters == (try TestRun.model(round: 3)).parameters)
        // The file is a plain safetensors file that any safetensors reader (PyTorch's too) opens.
        #expect(try SafeTensors(contentsOf: run.path("model.safetensors"))["fc1.weight"] != nil)
    }

    @Test("an encrypted checkpoint round-trips, and no plaintext model is on disk")
    func encryptedRoundTrip() throws {
        let run = try TestRun(encrypted: true)
        defer { run.remove() }
        try run.save(round: 2)
        #expect(run.files == ["model.safetensors.enc", "model.safetensors.enc.sig", "signing.key", "signing.pub"])
        let ciphertext = try run.bytes("model.safetensors.enc")
        #expect(!String(decoding: ciphertext, as: UTF8.self).contains("fedtop.round"))
        #expect(throws: (any Error).self) { try SafeTensors(decoding: ciphertext, source: "enc") }

        var model = try TestRun.model(round: 0)
        let checkpoint = try run.store.loadLatest(into: &model)
        #expect(checkpoint.round == 2 && checkpoint.tensors["server.m"] == Tensor([2, 1, 2]))
        #expect(model.parameters == (try TestRun.model(round: 2)).parameters)
    }

    @Test("the signature file is Ed25519 over the SHA-256 of the file's bytes, checkable with the public key alone")
    func signatureFormat() throws {
        for encrypted in [false, true] {
            let run = try TestRun(encrypted: encrypted)
            defer { run.remove() }
            try run.save(round: 5)
            let name = encrypted ? "model.safetensors.enc" : "model.safetensors"
            let sidecar = try JSONSerialization.jsonObject(with: Data(try run.bytes(name + ".sig"))) as! [String: Any]
            let digest = Array(SHA256.hash(data: try run.bytes(name)))
            #expect(sidecar["round"] as? Int == 5)
            #expect(sidecar["sha256"] as? String == digest.map { String(format: "%02x", $0) }.joined())
            #expect(sidecar["key"] as? String == run.signer.fingerprint)
            let publicKey = try Curve25519.Signing.PublicKey(rawRepresentation: try run.bytes("signing.pub"))
            let signature = try #require(Data(base64Encoded: sidecar["signature"] as! String))
            #expect(publicKey.isValidSignature(signature, for: digest))
        }
    }

    @Test("each save moves the last complete pair to model.prev.*; the latest round loads")
    func previousPairKept() throws {
        let run = try TestRun()
        defer { run.remove() }
        for round in 1...3 { try run.save(round: round) }
        #expect(run.files == ["model.prev.safetensors", "model.prev.safetensors.sig", "model.safetensors",
                              "model.safetensors.sig", "signing.key", "signing.pub"])
        #expect(try run.store.loadLatest().round == 3)
        let previous = try SafeTensors(contentsOf: run.path("model.prev.safetensors"))
        #expect(previous.metadata["fedtop.round"] == "2")
    }

    @Test("a byte changed in the checkpoint file is refused as tampered, naming the file and its signature")
    func tamperedByte() throws {
        for encrypted in [false, true] {
            let run = try TestRun(encrypted: encrypted)
            defer { run.remove() }
            try run.save(round: 1)
            try run.save(round: 2)
            let name = encrypted ? "model.safetensors.enc" : "model.safetensors"
            var bytes = try run.bytes(name)
            bytes[bytes.count - 3] ^= 0x01
            try run.write(bytes, to: name)
            #expect(throws: CheckpointError.tampered(path: run.path(name), signature: run.path(name + ".sig"))) {
                try run.store.loadLatest()
            }
            // Not silently rolled back to the previous round either, and a save refuses to bury the evidence.
            #expect(throws: CheckpointError.self) { try run.save(round: 3) }
            #expect(try run.bytes(name) == bytes)
        }
    }

    @Test("a truncated checkpoint file is refused as truncated, with both lengths")
    func truncatedFile() throws {
        let run = try TestRun()
        defer { run.remove() }
        try run.save(round: 1)
        let bytes = try run.bytes("model.safetensors")
        try run.write(Array(bytes.prefix(bytes.count - 17)), to: "model.safetensors")
        let expected = CheckpointError.truncated(path: run.path("model.safetensors"),
                                                 signature: run.path("model.safetensors.sig"),
                                                 expectedBytes: bytes.count, foundBytes: bytes.count - 17)
        #expect(throws: expected) { try run.store.loadLatest() }
        #expect(expected.description.contains("model.safetensors") && expected.description.contains("truncated"))
    }

    @Test("a signature made with another key is refused, whether it names that key or forges this one's")
    func anotherKey() throws {
        let run = try TestRun()
        defer { run.remove() }
        try run.save(round: 1)
        let other = CheckpointSigner(privateKey: Curve25519.Signing.PrivateKey())

        let otherStore = CheckpointStore(directory: run.directory, signer: other, encryptionKey: nil)
        #expect(throws: CheckpointError.signedByAnotherKey(signature: run.path("model.safetensors.sig"),
                                                           found: run.signer.fingerprint, expected: other.fingerprint)) {
            try otherStore.loadLatest()
        }

        // Re-signed by the other key, with this run's fingerprint written in: the signature fails.
        var forged = CheckpointSignature(signing: try run.bytes("model.safetensors"), round: 1, with: other)
        forged.key = run.signer.fingerprint
        try run.write(forged.encoded(), to: "model.safetensors.sig")
        #expect(throws: CheckpointError.badSignature(signature: run.path("model.safetensors.sig"))) {
            try run.store.loadLatest()
        }
    }

    @Test("a modified file re-hashed into the signature file does not verify")
    func rehashedSignature() throws {
        let run = try TestRun()
        defer { run.remove() }
        try run.save(round: 1)
        var bytes = try run.bytes("model.safetensors")
        bytes[bytes.count - 1] ^= 0x80
        try run.write(bytes, to: "model.safetensors")
        let sidecarPath = run.path("model.safetensors.sig")
        var sidecar = try JSONDecoder().decode(CheckpointSignature.self, from: Data(try run.bytes("model.safetensors.sig")))
        sidecar.sha256 = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        try run.write(sidecar.encoded(), to: "model.safetensors.sig")
        #expect(throws: CheckpointError.badSignature(signature: sidecarPath)) { try run.store.loadLatest() }
    }

    @Test("the unsigned round in the signature file is checked against the signed file's own round")
    func editedRound() throws {
        let run = try TestRun()
        defer { run.remove() }
        try run.save(round: 4)
        var sidecar = try JSONDecoder().decode(CheckpointSignature.self, from: Data(try run.bytes("model.safetensors.sig")))
        sidecar.round = 9
        try run.write(sidecar.encoded(), to: "model.safetensors.sig")
        #expect(throws: CheckpointError.roundMismatch(path: run.path("model.safetensors"),
                                                      signature: run.path("model.safetensors.sig"),
                                                      signedRound: 9, storedRound: "4")) {
            try run.store.loadLatest()
        }
    }

    @Test("a checkpoint without its signature file, or a signature without its file, is refused")
    func missingHalves() throws {
        let run = try TestRun()
        defer { run.remove() }
        try run.save(round: 1)
        let sidecar = try run.bytes("model.safetensors.sig")
        try FileManager.default.removeItem(atPath: run.path("model.safetensors.sig"))
        #expect(throws: CheckpointError.missingSignature(path: run.path("model.safetensors"),
                                                         signature: run.path("model.safetensors.sig"))) {
            try run.store.loadLatest()
        }
        try run.write(sidecar, to: "model.safetensors.sig")
        try FileManager.default.removeItem(atPath: run.path("model.safetensors"))
        #expect(throws: CheckpointError.missingCheckpointFile(path: run.path("model.safetensors"),
                                                              signature: run.path("model.safetensors.sig"))) {
            try run.store.loadLatest()
        }
    }

    @Test("a damaged signature file is refused as malformed, naming it")
    func malformedSignature() throws {
        let run = try TestRun()
        defer { run.remove() }
        try run.save(round: 1)
        let sidecar = try run.bytes("model.safetensors.sig")
        try run.write(Array(sidecar.prefix(40)), to: "model.safetensors.sig")
        do {
            _ = try run.store.loadLatest()
            Issue.record("a damaged signature file loaded")
        } catch {
            guard case let .malformedSignature(path, _) = error else { Issue.record("\(error)"); return }
            #expect(path == run.path("model.safetensors.sig"))
        }
    }

    @Test("an empty run directory has no checkpoint; one of the other mode says which key setting fits")
    func modes() throws {
        let plain = try TestRun()
        defer { plain.remove() }
        #expect(throws: CheckpointError.noCheckpoint(directory: plain.directory)) { try plain.store.loadLatest() }
        try plain.save(round: 1)
        let encryptedStore = CheckpointStore(directory: plain.directory, signer: plain.signer,
                                             encryptionKey: try CheckpointEncryption(key: TestKey.bytes))
        #expect(throws: CheckpointError.notEncrypted(path: plain.path("model.safetensors"),
                                                     variable: "FEDTOP_CHECKPOINT_KEY")) {
            try encryptedStore.loadLatest()
        }

        let encrypted = try TestRun(encrypted: true)
        defer { encrypted.remove() }
        try encrypted.save(round: 1)
        let plainStore = CheckpointStore(directory: encrypted.directory, signer: encrypted.signer, encryptionKey: nil)
        #expect(throws: CheckpointError.encryptedCheckpointNeedsKey(path: encrypted.path("model.safetensors.enc"),
                                                                    variable: "FEDTOP_CHECKPOINT_KEY")) {
            try plainStore.loadLatest()
        }
    }

    @Test("a checkpoint encrypted under another key is refused as a decryption failure naming the file and variable")
    func wrongEncryptionKey() throws {
        let run = try TestRun(encrypted: true)
        defer { run.remove() }
        try run.save(round: 1)
        let wrong = CheckpointStore(directory: run.directory, signer: run.signer,
                                    encryptionKey: try CheckpointEncryption(key: [UInt8](repeating: 9, count: 32)))
        let expected = CheckpointError.decryptionFailed(path: run.path("model.safetensors.enc"),
                                                        variable: "FEDTOP_CHECKPOINT_KEY")
        #expect(throws: expected) { try wrong.loadLatest() }
        #expect(expected.description.contains("FEDTOP_CHECKPOINT_KEY"))
    }

    @Test("asking for encryption without the key is an error naming the variable, and nothing is written")
    func encryptionWithoutKey() throws {
        let directory = try makeRunDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let signer = try CheckpointSigner.create(inRunDirectory: directory)
        #expect(throws: CheckpointError.encryptionKeyMissing(variable: "FEDTOP_CHECKPOINT_KEY")) {
            _ = try CheckpointStore(directory: directory, signer: signer, encryptAtRest: true, environment: [:])
        }
        do {
            _ = try CheckpointStore(directory: directory, signer: signer, encryptAtRest: true,
                                    environment: ["FEDTOP_CHECKPOINT_KEY": "not-a-key"])
            Issue.record("a malformed key was accepted")
        } catch {
            guard case .encryptionKeyMalformed(variable: "FEDTOP_CHECKPOINT_KEY", _) = error else {
                Issue.record("\(error)"); return
            }
            #expect(!error.description.contains("not-a-key"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["signing.key", "signing.pub"])

        let store = try CheckpointStore(directory: directory, signer: signer, encryptAtRest: true,
                                        environment: ["FEDTOP_CHECKPOINT_KEY": TestKey.hex])
        try store.save(TestRun.model(round: 1), round: 1)
        #expect(FileManager.default.fileExists(atPath: directory + "/model.safetensors.enc"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/model.safetensors"))
    }

    @Test("content that cannot be encoded is refused before anything is written; the previous checkpoint stays")
    func invalidContent() throws {
        let run = try TestRun()
        defer { run.remove() }
        try run.save(round: 1)
        let before = try run.bytes("model.safetensors")
        let clash = [(name: "fc1.weight", tensor: Tensor([1]))]
        #expect(throws: CheckpointError.self) { try run.store.save(TestRun.model(round: 2), round: 2, serverState: clash) }
        #expect(try run.bytes("model.safetensors") == before)
        #expect(run.files == ["model.safetensors", "model.safetensors.sig", "signing.key", "signing.pub"])
    }

    @Test("a verified checkpoint of another model kind is refused, leaving the model unchanged")
    func modelMismatch() throws {
        let run = try TestRun()
        defer { run.remove() }
        try run.save(round: 1)
        var other = try ModelZoo.logisticRegression(inputShape: [4], classes: 2, seed: 1)
        let before = other.parameters
        #expect(throws: CheckpointError.modelMismatch(path: run.path("model.safetensors"),
                                                      reason: "it holds model kind mlp, not logistic")) {
            try run.store.loadLatest(into: &other)
        }
        #expect(other.parameters == before)
    }
}
