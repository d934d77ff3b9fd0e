import Testing
import TensorCore
import Privacy

@Suite("DP-SGD")
struct DPSGDTests {
    func data(_ n: Int, features: Int, classes: Int, seed: UInt64) -> (Tensor, [Int]) {
        var g = SeededGenerator(seed: seed)
        let x = Tensor(shape: [n, features]) { g.fillNormal($0) }
        return (x, (0..<n).map { _ in Int(g.next() % UInt64(classes)) })
    }

    @Test("Poisson sampling: batch sizes have mean qN and variance qN(1−q) (300 draws, tolerances ≈ 5 standard errors)")
    func poissonRate() throws {
        var dp = try DPSGD(settings: try DPSGDSettings(noiseMultiplier: 1, clipNorm: 1, sampleRate: 0.1), seed: 3)
        let sizes = (0..<300).map { _ in Double(dp.sampleBatch(from: 1000).count) }
        let mean = sizes.reduce(0, +) / 300
        let variance = sizes.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 299
        #expect(abs(mean - 100) < 3)        // standard error 0.55
        #expect(abs(variance - 90) < 40)    // standard error ≈ 7.4
        let batch = dp.sampleBatch(from: 1000)
        #expect(Set(batch).count == batch.count && batch.allSatisfy { (0..<1000).contains($0) })
    }

    @Test("with σ = 0 and q = 1, a step is plain SGD on the clipped mean gradient")
    func noiselessFullBatch() throws {
        let (x, y) = data(40, features: 6, classes: 3, seed: 1)
        var model = try ModelZoo.mlp(inputShape: [6], hidden: 5, classes: 3, seed: 2)
        var reference = model
        var dp = try DPSGD(settings: try DPSGDSettings(noiseMultiplier: 0, clipNorm: 0.3, sampleRate: 1), seed: 4)
        var sgd = SGD(learningRate: 0.5), sgd2 = SGD(learningRate: 0.5)
        let computer = GradientComputer(workers: 1)
        dp.step(model: &model, features: x, labels: y, optimizer: &sgd, computer: computer)
        var g = computer.compute(model: reference, inputs: x, labels: y, clipNorm: 0.3).gradient
        g.scale(by: 1 / 40)
        sgd2.step(parameters: &reference.parameters, gradient: g)
        #expect((model.parameters - reference.parameters).maxAbs() < 1e-6)
    }

    @Test("the added noise has standard deviation σ·C (7,850 coordinates, tolerance 4% ≈ 5 standard errors)")
    func noiseStandardDeviation() throws {
        let (x, y) = data(20, features: 784, classes: 10, seed: 5)
        var model = try ModelZoo.logisticRegression(inputShape: [784], classes: 10, seed: 6)
        let before = model.parameters
        let computer = GradientComputer(workers: 2)
        let clipped = computer.compute(model: model, inputs: x, labels: y, clipNorm: 0.5).gradient
        var dp = try DPSGD(settings: try DPSGDSettings(noiseMultiplier: 2, clipNorm: 0.5, sampleRate: 1), seed: 7)
        var sgd = SGD(learningRate: 1)
        dp.step(model: &model, features: x, labels: y, optimizer: &sgd, computer: computer)
        // θ' = θ − (clipped + noise)/N  ⇒  noise = N(θ − θ') − clipped
        let noise = Float(20) * (before - model.parameters) - clipped
        let n = Double(noise.count)
        let mean = noise.sum() / n
        let sd = ((noise.squaredNorm() / n) - mean * mean).squareRoot()
        #expect(abs(mean) < 0.05)
        #expect(abs(sd - 1.0) < 0.04)
    }

    @Test("a seeded run is reproducible; secure runs draw different noise")
    func reproducibility() throws {
        let (x, y) = data(64, features: 10, classes: 2, seed: 8)
        let settings = try DPSGDSettings(noiseMultiplier: 1, clipNorm: 1, sampleRate: 0.25)
        func train(seed: UInt64?) throws -> Tensor {
            var model = try ModelZoo.mlp(inputShape: [10], hidden: 4, classes: 2, seed: 9)
            var dp = try DPSGD(settings: settings, seed: seed)
            var sgd = SGD(learningRate: 0.1)
            let computer = GradientComputer(workers: 2)
            for _ in 0..<5 { dp.step(model: &model, features: x, labels: y, optimizer: &sgd, computer: computer) }
            return model.parameters
        }
        #expect(try train(seed: 11) == train(seed: 11))
        #expect(try train(seed: 11) != train(seed: 12))
        #expect(try train(seed: nil) != train(seed: nil))
        #expect(try DPSGD(settings: settings).isSecure && !DPSGD(settings: settings, seed: 1).isSecure)
    }

    @Test("settings are validated when created, naming the wrong value")
    func validation() {
        #expect(throws: PrivacyError.invalidSetting(name: "clip norm C", value: 0, expected: "C > 0")) {
            try DPSGDSettings(noiseMultiplier: 1, clipNorm: 0, sampleRate: 0.1)
        }
        #expect(throws: PrivacyError.self) { try DPSGDSettings(noiseMultiplier: -0.1, clipNorm: 1, sampleRate: 0.1) }
        #expect(throws: PrivacyError.self) { try DPSGDSettings(noiseMultiplier: 1, clipNorm: 1, sampleRate: 0) }
    }
}
