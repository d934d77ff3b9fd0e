import Dispatch
import Privacy
import TensorCore

/// SmallCNN training throughput on random 28×28 inputs, without privacy or with DP-SGD as fedtop
/// trains (Abadi et al. 2016: Poisson batches of expected size `batchSize`, per-sample clipping to C,
/// Gaussian noise σ·C from ChaCha20 keyed by the kernel).
///
/// Contract: `warmup` steps first, then steps until `seconds` have passed; the rate counts the
/// samples actually drawn (Poisson under DP-SGD) over the measured time.
public enum DPSGDThroughput {
    /// One measurement: the rates measured and the settings they were measured with.
    public struct Result: Sendable {
        public var samplesPerSecond: Double
        public var steps: Int
        public var parameters: Int
    }

    public static func measure(private isPrivate: Bool, batchSize: Int, seconds: Double, warmup: Int, workers: Int,
                               clip: Float, noise: Float) throws -> Result {
        var model = try ModelZoo.smallCNN(seed: 1)
        var generator = SeededGenerator(seed: 7)
        let batches = 8, records = batches * batchSize
        let features = Tensor(shape: [records, 1, 28, 28]) { generator.fillNormal($0) }
        let labels = (0..<records).map { _ in Int(generator.next() % 10) }
        let computer = GradientComputer(workers: workers)
        var optimizer = SGD(learningRate: 0.05)
        // DP-SGD as it trains: Poisson batches of expected size `batchSize`, noise keyed from the kernel.
        var dp = try DPSGD(settings: try DPSGDSettings(noiseMultiplier: Double(noise), clipNorm: Double(clip),
                                                       sampleRate: Double(batchSize) / Double(records)))
        var samples = 0
        func step(_ i: Int) {
            if isPrivate {
                samples += dp.step(model: &model, features: features, labels: labels, optimizer: &optimizer,
                                   computer: computer).count
            } else {
                let range = (i % batches) * batchSize..<((i % batches) + 1) * batchSize
                var g = computer.compute(model: model, inputs: features.slice(range), labels: Array(labels[range])).gradient
                g.scale(by: 1 / Float(batchSize))
                optimizer.step(parameters: &model.parameters, gradient: g)
                samples += batchSize
            }
        }
        for i in 0..<warmup { step(i) }
        samples = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var steps = 0
        var elapsed = 0.0
        repeat {
            step(steps)
            steps += 1
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        } while elapsed < seconds
        return Result(samplesPerSecond: Double(samples) / elapsed, steps: steps, parameters: model.parameterCount)
    }
}
