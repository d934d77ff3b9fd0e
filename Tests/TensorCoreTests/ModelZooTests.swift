import Testing
import TensorCore

@Suite("Models")
struct ModelZooTests {
    @Test("SmallCNN has PyTorch's parameter count, names and shapes")
    func smallCNN() throws {
        let m = try ModelZoo.smallCNN(seed: 1)
        #expect(m.parameterCount == 206_922)  // 160 + 4,640 + 200,832 + 1,290
        #expect(m.outputShape == [10])
        #expect(m.parameterSpecs.map(\.name) == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                                                 "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"])
        #expect(m.parameterSpecs[2].shape == [32, 16, 3, 3] && m.parameterSpecs[4].shape == [128, 1568])
    }

    @Test("TinyCNN: two convolutions, three pools and one fc layer — 7,111 parameters at 3×28×28, fc1 gone")
    func tinyCNN() throws {
        let m = try ModelZoo.tinyCNN(seed: 1)
        #expect(m.parameterCount == 7_111)  // 448 + 4,640 + 32·3·3·7 + 7
        #expect(m.outputShape == [7])
        #expect(m.parameterSpecs.map(\.name) == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc.weight", "fc.bias"])
        #expect(m.parameterSpecs[4].shape == [7, 288])
        // lesioncnn, the benchmarks' CNN, keeps its 105,959 parameters.
        #expect(try ModelZoo.lesionCNN(seed: 1).parameterCount == 105_959)
        #expect(throws: ModelError.self) { try ModelZoo.tinyCNN(inputShape: [3, 7, 7], seed: 1) }
    }

    @Test("initialisation is seeded, He-scaled for ReLU layers and zero for biases")
    func initialisation() throws {
        let a = try ModelZoo.smallCNN(seed: 1), b = try ModelZoo.smallCNN(seed: 1), c = try ModelZoo.smallCNN(seed: 2)
        #expect(a.parameters == b.parameters)
        #expect(a.parameters != c.parameters)
        let named = Dictionary(uniqueKeysWithValues: a.namedParameters.map { ($0.name, $0.tensor) })
        let fc1 = named["fc1.weight"]!
        let std = (fc1.squaredNorm() / Double(fc1.count)).squareRoot()
        #expect(abs(std - (2.0 / 1568).squareRoot()) < 0.002)
        #expect(named["fc1.bias"]!.maxAbs() == 0)
    }

    @Test("every named model builds, and a wrong input shape or name is an error", arguments: ModelZoo.names)
    func zoo(name: String) throws {
        let image = name.hasSuffix("cnn")
        let m = try ModelZoo.make(name, inputShape: image ? [3, 16, 16] : [30], classes: 7, seed: 0)
        #expect(m.outputShape == [7])
        if image { #expect(throws: ModelError.self) { try ModelZoo.make(name, inputShape: [30], classes: 7, seed: 0) } }
        #expect(throws: ModelError.unknownModel("resnet")) { try ModelZoo.make("resnet", inputShape: [3], classes: 2, seed: 0) }
    }

    @Test("setting parameters by name checks every tensor's presence and shape")
    func setNamed() throws {
        var m = try ModelZoo.mlp(inputShape: [4], hidden: 3, classes: 2, seed: 0)
        var named = Dictionary(uniqueKeysWithValues: m.namedParameters.map { ($0.name, $0.tensor) })
        named["fc1.weight"] = Tensor(shape: [3, 4], repeating: 0.5)
        try m.setParameters(named: named)
        #expect(m.parameters[flat: 0] == 0.5)
        named["fc2.bias"] = Tensor(shape: [3])
        #expect(throws: ModelError.tensorShape(name: "fc2.bias", expected: [2], found: [3])) { try m.setParameters(named: named) }
        named["fc2.bias"] = nil
        #expect(throws: ModelError.missingTensor("fc2.bias")) { try m.setParameters(named: named) }
    }

    @Test("training an MLP with SGD drives the loss down and fits a separable problem")
    func trainingConverges() throws {
        var model = try ModelZoo.mlp(inputShape: [2], hidden: 8, classes: 2, seed: 3)
        var g = SeededGenerator(seed: 4)
        let n = 128
        var xs = [Float](), ys = [Int]()
        for _ in 0..<n {
            let a = 2 * g.nextUnitFloat() - 1, b = 2 * g.nextUnitFloat() - 1
            xs += [a, b]
            ys.append(a + 0.5 * b > 0 ? 1 : 0)
        }
        let x = Tensor(shape: [n, 2], scalars: xs)
        let computer = GradientComputer(workers: 2)
        var sgd = SGD(learningRate: 0.5, momentum: 0.9)
        let first = computer.compute(model: model, inputs: x, labels: ys)
        var last = first
        for _ in 0..<150 {
            var grad = computer.compute(model: model, inputs: x, labels: ys)
            last = grad
            grad.gradient.scale(by: 1 / Float(n))
            sgd.step(parameters: &model.parameters, gradient: grad.gradient)
        }
        #expect(last.meanLoss < 0.3 * first.meanLoss)
        #expect(Double(last.correct) / Double(n) > 0.95)
    }
}
