import Foundation
@testable import Federation
import TensorCore

/// A temporary folder for serving tests (under the system's temporary directory); removed by `remove()`.
struct ServingScratch {
    let root: String

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-serving-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }

    func path(_ name: String) -> String { root + "/" + name }

    /// A run folder holding one signed checkpoint of a small MLP (4 features, 3 classes) with
    /// provenance, and the signer that made it (its private key kept in `keys/`, apart).
    /// With `encryption`, the checkpoint is encrypted at rest (AES-256-GCM) as `fedtop run --encrypt-checkpoints` writes it.
    func run(round: Int = 4, classNames: [String]? = ["low", "mid", "high"], encryption: CheckpointEncryption? = nil,
             parameters: ((inout Sequential) -> Void)? = nil)
        throws -> (directory: String, signer: CheckpointSigner, model: Sequential) {
        let directory = path("run"), keys = path("keys")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
        let signer = try CheckpointSigner.create(keyDirectory: keys, runDirectory: directory)
        var model = try ModelZoo.mlp(inputShape: [4], hidden: 5, classes: 3, seed: 9)
        parameters?(&model)
        let provenance = ModelProvenance(run: "serve-test", dataset: "toy", classNames: classNames, featureClip: 3,
                                         privacy: "sample", epsilonBudget: 3, delta: 1e-5)
        try CheckpointStore(directory: directory, signer: signer, encryptionKey: encryption)
            .save(model, round: round, metadata: provenance.metadata.merging(["fedtop.strategy": "fedavg"]) { $1 })
        return (directory, signer, model)
    }
}
