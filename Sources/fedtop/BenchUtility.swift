import ArgumentParser
import Datasets
import Foundation
import Privacy
import TensorCore

/// `fedtop bench utility`: test accuracy of DP-SGD at several ε on the built-in real data, mean ± sd
/// over seeds, beside the Opacus anchors (centralised; the federated table follows with the engine).
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
    @Flag(help: "Train a federation of --hospitals IID hospitals, each at ε for its own records (instead of centrally).")
    var federated = false
    @Option(help: "With --federated: hospitals.") var hospitals = 3
    @Option(help: "With --federated: rounds (one local epoch each).") var rounds = 40
    @Option(help: "With --federated: the aggregation strategy (see fedtop run --strategy).") var strategy = "fedavg"

    static let anchors: [String: [String: String]] = [
        "digits": ["0": "0.978 ± 0.008", "8": "0.951 ± 0.015", "2": "0.827 ± 0.032", "1": "0.633 ± 0.053", "0.5": "0.434 ± 0.077"],
        "wdbc": ["0": "0.974 ± 0.015", "8": "0.958 ± 0.020", "2": "0.932 ± 0.036", "1": "0.904 ± 0.046", "0.5": "0.875 ± 0.053"],
    ]

    func validate() throws {
        guard seeds > 0, epochs > 0, batchSize > 0 else { throw ValidationError("--seeds, --epochs and --batch-size must be positive") }
        guard epsilons.split(separator: ",").allSatisfy({ Double($0).map { $0 >= 0 } ?? false }) else {
            throw ValidationError("--epsilons must be numbers ≥ 0, got '\(epsilons)'")
        }
    }

    func run() throws {
        if federated { return try runFederated() }
        print("DP-SGD utility, centralised: MLP 64 tanh, \(epochs) epochs, expected batch \(batchSize), lr \(learningRate) "
              + "(no DP: \(plainLearningRate)), momentum \(momentum), C \(clip), δ \(delta), \(seeds) seeds, 80/20 split")
        print(pad("data", 8) + pad("ε", 6) + pad("fedtop (mean ± sd)", 22) + pad("σ", 9) + "Opacus anchor")
        for name in datasets.split(separator: ",").map(String.init) {
            let data = try BuiltinDataset.named(name)
            for eps in epsilons.split(separator: ",").map(String.init) {
                let target = Double(eps)!
                var accuracies: [Double] = []
                var sigma: Double?
                for seed in 1...seeds {
                    let (rawTrain, rawTest) = data.split(testFraction: 0.2, seed: UInt64(seed))
                    let standardizer = Standardizer.fit(rawTrain)
                    let privacy = target > 0
                        ? CentralTraining.Privacy(targetEpsilon: target, noiseMultiplier: nil, delta: delta, clipNorm: clip, noiseSeed: nil)
                        : nil
                    let training = CentralTraining(modelKind: "mlp", epochs: epochs, batchSize: batchSize,
                                                   learningRate: target > 0 ? learningRate : plainLearningRate,
                                                   momentum: momentum, seed: UInt64(seed), privacy: privacy)
                    let outcome = try training.run(train: standardizer.apply(rawTrain), test: standardizer.apply(rawTest))
                    accuracies.append(outcome.epochs.last!.testAccuracy)
                    sigma = outcome.noiseMultiplier
                }
                printRow(dataset: name, epsilon: eps, accuracies: accuracies, sigma: sigma)
            }
        }
    }

    /// The federated table: `hospitals` IID hospitals, DP-SGD in each at ε for its own records, FedAvg.
    func runFederated() throws {
        print("DP-SGD utility, federated: \(hospitals) IID hospitals, \(strategy), MLP 64 tanh, \(rounds) rounds of one local epoch, "
              + "expected batch \(batchSize), lr \(learningRate) (no DP: \(plainLearningRate)), momentum \(momentum), C \(clip), "
              + "δ \(delta), \(seeds) seeds; each hospital standardises its own records; accuracy on the hospitals' test splits")
        print(pad("data", 8) + pad("ε", 6) + pad("fedtop (mean ± sd)", 22) + pad("σ", 9) + "Opacus anchor (centralised)")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-utility-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        for name in datasets.split(separator: ",").map(String.init) {
            for eps in epsilons.split(separator: ",").map(String.init) {
                let target = Double(eps)!
                var accuracies: [Double] = []
                var sigma: Double?
                for seed in 1...seeds {
                    var options = try FederationOptions.parse([])
                    options.hospitals = hospitals
                    options.dataset = name
                    options.model = "mlp"
                    options.rounds = rounds
                    options.localEpochs = 1
                    options.batchSize = batchSize
                    options.learningRate = target > 0 ? learningRate : plainLearningRate
                    options.momentum = momentum
                    options.strategy = strategy
                    options.dp = target > 0 ? "sample" : "off"
                    options.epsilon = target > 0 ? target : nil
                    options.delta = delta
                    options.clip = clip
                    options.seed = UInt64(seed)
                    options.out = "\(scratch)/\(name)-\(eps)-\(seed)"
                    let setup = try FederationSetup(options: options.resolved())
                    let (_, summaries) = setup.runQuietly()
                    guard let last = summaries.last?.evaluation else { throw UsageError("\(name) ε \(eps) seed \(seed): no round completed") }
                    accuracies.append(last.accuracy)
                    sigma = target > 0 ? setup.engine.configuration.noiseMultiplier : nil
                }
                printRow(dataset: name, epsilon: eps, accuracies: accuracies, sigma: sigma)
            }
        }
    }

    /// One row of the table: mean ± sample sd of the accuracies, σ, and the anchor.
    private func printRow(dataset: String, epsilon: String, accuracies: [Double], sigma: Double?) {
        let mean = accuracies.reduce(0, +) / Double(accuracies.count)
        let sd = (accuracies.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(1, accuracies.count - 1))).squareRoot()
        let privacy = (Double(epsilon) ?? 0) > 0
        print(pad(dataset, 8) + pad(privacy ? epsilon : "none", 6) + pad(String(format: "%.3f ± %.3f", mean, sd), 22)
              + pad(sigma.map { String(format: "%.3f", $0) } ?? "—", 9) + (BenchUtility.anchors[dataset]?[epsilon] ?? "—"))
        fflush(nil)
    }
}
