import RunConfiguration
import ArgumentParser
import Datasets
import Federation
import Foundation
import Privacy
import TensorCore

/// `fedtop bench utility`: test accuracy of DP-SGD at several ε on the built-in real data, mean ± sd
/// over seeds, centralised or in a federation of IID hospitals, beside the Opacus anchors — or, with
/// `--opacus PYTHON`, beside Opacus itself run in the same invocation on the same records
/// (``OpacusReference``), with the difference and its 95 % interval.
struct BenchUtility: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "utility", abstract: "Accuracy of DP-SGD at ε = 8, 2, 1, 0.5 on digits and WDBC (mean ± sd over seeds).")

    @Option(help: "Datasets, comma-separated.") var datasets = "digits,wdbc"
    @Option(help: "Target ε values, comma-separated (0: no privacy).") var epsilons = "0,8,2,1,0.5"
    @Option(help: "Seeds per cell.") var seeds = 5
    @Option(help: "Epochs.") var epochs = 40
    @Option(help: "Expected batch size.") var batchSize = 64
    @Option(help: "Learning rate with DP (without DP: --plain-learning-rate).") var learningRate: Float = 0.5
    @Option(help: "Learning rate without DP.") var plainLearningRate: Float = 0.1
    @Option(help: "SGD momentum.") var momentum: Float = 0
    @Option(help: "Per-sample clip norm C.") var clip = 1.0
    @Option(help: "δ.") var delta = 1e-5
    @Option(help: "Clamp standardised features to ±this many standard deviations (default: no bound).") var featureClip: Double?
    @Flag(help: "Train a federation of --hospitals IID hospitals, each at ε for its own records (instead of centrally).")
    var federated = false
    @Option(help: "With --federated: hospitals.") var hospitals = 3
    @Option(help: "With --federated: rounds (one local epoch each).") var rounds = 40
    @Option(help: "With --federated: the aggregation strategy (see fedtop run --strategy).") var strategy = "fedavg"
    @Option(help: "A Python interpreter with torch and opacus: run the anchors' centralised Opacus recipe beside fedtop, same seeds count, same records.")
    var opacus: String?

    static let anchors: [String: [String: String]] = [
        "digits": ["0": "0.978 ± 0.008", "8": "0.951 ± 0.015", "2": "0.827 ± 0.032", "1": "0.633 ± 0.053", "0.5": "0.434 ± 0.077"],
        "wdbc": ["0": "0.974 ± 0.015", "8": "0.958 ± 0.020", "2": "0.932 ± 0.036", "1": "0.904 ± 0.046", "0.5": "0.875 ± 0.053"],
    ]

    func validate() throws {
        guard seeds > 0, epochs > 0, batchSize > 0 else { throw ValidationError("--seeds, --epochs and --batch-size must be positive") }
        if let featureClip, !Standardizer.isValidClip(featureClip) {
            throw ValidationError("--feature-clip \(featureClip): must be a positive number of standard deviations")
        }
        if let opacus, !FileManager.default.isExecutableFile(atPath: opacus) {
            throw ValidationError("--opacus \(opacus): no executable there (give a Python interpreter with torch and opacus)")
        }
        guard epsilons.split(separator: ",").allSatisfy({ Double($0).map { $0 >= 0 } ?? false }) else {
            throw ValidationError("--epsilons must be numbers ≥ 0, got '\(epsilons)'")
        }
    }

    func run() throws {
        if federated { return try runFederated() }
        print("DP-SGD utility, centralised: MLP 64 tanh, \(epochs) epochs, expected batch \(batchSize), lr \(learningRate) "
              + "(no DP: \(plainLearningRate)), momentum \(momentum), C \(clip), δ \(delta), \(seeds) seeds, 80/20 split" + clampNote)
        print(pad("data", 8) + pad("ε", 6) + pad("fedtop (mean ± sd)", 22) + pad("σ", 9) + referenceHeading)
        for name in datasets.split(separator: ",").map(String.init) {
            let data = try BuiltinDataset.named(name)
            for eps in epsilons.split(separator: ",").map(String.init) {
                let target = Double(eps)!
                var accuracies: [Double] = []
                var sigma: Double?
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
                    accuracies.append(outcome.epochs.last!.testAccuracy)
                    sigma = outcome.noiseMultiplier
                }
                try printRow(dataset: name, epsilon: eps, accuracies: accuracies, sigma: sigma)
            }
        }
    }

    /// The federated table: `hospitals` IID hospitals, DP-SGD in each at ε for its own records, FedAvg.
    func runFederated() throws {
        print("DP-SGD utility, federated: \(hospitals) IID hospitals, \(strategy), MLP 64 tanh, \(rounds) rounds of one local epoch, "
              + "expected batch \(batchSize), lr \(learningRate) (no DP: \(plainLearningRate)), momentum \(momentum), C \(clip), "
              + "δ \(delta), \(seeds) seeds; each hospital standardises its own records\(clampNote); accuracy on the hospitals' test splits")
        print(pad("data", 8) + pad("ε", 6) + pad("fedtop (mean ± sd)", 22) + pad("σ", 9) + referenceHeading)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-utility-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        for name in datasets.split(separator: ",").map(String.init) {
            for eps in epsilons.split(separator: ",").map(String.init) {
                let target = Double(eps)!
                var accuracies: [Double] = []
                var sigma: Double?
                for seed in 1...seeds {
                    var options = RunOptions()
                    options[.hospitals] = .integer(hospitals)
                    options[.dataset] = .string(name)
                    options[.model] = .string("mlp")
                    options[.rounds] = .integer(rounds)
                    options[.localEpochs] = .integer(1)
                    options[.batchSize] = .integer(batchSize)
                    options[.learningRate] = .number(Double(target > 0 ? learningRate : plainLearningRate))
                    options[.momentum] = .number(Double(momentum))
                    options[.strategy] = .string(strategy)
                    options[.dp] = .string(target > 0 ? "sample" : "off")
                    options[.epsilon] = target > 0 ? .number(target) : nil
                    options[.delta] = .number(delta)
                    options[.clip] = .number(clip)
                    options[.seed] = .seed(UInt64(seed))
                    options[.featureClip] = featureClip.map(RunOption.Value.number)
                    options[.out] = .string("\(scratch)/\(name)-\(eps)-\(seed)")
                    let setup = try FederationSetup(options: RunPlan(options: options))
                    defer { setup.keys.discard() }
                    let (_, summaries) = setup.runQuietly()
                    guard let last = summaries.last?.evaluation else { throw UsageError("\(name) ε \(eps) seed \(seed): no round completed") }
                    accuracies.append(last.accuracy)
                    sigma = target > 0 ? setup.engine.configuration.noiseMultiplier : nil
                }
                try printRow(dataset: name, epsilon: eps, accuracies: accuracies, sigma: sigma)
            }
        }
    }

    /// The feature clamp, as the heading says it.
    private var clampNote: String { featureClip.map { ", features clamped to ±\($0) sd" } ?? "" }

    /// The last column's heading: the anchors, or Opacus measured now.
    private var referenceHeading: String {
        opacus == nil ? "Opacus anchor (centralised, 5 seeds)"
            : pad("Opacus here (centralised, \(seeds) seeds)", 40) + "fedtop − Opacus (95 % CI)"
    }

    /// One row of the table: mean ± sample sd of the accuracies, σ, and the reference — the anchor,
    /// or with `--opacus` Opacus's accuracies over as many seeds and the difference of the means with
    /// its 95 % interval (Welch's standard error, normal quantile).
    private func printRow(dataset: String, epsilon: String, accuracies: [Double], sigma: Double?) throws {
        let privacy = (Double(epsilon) ?? 0) > 0
        var reference = BenchUtility.anchors[dataset]?[epsilon] ?? "—"
        if let opacus {
            let theirs = try OpacusReference(python: opacus).accuracies(dataset: try BuiltinDataset.named(dataset),
                                                                         epsilon: privacy ? Double(epsilon) : nil, seeds: seeds)
            let (m1, s1) = Self.meanAndSD(accuracies), (m2, s2) = Self.meanAndSD(theirs)
            let se = (s1 * s1 / Double(accuracies.count) + s2 * s2 / Double(theirs.count)).squareRoot()
            reference = pad(String(format: "%.3f ± %.3f", m2, s2), 40)
                + String(format: "%+.3f [%+.3f, %+.3f]", m1 - m2, m1 - m2 - 1.96 * se, m1 - m2 + 1.96 * se)
        }
        let (mean, sd) = Self.meanAndSD(accuracies)
        print(pad(dataset, 8) + pad(privacy ? epsilon : "none", 6) + pad(String(format: "%.3f ± %.3f", mean, sd), 22)
              + pad(sigma.map { String(format: "%.3f", $0) } ?? "—", 9) + reference)
        fflush(nil)
    }

    /// Mean and sample standard deviation.
    static func meanAndSD(_ x: [Double]) -> (mean: Double, sd: Double) {
        let mean = x.reduce(0, +) / Double(max(1, x.count))
        let sd = (x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(1, x.count - 1))).squareRoot()
        return (mean, sd)
    }
}
