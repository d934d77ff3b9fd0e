import ArgumentParser
import Datasets
import Dispatch
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
    @Option(help: "Samples per batch.") var batchSize = 64
    @Option(help: "SGD learning rate.") var learningRate: Float = 0.05
    @Option(help: "SGD momentum.") var momentum: Float = 0.9
    @Option(help: "Fraction of records held out for testing.") var testFraction = 0.2
    @Option(help: "Seed for the split, initialisation and batch order.") var seed: UInt64 = 1
    @Option(help: "Write the trained weights here (.safetensors).") var save: String?

    func validate() throws {
        guard epochs > 0 else { throw ValidationError("--epochs must be positive, got \(epochs)") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive, got \(batchSize)") }
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--learning-rate must be positive, got \(learningRate)") }
        guard (0..<1).contains(momentum) else { throw ValidationError("--momentum must be in [0, 1), got \(momentum)") }
        guard testFraction > 0, testFraction < 1 else { throw ValidationError("--test-fraction must be in (0, 1), got \(testFraction)") }
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
        var net: Sequential
        do {
            net = try ModelZoo.make(kind, inputShape: data.featureShape, classes: data.classNames.count, seed: seed)
        } catch {
            throw ValidationError("--model \(kind): \(error)")
        }
        print("fedtop: \(data.name), \(data.count) records (\(train.count) train, \(test.count) test), "
              + "\(data.classNames.count) classes; \(net.kind), \(net.parameterCount) parameters")
        let computer = GradientComputer()
        var optimizer = SGD(learningRate: learningRate, momentum: momentum)
        var order = SeededGenerator(seed: seed, stream: 77)
        let started = DispatchTime.now().uptimeNanoseconds
        for epoch in 1...epochs {
            let epochStart = DispatchTime.now().uptimeNanoseconds
            var indices = Array(0..<train.count)
            indices.shuffle(using: &order)
            var lossSum = 0.0, seen = 0
            for start in stride(from: 0, to: indices.count, by: batchSize) {
                let batch = Array(indices[start..<min(start + batchSize, indices.count)])
                var g = computer.compute(model: net, inputs: train.features.gathering(batch),
                                         labels: batch.map { train.labels[$0] })
                lossSum += g.lossSum
                seen += g.count
                g.gradient.scale(by: 1 / Float(g.count))
                optimizer.step(parameters: &net.parameters, gradient: g.gradient)
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - epochStart) / 1e9
            let eval = SoftmaxCrossEntropy.evaluate(logits: net.logits(for: test.features), labels: test.labels[...],
                                                    computeGradient: false)
            print(String(format: "epoch %d/%d  train loss %.4f  test loss %.4f  test accuracy %.4f  %.0f samples/s",
                         epoch, epochs, lossSum / Double(max(seen, 1)), eval.lossSum / Double(max(test.count, 1)),
                         Double(eval.correct) / Double(max(test.count, 1)), Double(seen) / max(seconds, 1e-9)))
            fflush(nil)  // progress reaches a pipe as it happens
        }
        let total = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        print(String(format: "fedtop: trained in %.1f s", total))
        if let save {
            try net.save(to: save, metadata: ["fedtop.dataset": data.name])
            print("fedtop: weights written to \(save)")
        }
    }
}
