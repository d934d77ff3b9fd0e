import Datasets
import Federation
import Foundation

/// Test accuracy of DP-SGD (Abadi et al. 2016) at a target ε on built-in real data (`fedtop bench
/// utility`), one cell of the table at a time: centralised (``CentralTraining``, an 80/20 split per
/// seed, features standardised on the training split) or in a federation of IID hospitals, each at ε
/// for its own records and standardising its own records; beside the project's Opacus anchors or
/// Opacus itself (``OpacusReference``).
///
/// Contract: seeds `1...seeds`; ε = 0 trains without DP at `plainLearningRate`; a cell's σ is the one
/// the last seed trained with (nil without DP).
public struct DPSGDUtility: Sendable {
    /// One cell: an accuracy per seed and σ.
    public struct Cell: Sendable {
        public var accuracies: [Double]
        public var sigma: Double?
    }

    /// The difference of two cells' means with its 95 % interval (Welch's standard error, normal quantile).
    public struct Comparison: Sendable {
        public var mean: Double
        public var sd: Double
        public var difference: Double
        public var low: Double
        public var high: Double

        /// `ours` against `theirs`: `mean` and `sd` are theirs, the difference is ours − theirs.
        public init(ours: [Double], theirs: [Double]) {
            let (m1, s1) = DPSGDUtility.meanAndSD(ours), (m2, s2) = DPSGDUtility.meanAndSD(theirs)
            let se = (s1 * s1 / Double(ours.count) + s2 * s2 / Double(theirs.count)).squareRoot()
            mean = m2
            sd = s2
            difference = m1 - m2
            low = difference - 1.96 * se
            high = difference + 1.96 * se
        }
    }

    /// The Opacus anchors (centralised, 5 seeds, `shared/anchors`), mean ± sd by dataset and ε as typed.
    public static let anchors: [String: [String: String]] = [
        "digits": ["0": "0.978 ± 0.008", "8": "0.951 ± 0.015", "2": "0.827 ± 0.032", "1": "0.633 ± 0.053", "0.5": "0.434 ± 0.077"],
        "wdbc": ["0": "0.974 ± 0.015", "8": "0.958 ± 0.020", "2": "0.932 ± 0.036", "1": "0.904 ± 0.046", "0.5": "0.875 ± 0.053"],
    ]

    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Float
    public var plainLearningRate: Float
    public var momentum: Float
    public var clip: Double
    public var delta: Double
    public var featureClip: Double?

    public init(epochs: Int, batchSize: Int, learningRate: Float, plainLearningRate: Float, momentum: Float, clip: Double,
                delta: Double, featureClip: Double?) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.plainLearningRate = plainLearningRate
        self.momentum = momentum
        self.clip = clip
        self.delta = delta
        self.featureClip = featureClip
    }

    /// Centralised training on the built-in dataset `name` at target ε, `epochs` epochs per seed.
    public func central(dataset name: String, epsilon target: Double, seeds: Int) throws -> Cell {
        let data = try BuiltinDataset.named(name)
        var cell = Cell(accuracies: [], sigma: nil)
        for seed in 1...seeds {
            let (rawTrain, rawTest) = data.split(testFraction: 0.2, seed: UInt64(seed))
            let standardized = HospitalShares.standardized(HospitalData(train: rawTrain, test: rawTest),
                                                           featureClip: featureClip.map { Float($0) })
            let privacy = target > 0
                ? CentralTraining.Privacy(targetEpsilon: target, noiseMultiplier: nil, delta: delta, clipNorm: clip, noiseSeed: nil)
                : nil
            let training = CentralTraining(modelKind: "mlp", epochs: epochs, batchSize: batchSize,
                                           learningRate: target > 0 ? learningRate : plainLearningRate,
                                           momentum: momentum, seed: UInt64(seed), privacy: privacy)
            let outcome = try training.run(train: standardized.train, test: standardized.test)
            cell.accuracies.append(outcome.epochs.last!.testAccuracy)
            cell.sigma = outcome.noiseMultiplier
        }
        return cell
    }

    /// A federation of `hospitals` IID hospitals with `strategy`, `rounds` rounds of one local epoch,
    /// built by `factory`; accuracy on the hospitals' test splits after the last round. Run folders
    /// go under `scratch` (named by `epsilonLabel`, the ε as typed).
    public func federated(dataset name: String, epsilon target: Double, epsilonLabel: String, seeds: Int, hospitals: Int,
                          rounds: Int, strategy: String, scratch: String, factory: some BenchFederationFactory) throws -> Cell {
        var cell = Cell(accuracies: [], sigma: nil)
        for seed in 1...seeds {
            let spec = BenchFederationSpec(
                dataset: name, hospitals: hospitals, rounds: rounds, localEpochs: 1, batchSize: batchSize, model: "mlp",
                learningRate: target > 0 ? learningRate : plainLearningRate, momentum: momentum, strategy: strategy,
                epsilon: target > 0 ? target : nil, delta: delta, clip: clip, featureClip: featureClip, seed: UInt64(seed),
                out: "\(scratch)/\(name)-\(epsilonLabel)-\(seed)")
            let federation = try factory.federation(spec)
            defer { federation.release() }
            let (_, events) = federation.run()
            let last = events.last { if case .roundCompleted = $0.kind { true } else { false } }
            guard case .roundCompleted(let summary)? = last?.kind, let evaluation = summary.evaluation else {
                throw BenchmarkError("\(name) ε \(epsilonLabel) seed \(seed): no round completed")
            }
            cell.accuracies.append(evaluation.accuracy)
            cell.sigma = target > 0 ? federation.engine.configuration.noiseMultiplier : nil
        }
        return cell
    }

    /// Mean and sample standard deviation.
    public static func meanAndSD(_ x: [Double]) -> (mean: Double, sd: Double) {
        let mean = x.reduce(0, +) / Double(max(1, x.count))
        let sd = (x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(1, x.count - 1))).squareRoot()
        return (mean, sd)
    }
}
