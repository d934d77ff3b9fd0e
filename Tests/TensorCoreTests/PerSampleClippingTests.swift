import Testing
import TensorCore

/// DP-SGD's per-sample norms and clipped sums against a naive loop over single samples.
@Suite("Per-sample clipping equals the naive per-sample loop")
struct PerSampleClippingTests {
    struct Naive { var norms: [Double]; var clippedSum: Tensor }

    /// One backward pass per sample, each gradient clipped on its own, then summed.
    func naive(_ model: Sequential, _ x: Tensor, _ y: [Int], clip: Float) -> Naive {
        let computer = GradientComputer(workers: 1)
        var sum = Tensor(shape: [model.parameterCount])
        var norms: [Double] = []
        for i in 0..<y.count {
            let g = computer.compute(model: model, inputs: x.slice(i..<(i + 1)), labels: [y[i]]).gradient
            let n = g.norm()
            norms.append(n)
            sum.add(g, scaledBy: n > Double(clip) ? Float(Double(clip) / n) : 1)
        }
        return Naive(norms: norms, clippedSum: sum)
    }

    func check(_ model: Sequential, batch: Int, classes: Int, clip: Float, seed: UInt64, workers: Int = 1) {
        let x = TestSupport.randomTensor([batch] + model.inputShape, seed: seed)
        let y = TestSupport.randomLabels(batch, classes: classes, seed: seed + 1)
        let fast = GradientComputer(workers: workers).compute(model: model, inputs: x, labels: y, clipNorm: clip)
        let reference = naive(model, x, y, clip: clip)
        #expect(fast.perSampleNorms.count == batch)
        for (a, b) in zip(fast.perSampleNorms, reference.norms) {
            #expect(TestSupport.close(Double(a), b, rtol: 1e-4, atol: 1e-5), "norm \(a) vs naive \(b)")
        }
        let scale = max(1, reference.clippedSum.maxAbs())
        #expect((fast.gradient - reference.clippedSum).maxAbs() <= 1e-4 * scale)
        #expect(fast.clippedCount == reference.norms.filter { $0 > Double(clip) }.count)
    }

    @Test("MLP: ghost norms of linear layers", arguments: [0.05, 1.0, 100.0] as [Float])
    func mlp(clip: Float) throws {
        let model = try ModelZoo.mlp(inputShape: [12], hidden: 9, classes: 4, seed: 1)
        check(model, batch: 7, classes: 4, clip: clip, seed: 100)
    }

    @Test("CNN whose convolutions materialise per-sample gradients (many positions)")
    func cnnMaterialised() throws {
        let model = try ModelZoo.smallCNN(inputShape: [1, 12, 12], classes: 5, seed: 2)
        check(model, batch: 6, classes: 5, clip: 0.5, seed: 200)
    }

    @Test("convolution with few positions (where Gram-matrix ghost norms would be cheaper) is exact")
    func convolutionGhost() throws {
        let conv = Conv2d("conv", inputChannels: 8, outputChannels: 16, kernelSize: 3)
        let model = try Sequential(kind: "t", inputShape: [8, 4, 4], layers: [
            conv, ReLU(), Flatten(), Linear("fc", inputs: 16 * 2 * 2, outputs: 3),
        ], seed: 3)
        check(model, batch: 5, classes: 3, clip: 0.3, seed: 300)
    }

    @Test("splitting the batch across workers does not change the clipped sum", arguments: [2, 3])
    func workersAgree(workers: Int) throws {
        let model = try ModelZoo.lesionCNN(inputShape: [3, 8, 8], classes: 7, seed: 4)
        check(model, batch: 24, classes: 7, clip: 0.7, seed: 400, workers: workers)
    }

    @Test("a clipped single-sample gradient has norm at most C")
    func clippedNormBounded() throws {
        let model = try ModelZoo.mlp(inputShape: [6], hidden: 8, classes: 3, seed: 5)
        let x = TestSupport.randomTensor([10, 6], seed: 500, std: 5)
        let y = TestSupport.randomLabels(10, classes: 3, seed: 501)
        let computer = GradientComputer(workers: 1)
        for i in 0..<10 {
            let g = computer.compute(model: model, inputs: x.slice(i..<(i + 1)), labels: [y[i]], clipNorm: 0.1)
            #expect(g.gradient.norm() <= 0.1 * (1 + 1e-5))
        }
    }

    @Test("a sample with a non-finite input is dropped from the clipped sum, not passed through as NaN",
          arguments: ["mlp", "smallcnn"])
    func nonFiniteSampleDropped(kind: String) throws {
        let shape = kind == "mlp" ? [6] : [1, 8, 8]
        let model = try ModelZoo.make(kind, inputShape: shape, classes: 3, seed: 6)
        var x = TestSupport.randomTensor([4] + shape, seed: 600)
        let y = TestSupport.randomLabels(4, classes: 3, seed: 601)
        let clean = GradientComputer(workers: 1).compute(model: model, inputs: x.slice(0..<3), labels: Array(y[0..<3]), clipNorm: 1)
        x[flat: x.count - 1] = .infinity  // the last sample
        let g = GradientComputer(workers: 1).compute(model: model, inputs: x, labels: y, clipNorm: 1)
        #expect(g.gradient.isFinite)
        #expect(!g.perSampleNorms[3].isFinite && g.droppedCount == 1)
        #expect((g.gradient - clean.gradient).maxAbs() <= 1e-5 * max(1, clean.gradient.maxAbs()))
    }

    @Test("the clip factor never lets factor·‖g‖ exceed C, even by a rounding step")
    func clipFactorRoundsDown() {
        var g = SeededGenerator(seed: 700)
        for _ in 0..<20_000 {
            let c = Float(0.01 + 10 * g.nextUnitDouble())
            let norm = Double(c) * (1 + 1000 * g.nextUnitDouble())
            let f = GradientComputer.clipFactor(norm: norm, clipNorm: c)
            #expect(Double(f) * norm <= Double(c))
            #expect(Double(f) * norm > Double(c) * (1 - 1e-6))
        }
        #expect(GradientComputer.clipFactor(norm: 0.5, clipNorm: 1) == 1)
        #expect(GradientComputer.clipFactor(norm: 0, clipNorm: 1) == 1)
    }
}
