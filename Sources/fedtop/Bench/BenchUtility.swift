import ArgumentParser
import Benchmarks
import Datasets
import Foundation

/// `fedtop bench utility`: test accuracy of DP-SGD at several ε on the built-in real data, mean ± sd
/// over seeds, centralised or in a federation of IID hospitals (``DPSGDUtility``), beside the Opacus
/// anchors — or, with `--opacus PYTHON`, beside Opacus itself run in the same invocation on the same
/// records (``OpacusReference``), with the difference and its 95 % interval.
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
        let utility = DPSGDUtility(epochs: epochs, batchSize: batchSize, learningRate: learningRate, plainLearningRate: plainLearningRate,
                                   momentum: momentum, clip: clip, delta: delta, featureClip: featureClip)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-utility-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        if federated {
            print("DP-SGD utility, federated: \(hospitals) IID hospitals, \(strategy), MLP 64 tanh, \(rounds) rounds of one local epoch, "
                  + "expected batch \(batchSize), lr \(learningRate) (no DP: \(plainLearningRate)), momentum \(momentum), C \(clip), "
                  + "δ \(delta), \(seeds) seeds; each hospital standardises its own records\(clampNote); accuracy on the hospitals' test splits")
        } else {
            print("DP-SGD utility, centralised: MLP 64 tanh, \(epochs) epochs, expected batch \(batchSize), lr \(learningRate) "
                  + "(no DP: \(plainLearningRate)), momentum \(momentum), C \(clip), δ \(delta), \(seeds) seeds, 80/20 split" + clampNote)
        }
        print(pad("data", 8) + pad("ε", 6) + pad("fedtop (mean ± sd)", 22) + pad("σ", 9) + referenceHeading)
        for name in datasets.split(separator: ",").map(String.init) {
            for eps in epsilons.split(separator: ",").map(String.init) {
                let cell = federated
                    ? try utility.federated(dataset: name, epsilon: Double(eps)!, epsilonLabel: eps, seeds: seeds, hospitals: hospitals,
                                            rounds: rounds, strategy: strategy, scratch: scratch, factory: FedtopBenchFederations())
                    : try utility.central(dataset: name, epsilon: Double(eps)!, seeds: seeds)
                try printRow(dataset: name, epsilon: eps, cell: cell)
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
    /// its 95 % interval.
    private func printRow(dataset: String, epsilon: String, cell: DPSGDUtility.Cell) throws {
        let privacy = (Double(epsilon) ?? 0) > 0
        var reference = DPSGDUtility.anchors[dataset]?[epsilon] ?? "—"
        if let opacus {
            let theirs = try OpacusReference(python: opacus).accuracies(dataset: try BuiltinDataset.named(dataset),
                                                                         epsilon: privacy ? Double(epsilon) : nil, seeds: seeds)
            let c = DPSGDUtility.Comparison(ours: cell.accuracies, theirs: theirs)
            reference = pad(String(format: "%.3f ± %.3f", c.mean, c.sd), 40)
                + String(format: "%+.3f [%+.3f, %+.3f]", c.difference, c.low, c.high)
        }
        let (mean, sd) = DPSGDUtility.meanAndSD(cell.accuracies)
        print(pad(dataset, 8) + pad(privacy ? epsilon : "none", 6) + pad(String(format: "%.3f ± %.3f", mean, sd), 22)
              + pad(cell.sigma.map { String(format: "%.3f", $0) } ?? "—", 9) + reference)
        fflush(nil)
    }
}
