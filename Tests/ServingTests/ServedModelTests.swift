import Foundation
import Testing
@testable import Federation
@testable import Serving
import TensorCore

@Suite("ServedModel: only a model it can trust, answered as the model computes it")
struct ServedModelTests {
    @Test("a run's checkpoint, verified with the pinned key, answers the model's own softmax, with the signed class names")
    func loadsAndAnswers() throws {
        let s = try ServingScratch(); defer { s.remove() }
        let run = try s.run()
        let served = try ServedModel.load(runDirectory: run.directory, verifier: run.signer.verifier, encryption: nil)
        #expect(served.round == 4 && served.featureCount == 4 && served.classNames == ["low", "mid", "high"])
        #expect(served.keyFingerprint == run.signer.fingerprint && served.checkpointSHA256.count == 64 && served.strategy == "fedavg")
        #expect(served.provenance?.run == "serve-test" && served.provenance?.featureClip == 3)

        let records: [[Float]] = [[0.1, -1, 2, 0.5], [0, 0, 0, 0], [-2.5, 1.5, 0.25, -0.75]]
        let answers = served.probabilities(records)
        let logits = run.model.logits(for: Tensor(shape: [3, 4], scalars: records.flatMap { $0 }))
        for (i, p) in answers.enumerated() {
            #expect(abs(p.reduce(0, +) - 1) < 1e-12)
            let z = (0..<3).map { Double(logits[flat: i * 3 + $0]) }
            let m = z.max()!
            let expected = z.map { exp($0 - m) / z.map { exp($0 - m) }.reduce(0, +) }
            for c in 0..<3 { #expect(abs(p[c] - expected[c]) < 1e-12) }
        }
    }

    @Test("a tampered model, and one re-signed with the attacker's key copied into the folder, are refused naming the file")
    func refusesWhatItCannotTrust() throws {
        let s = try ServingScratch(); defer { s.remove() }
        let run = try s.run()
        let pinned = run.signer.verifier
        let file = run.directory + "/model.safetensors"
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
        bytes[bytes.count - 2] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        #expect(throws: CheckpointError.tampered(path: file, signature: file + ".sig")) {
            try ServedModel.load(runDirectory: run.directory, verifier: pinned, encryption: nil)
        }
        let attacker = CheckpointSigner(privateKey: .init())
        try Data(CheckpointSignature(signing: bytes, round: 4, with: attacker).encoded()).write(to: URL(fileURLWithPath: file + ".sig"))
        try Data(attacker.publicKey).write(to: URL(fileURLWithPath: run.directory + "/signing.pub"))
        #expect(throws: CheckpointError.signedByAnotherKey(signature: file + ".sig", found: attacker.fingerprint, expected: pinned.fingerprint)) {
            try ServedModel.load(runDirectory: run.directory, verifier: pinned, encryption: nil)
        }
        #expect(throws: CheckpointError.noCheckpoint(directory: s.path("empty"))) {
            try FileManager.default.createDirectory(atPath: s.path("empty"), withIntermediateDirectories: true)
            return try ServedModel.load(runDirectory: s.path("empty"), verifier: pinned, encryption: nil)
        }
    }

    @Test("a model encrypted at rest: served with its key (the same answers), refused without it, with another key, or with a key when it is plain")
    func encryptedAtRest() throws {
        let s = try ServingScratch(); defer { s.remove() }
        let key = try CheckpointEncryption(key: (0..<32).map { UInt8($0 * 7 % 256) })
        let run = try s.run(encryption: key)
        let file = run.directory + "/model.safetensors.enc"
        let stored = try Data(contentsOf: URL(fileURLWithPath: file))
        #expect(stored.range(of: Data("__metadata__".utf8)) == nil, "the weights file is not plain safetensors")
        #expect(!FileManager.default.fileExists(atPath: run.directory + "/model.safetensors"), "no plaintext copy")
        let served = try ServedModel.load(runDirectory: run.directory, verifier: run.signer.verifier, encryption: key)
        #expect(served.encryptedAtRest && served.round == 4)
        let records: [[Float]] = [[0.1, -1, 2, 0.5]]
        let logits = run.model.logits(for: Tensor(shape: [1, 4], scalars: records[0]))
        let best = (0..<3).max { logits[flat: $0] < logits[flat: $1] }!
        let answer = served.probabilities(records)[0]
        #expect(answer.firstIndex(of: answer.max()!) == best)

        let variable = CheckpointEncryption.environmentVariable
        #expect(throws: CheckpointError.encryptedCheckpointNeedsKey(path: file, variable: variable)) {
            try ServedModel.load(runDirectory: run.directory, verifier: run.signer.verifier, encryption: nil)
        }
        let other = try CheckpointEncryption(key: [UInt8](repeating: 1, count: 32))
        #expect(throws: CheckpointError.decryptionFailed(path: file, variable: variable)) {
            try ServedModel.load(runDirectory: run.directory, verifier: run.signer.verifier, encryption: other)
        }
        let plain = try ServingScratch(); defer { plain.remove() }
        let plainRun = try plain.run()
        #expect(throws: CheckpointError.notEncrypted(path: plainRun.directory + "/model.safetensors", variable: variable)) {
            try ServedModel.load(runDirectory: plainRun.directory, verifier: plainRun.signer.verifier, encryption: key)
        }
    }

    @Test("a signed model with a non-finite parameter is refused; unknown class names fall back to class-k")
    func nonFiniteAndNames() throws {
        let s = try ServingScratch(); defer { s.remove() }
        let run = try s.run(classNames: nil) { model in
            var p = model.parameters.scalars
            p[3] = .nan
            try! model.setParameters(Tensor(p))
        }
        #expect(throws: CheckpointError.self) {
            try ServedModel.load(runDirectory: run.directory, verifier: run.signer.verifier, encryption: nil)
        }
        let other = try ServingScratch(); defer { other.remove() }
        let plain = try other.run(classNames: nil)
        let served = try ServedModel.load(runDirectory: plain.directory, verifier: plain.signer.verifier, encryption: nil)
        #expect(served.classNames == ["class-0", "class-1", "class-2"])
    }
}
