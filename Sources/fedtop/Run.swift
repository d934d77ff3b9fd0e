import ArgumentParser
import Datasets
import Foundation
import TensorCore

/// `fedtop run` (the default command): trains a model on a dataset and prints progress per epoch.
///
/// This is the foundation's training loop on the shared tensor core; the federation engine and the
/// live console take it over in later versions, with these options kept.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the default model on a dataset and print progress (the default command).")

    @Option(help: "The data: \(DatasetSource.help).") var dataset = "lesions"
    @Option(help: "The model: \(ModelZoo.names.joined(separator: " | ")) (default: by dataset).") var model: String?
    @Option(help: "Passes over the training data.") var epochs = 12
    @Option(help: "Samples per batch (with DP: the expected size of a Poisson batch).") var batchSize = 64
    @Option(help: "SGD learning rate.") var learningRate: Float = 0.05
    @Option(help: "SGD momentum.") var momentum: Float = 0.9
    @Option(help: "Fraction of records held out for testing.") var testFraction = 0.2
    @Option(help: "Seed for the split, initialisation and batch order.") var seed: UInt64 = 1
    @Option(help: "Write the trained weights here (.safetensors).") var save: String?
    @Option(help: "DP-SGD: the privacy budget ε for the whole run (σ is calibrated to it).") var epsilon: Double?
    @Option(help: "DP-SGD: the noise multiplier σ (instead of --epsilon).") var noise: Double?
    @Option(help: "DP-SGD: δ.") var delta = 1e-5
    @Option(help: "DP-SGD: the per-sample clip norm C.") var clip = 1.0
    @Option(help: "DP-SGD: seed the noise (reproducible, NOT secure; ε is reported as such).") var noiseSeed: UInt64?

    func validate() throws {
        guard epochs > 0 else { throw ValidationError("--epochs must be positive, got \(epochs)") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive, got \(batchSize)") }
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--learning-rate must be positive, got \(learningRate)") }
        guard (0..<1).contains(momentum) else { throw ValidationError("--momentum must be in [0, 1), got \(momentum)") }
        guard testFraction > 0, testFraction < 1 else { throw ValidationError("--test-fraction must be in (0, 1), got \(testFraction)") }
        if let epsilon, !(epsilon > 0 && epsilon.isFinite) { throw ValidationError("--epsilon must be positive, got \(epsilon)") }
        if let noise, !(noise >= 0 && noise.isFinite) { throw ValidationError("--noise must be ≥ 0, got \(noise)") }
        guard epsilon == nil || noise == nil else { throw ValidationError("give --epsilon or --noise, not both") }
        guard delta > 0, delta < 1 else { throw ValidationError("--delta must be in (0, 1), got \(delta)") }
        guard clip > 0, clip.isFinite else { throw ValidationError("--clip must be positive, got \(clip)") }
    }

    func run() throws {
        let data: Dataset
        do { data = try DatasetSource.load(dataset) } catch {
            // The data named by --dataset is input to the command: a problem with it is bad usage (2).
            throw ValidationError("--dataset \(dataset): \(error)")
        }
        let (rawTrain, rawTest) = data.split(testFraction: testFraction, seed: seed)
        let standardizer = Standardizer.fit(rawTrain)
        let train = standardizer.apply(rawTrain), test = standardizer.apply(rawTest)
        let kind = model ?? DatasetSource.defaultModel(for: data)
        let privacy = (epsilon != nil || noise != nil)
            ? CentralTraining.Privacy(targetEpsilon: epsilon, noiseMultiplier: noise, delta: delta, clipNorm: clip,
                                      noiseSeed: noiseSeed)
            : nil
        let training = CentralTraining(modelKind: kind, epochs: epochs, batchSize: batchSize, learningRate: learningRate,
                                       momentum: momentum, seed: seed, privacy: privacy)
        print("fedtop: \(data.name), \(data.count) records (\(train.count) train, \(test.count) test), "
              + "\(data.classNames.count) classes; \(kind)" + (privacy == nil ? ", no privacy" : ", DP-SGD"))
        let started = ContinuousClock.now
        let outcome: CentralTraining.Outcome
        do {
            outcome = try training.run(train: train, test: test) { e in
                var line = String(format: "epoch %d/%d  train loss %.4f  test loss %.4f  test accuracy %.4f  %.0f samples/s",
                                  e.epoch, epochs, e.trainLoss, e.testLoss, e.testAccuracy, e.samplesPerSecond)
                if let eps = e.epsilon { line += String(format: "  ε %.3f", eps) }
                print(line)
                fflush(nil)  // progress reaches a pipe as it happens
            }
        } catch let error as UsageError {
            throw ValidationError(error.description)
        } catch let error as ModelError {
            throw ValidationError("--model \(kind): \(error)")  // the model cannot take this data
        }
        let net = outcome.model
        if let sigma = outcome.noiseMultiplier, let privacy {
            print(String(format: "fedtop: DP-SGD σ %.4f, C %g, δ %g; ε spent %.3f%@", sigma, privacy.clipNorm, privacy.delta,
                         outcome.epochs.last?.epsilon ?? 0,
                         outcome.secureNoise ? "" : " (seeded noise: reproducible, not secure)"))
        }
        print("fedtop: trained in \(started.duration(to: .now))")
        if let save {
            try net.save(to: save, metadata: ["fedtop.dataset": data.name])
            print("fedtop: weights written to \(save)")
        }
    }
}
