import Testing
import TensorCore

/// Every layer's analytic gradient against central finite differences (the micrograd check).
@Suite("Gradients match finite differences")
struct GradientCheckTests {
    /// Checks every parameter of `model` (or every `stride`-th) on a random batch.
    func checkAllParameters(_ model: Sequential, batch: Int, classes: Int, seed: UInt64, stride: Int = 1) {
        let x = TestSupport.randomTensor([batch] + model.inputShape, seed: seed)
        let y = TestSupport.randomLabels(batch, classes: classes, seed: seed + 1)
        let analytic = GradientComputer(workers: 1).compute(model: model, inputs: x, labels: y).gradient
        var worst = 0.0
        for i in Swift.stride(from: 0, to: model.parameterCount, by: stride) {
            let numeric = TestSupport.numericalDerivative(model, x, y, parameter: i)
            let a = Double(analytic[flat: i])
            if !TestSupport.close(a, numeric, rtol: 3e-2, atol: 2e-3) {
                Issue.record("parameter \(i) (\(name(of: i, in: model))): analytic \(a), numeric \(numeric)")
                return
            }
            worst = max(worst, abs(a - numeric))
        }
        #expect(worst < 2e-2)
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

    @Test("Sigmoid and ReLU between linear layers")
    func sigmoidRelu() throws {
        let model = try Sequential(kind: "t", inputShape: [4], layers: [
            Linear("a", inputs: 4, outputs: 6), Sigmoid(), Linear("b", inputs: 6, outputs: 5), ReLU(),
            Linear("c", inputs: 5, outputs: 3),
        ], seed: 4)
        checkAllParameters(model, batch: 5, classes: 3, seed: 20)
    }

    @Test("Conv2d with padding, then Conv2d with stride 2, MaxPool2d and Flatten (input gradients of each)")
    func convolutions() throws {
        let model = try Sequential(kind: "t", inputShape: [2, 7, 7], layers: [
            Conv2d("conv1", inputChannels: 2, outputChannels: 3, kernelSize: 3, padding: 1), ReLU(),
            Conv2d("conv2", inputChannels: 3, outputChannels: 4, kernelSize: 3, stride: 2, padding: 1), Tanh(),
            MaxPool2d("pool", size: 2), Flatten(),
            Linear("fc", inputs: 4 * 2 * 2, outputs: 3, initialization: .xavier),
        ], seed: 5)
        checkAllParameters(model, batch: 3, classes: 3, seed: 30)
    }

    @Test("SmallCNN-shaped network on 8×8 inputs (every 7th parameter)")
    func smallCNNShape() throws {
        let model = try ModelZoo.smallCNN(inputShape: [1, 8, 8], classes: 4, seed: 6)
        checkAllParameters(model, batch: 2, classes: 4, seed: 40, stride: 7)
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
