import Foundation
import Testing
import TensorCore

/// `Sequential.inputGradient` against central finite differences, and its side conditions.
///
/// Tolerance: the forward pass is Float32, so a logit carries an absolute error of about 1e-6 (relative
/// 2⁻²⁴ times a few dozen accumulated terms); a central difference with step h = 1e-2 turns that into
/// ≈ 1e-6 / h = 1e-4 of noise, and its truncation error is h²/6·|ℓ'''| ≈ 2e-5·|ℓ'''|. The loss itself is
/// evaluated in Double from the logits. So |analytic − numeric| ≤ 2e-3 + 1e-2·|value| leaves an order of
/// magnitude of margin while still catching a wrong factor, a transposed weight or a misrouted pixel.
/// ReLU and max-pool have kinks; a difference that straddles one is meaningless, so (as in
/// `GradientCheckTests`) coordinates where the estimates at h and h/2 disagree are skipped, at most 10%.
@Suite("Input gradients match finite differences")
struct InputGradientTests {
    /// ℓ of one sample `[1] + inputShape`, in Double from the model's Float32 logits.
    static func loss(_ model: Sequential, _ sample: Tensor, label: Int) -> Double {
        let z = model.logits(for: sample).scalars.map(Double.init)
        let m = z.max() ?? 0
        let logSumExp = m + log(z.reduce(0) { $0 + exp($1 - m) })
        return logSumExp - z[label]
    }

    /// Central difference of sample `sample`'s loss along its input coordinate `j`.
    static func numericalDerivative(_ model: Sequential, _ sample: Tensor, label: Int, coordinate j: Int,
                                    step h: Float) -> Double {
        var plus = sample, minus = sample
        plus[flat: j] += h
        minus[flat: j] -= h
        let denominator = Double(plus[flat: j]) - Double(minus[flat: j])  // the step actually taken in Float32
        return (loss(model, plus, label: label) - loss(model, minus, label: label)) / denominator
    }

    /// Checks every `stride`-th input coordinate of every sample of a random batch.
    func checkInputGradient(_ model: Sequential, batch: Int, classes: Int, seed: UInt64, stride: Int = 1) {
        let x = TestSupport.randomTensor([batch] + model.inputShape, seed: seed)
        let y = TestSupport.randomLabels(batch, classes: classes, seed: seed + 1)
        let result = model.inputGradient(x, labels: y)
        #expect(result.gradient.shape == x.shape)
        #expect(result.gradient.maxAbs() > 0, "an all-zero input gradient checks nothing")
        let item = x.itemCount
        var checked = 0, skipped = 0
        for i in 0..<batch {
            let sample = x.slice(i..<(i + 1))
            for j in Swift.stride(from: 0, to: item, by: stride) {
                let coarse = Self.numericalDerivative(model, sample, label: y[i], coordinate: j, step: 1e-2)
                let fine = Self.numericalDerivative(model, sample, label: y[i], coordinate: j, step: 5e-3)
                if !TestSupport.close(coarse, fine, rtol: 5e-3, atol: 1e-3) { skipped += 1; continue }
                checked += 1
                let analytic = Double(result.gradient[flat: i * item + j])
                if !TestSupport.close(analytic, coarse, rtol: 1e-2, atol: 2e-3) {
                    Issue.record("\(model.kind) sample \(i) input \(j): analytic \(analytic), numeric \(coarse)")
                    return
                }
            }
        }
        #expect(checked > 0)
        #expect(skipped * 10 <= checked + skipped, "\(skipped) of \(checked + skipped) coordinates straddled a kink")
    }

    @Test("MLP (ModelZoo.mlp, Flatten first, rank-2 inputs)")
    func mlp() throws {
        let model = try ModelZoo.mlp(inputShape: [2, 3], hidden: 8, classes: 4, seed: 11)
        checkInputGradient(model, batch: 3, classes: 4, seed: 100)
    }

    @Test("logistic regression: finite differences and the closed form Wᵀ(softmax(z) − onehot(y))")
    func logistic() throws {
        let model = try ModelZoo.logisticRegression(inputShape: [5], classes: 3, seed: 12)
        checkInputGradient(model, batch: 4, classes: 3, seed: 200)

        let x = TestSupport.randomTensor([4, 5], seed: 201)
        let y = TestSupport.randomLabels(4, classes: 3, seed: 202)
        let g = model.inputGradient(x, labels: y).gradient
        let w = model.parameters.scalars.map(Double.init)  // weight [3, 5] then bias [3]
        let logits = model.logits(for: x)
        for i in 0..<4 {
            let z = (0..<3).map { Double(logits[i, $0]) }
            let m = z.max() ?? 0
            let e = z.map { exp($0 - m) }
            let total = e.reduce(0, +)
            let residual = (0..<3).map { e[$0] / total - ($0 == y[i] ? 1 : 0) }
            for j in 0..<5 {
                let expected = (0..<3).reduce(0.0) { $0 + residual[$1] * w[$1 * 5 + j] }
                #expect(abs(Double(g[i, j]) - expected) <= 1e-5, "sample \(i) input \(j)")
            }
        }
    }

    @Test("small CNN (ModelZoo.smallCNN on 8×8): convolution with padding first, ReLU, max-pool")
    func smallCNN() throws {
        let model = try ModelZoo.smallCNN(inputShape: [1, 8, 8], classes: 3, seed: 13)
        checkInputGradient(model, batch: 2, classes: 3, seed: 300)
    }

