import Datasets
import Federation
import TensorCore
@testable import Audit

/// Small synthetic data and models for the attacks' constructed cases.
enum AuditFixture {
    /// `n` records of `features` Gaussian features; labels random (nothing to learn: what a model
    /// gets right on members it memorised) or, with `learnable`, the sign of the first feature.
    static func records(_ n: Int, features: Int = 16, classes: Int = 2, learnable: Bool = false, seed: UInt64) -> Dataset {
        var g = SeededGenerator(seed: seed)
        var x = [Float](repeating: 0, count: n * features)
        var y = [Int](repeating: 0, count: n)
        for i in 0..<n {
            for j in 0..<features { x[i * features + j] = Float(g.nextNormal()) }
            y[i] = learnable ? (x[i * features] > 0 ? 1 : 0) : Int(g.next() % UInt64(classes))
        }
        return Dataset(name: "synthetic", features: Tensor(shape: [n, features], scalars: x), labels: y,
                       classNames: (0..<classes).map { "c\($0)" })
    }

    static func mlp(features: Int = 16, classes: Int = 2, hidden: Int = 64, seed: UInt64) -> Sequential {
        try! ModelZoo.mlp(inputShape: [features], hidden: hidden, classes: classes, seed: seed)
    }

    /// `model` trained on `train` without DP for `epochs` epochs (as a simulated hospital would).
    static func trained(_ model: Sequential, on train: Dataset, epochs: Int, learningRate: Float = 0.1, seed: UInt64 = 1) -> Sequential {
        let hospital = try! LocalHospital(name: "fixture", data: HospitalData(train: train, test: train.subset([0])),
                                          architecture: model, privacy: nil, seed: seed, gate: ComputeGate())
        let update = try! hospital.train(globalModel: model.parameters,
                                         settings: RoundSettings(round: 1, localEpochs: epochs, batchSize: 16, learningRate: learningRate,
                                                                 momentum: 0.9, samplePrivacy: nil)) { _ in }
        var out = model
        var p = model.parameters
        p.add(update.delta, scaledBy: 1)
        try! out.setParameters(p)
        return out
    }
}
