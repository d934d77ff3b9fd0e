import Datasets
import Privacy
import TensorCore

/// Centralised training on the tensor core, with or without sample-level DP-SGD: the baseline of
/// `fedtop run --central` and what `bench utility` measures against the federation.
struct CentralTraining {
    struct Privacy {
        /// Target ε for the whole run (σ calibrated to it) or an explicit σ.
        var targetEpsilon: Double?
        var noiseMultiplier: Double?
        var delta: Double
        var clipNorm: Double
        /// nil: noise keyed from the kernel; a seed: reproducible (and reported as such).
        var noiseSeed: UInt64?
    }

    struct Epoch {
        var epoch: Int
        var trainLoss: Double
        var testLoss: Double
        var testAccuracy: Double
        var samplesPerSecond: Double
        /// ε spent so far (DP runs).
        var epsilon: Double?
    }

    struct Outcome {
        var model: Sequential
        var epochs: [Epoch]
        /// The noise multiplier used (DP runs).
        var noiseMultiplier: Double?
        var secureNoise: Bool
    }

    var modelKind: String
    var epochs: Int
    var batchSize: Int
    var learningRate: Float
    var momentum: Float
    var seed: UInt64
    var privacy: Privacy?

    /// Trains on `train`, evaluates on `test` after each epoch and calls `progress` with it.
    func run(train: Dataset, test: Dataset, progress: (Epoch) -> Void = { _ in }) throws -> Outcome {
        var net = try ModelZoo.make(modelKind, inputShape: train.featureShape, classes: train.classNames.count, seed: seed)
        let computer = GradientComputer()
        var optimizer = SGD(learningRate: learningRate, momentum: momentum)
        var history: [Epoch] = []
        var dp: DPSGD?
        var accountant = RDPAccountant()
        var sigma: Double?
        let q = min(1, Double(batchSize) / Double(train.count))
        let stepsPerEpoch = Int((1 / q).rounded())
        if let privacy {
            let planned = stepsPerEpoch * epochs
            if let noise = privacy.noiseMultiplier {
                sigma = noise
            } else if let target = privacy.targetEpsilon {
                guard let calibrated = try Calibration.noiseMultiplier(targetEpsilon: target, sampleRate: q, steps: planned,
                                                                      delta: privacy.delta) else {
                    throw UsageError("no noise multiplier reaches ε = \(target) in \(planned) steps at q = \(q)")
                }
                sigma = calibrated
            }
            dp = try DPSGD(settings: try DPSGDSettings(noiseMultiplier: sigma ?? 0, clipNorm: privacy.clipNorm, sampleRate: q),
                           seed: privacy.noiseSeed)
        }
        var order = SeededGenerator(seed: seed, stream: 77)
        for epoch in 1...epochs {
            let clock = ContinuousClock.now
            var lossSum = 0.0, seen = 0
            if var d = dp {
                for _ in 0..<stepsPerEpoch {
                    let g = d.step(model: &net, features: train.features, labels: train.labels, optimizer: &optimizer,
                                   computer: computer)
                    lossSum += g.lossSum
                    seen += g.count - g.droppedCount
                }
                dp = d
                accountant.compose(try PrivacySegment(sampleRate: q, noiseMultiplier: sigma ?? 0, steps: stepsPerEpoch))
            } else {
                var indices = Array(0..<train.count)
                indices.shuffle(using: &order)
                for start in stride(from: 0, to: indices.count, by: batchSize) {
                    let batch = Array(indices[start..<min(start + batchSize, indices.count)])
                    var g = computer.compute(model: net, inputs: train.features.gathering(batch),
                                             labels: batch.map { train.labels[$0] })
                    lossSum += g.lossSum
                    seen += g.count
                    g.gradient.scale(by: 1 / Float(g.count))
                    optimizer.step(parameters: &net.parameters, gradient: g.gradient)
                }
            }
            let elapsed = ContinuousClock.now - clock
            let seconds = elapsed / .seconds(1)
            let eval = SoftmaxCrossEntropy.evaluate(logits: net.logits(for: test.features), labels: test.labels[...],
                                                    computeGradient: false)
            let record = Epoch(epoch: epoch, trainLoss: lossSum / Double(max(seen, 1)),
                               testLoss: eval.lossSum / Double(max(test.count, 1)),
                               testAccuracy: Double(eval.correct) / Double(max(test.count, 1)),
                               samplesPerSecond: Double(seen) / max(seconds, 1e-9),
                               epsilon: privacy.map { accountant.epsilon(delta: $0.delta).epsilon })
            history.append(record)
            progress(record)
        }
        return Outcome(model: net, epochs: history, noiseMultiplier: sigma, secureNoise: dp?.isSecure ?? false)
    }
}
