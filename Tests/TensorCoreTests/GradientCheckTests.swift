import Testing
import TensorCore

/// Every layer's analytic gradient against central finite differences (the micrograd check).
@Suite("Gradients match finite differences")
struct GradientCheckTests {
    /// Checks every parameter of `model` (or every `stride`-th) on a random batch.
    ///
    /// ReLU and max-pool have kinks; a finite difference that straddles one is meaningless. Central
    /// differences at ε and ε/2 agree to O(ε²) where the loss is smooth and disagree where a kink lies
    /// between; such a coordinate is skipped, and at most 10% may be.
    func checkAllParameters(_ model: Sequential, batch: Int, classes: Int, seed: UInt64, stride: Int = 1) {
        let x = TestSupport.randomTensor([batch] + model.inputShape, seed: seed)
        let y = TestSupport.randomLabels(batch, classes: classes, seed: seed + 1)
        let analytic = GradientComputer(workers: 1).compute(model: model, inputs: x, labels: y).gradient
        var checked = 0, skipped = 0
        for i in Swift.stride(from: 0, to: model.parameterCount, by: stride) {
            let coarse = TestSupport.numericalDerivative(model, x, y, parameter: i, epsilon: 1e-2)
            let fine = TestSupport.numericalDerivative(model, x, y, parameter: i, epsilon: 5e-3)
            if !TestSupport.close(coarse, fine, rtol: 5e-3, atol: 1e-3) { skipped += 1; continue }
            let a = Double(analytic[flat: i])
            checked += 1
            if !TestSupport.close(a, fine, rtol: 1e-2, atol: 2e-3) {
                Issue.record("parameter \(i) (\(name(of: i, in: model))): analytic \(a), numeric \(fine)")
                return
            }
        }
        #expect(skipped * 10 <= checked + skipped, "\(skipped) of \(checked + skipped) coordinates straddled a kink")
    }

    func name(of index: Int, in model: Sequential) -> String {
        var offset = 0
        for spec in model.parameterSpecs {
            if index < offset + spec.count { return spec.name }
            offset += spec.count
        }
        return "?"
    }

    @Test("Linear and Tanh (weights, biases, and the input gradient through Tanh)")
    func linearTanh() throws {
        let model = try Sequential(kind: "t", inputShape: [5], layers: [
            Linear("fc1", inputs: 5, outputs: 4, initialization: .xavier), Tanh(),
            Linear("fc2", inputs: 4, outputs: 3, initialization: .xavier),
        ], seed: 3)
        checkAllParameters(model, batch: 4, classes: 3, seed: 10)
    }

    @Test("Sigmoid between linear layers")
    func sigmoid() throws {
        let model = try Sequential(kind: "t", inputShape: [4], layers: [
            Linear("a", inputs: 4, outputs: 6), Sigmoid(), Linear("b", inputs: 6, outputs: 5), Tanh(),
            Linear("c", inputs: 5, outputs: 3),
        ], seed: 4)
        checkAllParameters(model, batch: 5, classes: 3, seed: 20)
    }

    @Test("Conv2d with padding, Tanh, then Conv2d with stride 2, Sigmoid and Flatten (input gradients of each)")
    func convolutions() throws {
        let model = try Sequential(kind: "t", inputShape: [2, 7, 7], layers: [
            Conv2d("conv1", inputChannels: 2, outputChannels: 3, kernelSize: 3, padding: 1), Tanh(),
            Conv2d("conv2", inputChannels: 3, outputChannels: 4, kernelSize: 3, stride: 2, padding: 1), Sigmoid(),
            Flatten(), Linear("fc", inputs: 4 * 4 * 4, outputs: 3, initialization: .xavier),
        ], seed: 5)
        checkAllParameters(model, batch: 3, classes: 3, seed: 30)
    }

    @Test("Conv2d input gradient through a second, strided Conv2d (no kinks: every coordinate counts)")
    func convIntoConv() throws {
        let model = try Sequential(kind: "t", inputShape: [2, 7, 7], layers: [
            Conv2d("c1", inputChannels: 2, outputChannels: 3, kernelSize: 3, padding: 1),
            Conv2d("c2", inputChannels: 3, outputChannels: 4, kernelSize: 3, stride: 2, padding: 1),
            Flatten(), Linear("fc", inputs: 64, outputs: 3),
        ], seed: 5)
        checkAllParameters(model, batch: 3, classes: 3, seed: 30)
    }


    @Test("the batch gradient is the sum of single-sample gradients")
    func batchIsSumOfSamples() throws {
        let model = try ModelZoo.lesionCNN(inputShape: [3, 8, 8], classes: 5, seed: 7)
        let x = TestSupport.randomTensor([4, 3, 8, 8], seed: 50)
        let y = TestSupport.randomLabels(4, classes: 5, seed: 51)
        let computer = GradientComputer(workers: 1)
        let whole = computer.compute(model: model, inputs: x, labels: y).gradient
        var sum = Tensor(shape: [model.parameterCount])
        for i in 0..<4 {
            sum += computer.compute(model: model, inputs: x.slice(i..<(i + 1)), labels: [y[i]]).gradient
        }
        #expect((whole - sum).maxAbs() <= 1e-4 * max(1, whole.maxAbs()))
    }
}
