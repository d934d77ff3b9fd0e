import Datasets
import Privacy
import TensorCore

/// Centralised training on the tensor core, with or without sample-level DP-SGD (Abadi et al. 2016:
/// Poisson batches at rate q = batch / records, `round(1/q)` steps an epoch, σ calibrated on the RDP
/// accountant to a target ε, or given): the baseline of `fedtop run --central` and what
/// `bench utility` measures against the federation.
///
/// Contract: seeded initialisation and batch order; the outcome's ε per epoch is the RDP accountant's
/// at δ; a target no σ reaches throws ``FederationError/configuration(_:)``.
public struct CentralTraining: Sendable {
    public struct Privacy: Sendable {
        /// Target ε for the whole run (σ calibrated to it) or an explicit σ.
        public var targetEpsilon: Double?
        public var noiseMultiplier: Double?
        public var delta: Double
        public var clipNorm: Double
        /// nil: noise keyed from the kernel; a seed: reproducible (and reported as such).
        public var noiseSeed: UInt64?

        public init(targetEpsilon: Double?, noiseMultiplier: Double?, delta: Double, clipNorm: Double, noiseSeed: UInt64?) {
            self.targetEpsilon = targetEpsilon
            self.noiseMultiplier = noiseMultiplier
            self.delta = delta
            self.clipNorm = clipNorm
            self.noiseSeed = noiseSeed
        }
    }

    public struct Epoch: Sendable {
        public var epoch: Int
        public var trainLoss: Double
        public var testLoss: Double
        public var testAccuracy: Double
        public var samplesPerSecond: Double
        /// ε spent so far (DP runs).
        public var epsilon: Double?
    }

    public struct Outcome {
        public var model: Sequential
        public var epochs: [Epoch]
        /// The noise multiplier used (DP runs).
        public var noiseMultiplier: Double?
        public var secureNoise: Bool
    }

    public var modelKind: String
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Float
    public var momentum: Float
    public var seed: UInt64
    public var privacy: Privacy?

    public init(modelKind: String, epochs: Int, batchSize: Int, learningRate: Float, momentum: Float, seed: UInt64,
                privacy: Privacy?) {
        self.modelKind = modelKind
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.momentum = momentum
        self.seed = seed
        self.privacy = privacy
    }

    /// Trains on `train`, evaluates on `test` after each epoch and calls `progress` with it.
    public func run(train: Dataset, test: Dataset, progress: (Epoch) -> Void = { _ in }) throws -> Outcome {
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
                    throw FederationError.configuration("no noise multiplier reaches ε = \(target) in \(planned) steps at q = \(q)")
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