    @Test("a strided convolution first, then Tanh, max-pool, Flatten and Linear")
    func stridedConvolution() throws {
        let model = try Sequential(kind: "conv", inputShape: [2, 6, 6], layers: [
            Conv2d("conv", inputChannels: 2, outputChannels: 3, kernelSize: 3, stride: 2, padding: 1), Tanh(),
            MaxPool2d("pool"), Flatten(), Linear("fc", inputs: 3, outputs: 3, initialization: .xavier),
        ], seed: 14)
        checkInputGradient(model, batch: 3, classes: 3, seed: 400)
    }

    @Test("every parameter-free layer as the first layer still returns its input gradient",
          arguments: ["maxpool", "relu", "tanh", "sigmoid"])
    func parameterFreeFirstLayer(first: String) throws {
        let head: any Layer = switch first {
        case "maxpool": MaxPool2d("pool")
        case "relu": ReLU()
        case "tanh": Tanh()
        default: Sigmoid()
        }
        let model = try Sequential(kind: first, inputShape: [1, 4, 4], layers: [
            head, Flatten(), Linear("fc", inputs: first == "maxpool" ? 4 : 16, outputs: 3, initialization: .xavier),
        ], seed: 15)
        checkInputGradient(model, batch: 2, classes: 3, seed: 500)
    }

    @Test("losses and verdicts are SoftmaxCrossEntropy's on model.logits(for:)")
    func lossesMatch() throws {
        let model = try ModelZoo.mlp(inputShape: [6], hidden: 10, classes: 3, seed: 16)
        let x = TestSupport.randomTensor([9, 6], seed: 600, std: 2)
        let y = TestSupport.randomLabels(9, classes: 3, seed: 601)
        let result = model.inputGradient(x, labels: y)
        let logits = model.logits(for: x)
        let whole = SoftmaxCrossEntropy.evaluate(logits: logits, labels: y[...], computeGradient: false)
        #expect(result.losses.count == 9 && result.correct.count == 9)
        for i in 0..<9 {
            let single = SoftmaxCrossEntropy.evaluate(logits: logits.slice(i..<(i + 1)), labels: y[i...i],
                                                      computeGradient: false)
            #expect(abs(result.losses[i] - single.lossSum) <= 1e-6, "sample \(i)")
            #expect(result.correct[i] == (single.correct == 1), "sample \(i)")
        }
        #expect(abs(result.losses.reduce(0, +) - whole.lossSum) <= 1e-5)
        #expect(result.correct.filter { $0 }.count == whole.correct)
    }

    @Test("parameter gradients and the model are unaffected")
    func parameterGradientsUnaffected() throws {
        let model = try ModelZoo.smallCNN(inputShape: [1, 8, 8], classes: 3, seed: 17)
        let x = TestSupport.randomTensor([6, 1, 8, 8], seed: 700)
        let y = TestSupport.randomLabels(6, classes: 3, seed: 701)
        let parametersBefore = model.parameters
        let computer = GradientComputer(workers: 1)
        let before = computer.compute(model: model, inputs: x, labels: y)
        let clippedBefore = computer.compute(model: model, inputs: x, labels: y, clipNorm: 0.5)
        _ = model.inputGradient(x, labels: y)
        let after = computer.compute(model: model, inputs: x, labels: y)
        let clippedAfter = computer.compute(model: model, inputs: x, labels: y, clipNorm: 0.5)
        #expect(model.parameters == parametersBefore)
        #expect(model.parameters.sharesStorage(with: parametersBefore), "the parameters were not even copied")
        #expect(after.gradient == before.gradient)
        #expect(after.lossSum == before.lossSum)
        #expect(clippedAfter.gradient == clippedBefore.gradient)
    }

    @Test("chunked and unchunked agree, and each row is that sample's own gradient")
    func chunksAndIndependence() throws {
        let model = try ModelZoo.mlp(inputShape: [4], hidden: 6, classes: 3, seed: 18)
        let x = TestSupport.randomTensor([7, 4], seed: 800)
        let y = TestSupport.randomLabels(7, classes: 3, seed: 801)
        let whole = model.inputGradient(x, labels: y)
        let chunked = model.inputGradient(x, labels: y, chunkSize: 3)
        #expect(chunked.losses.count == 7)
        for k in 0..<x.count {
            #expect(abs(whole.gradient[flat: k] - chunked.gradient[flat: k]) <= 1e-6)
        }
        for i in 0..<7 {
            let alone = model.inputGradient(x.slice(i..<(i + 1)), labels: [y[i]])
            for j in 0..<4 { #expect(abs(alone.gradient[0, j] - whole.gradient[i, j]) <= 1e-6) }
            #expect(abs(alone.losses[0] - whole.losses[i]) <= 1e-6)
            #expect(alone.correct[0] == whole.correct[i])
        }
    }

    @Test("an empty batch gives an empty gradient")
    func empty() throws {
        let model = try ModelZoo.logisticRegression(inputShape: [3], classes: 2, seed: 19)
        let result = model.inputGradient(Tensor(shape: [0, 3]), labels: [])
        #expect(result.gradient.shape == [0, 3])
        #expect(result.losses.isEmpty && result.correct.isEmpty)
    }
}
