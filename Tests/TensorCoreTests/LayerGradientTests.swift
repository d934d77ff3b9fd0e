import Testing
import TensorCore

/// Each layer alone under the linear functional f(x, θ) = Σ r ⊙ layer(x; θ): its backward pass with
/// r as ∂f/∂y must give ∂f/∂x and ∂f/∂θ. Inputs keep every kink (ReLU at 0, a max-pool tie) at least
/// 0.05 away, further than the finite-difference step, so the check is exact for piecewise-linear
/// layers too.
@Suite("Each layer's backward pass against finite differences")
struct LayerGradientTests {
    let epsilon: Float = 1e-2

    func functional(_ layer: any Layer, _ x: Tensor, _ theta: Tensor, _ r: Tensor) -> Double {
        theta.withUnsafeBufferPointer { p in
            layer.forward(x, parameters: p, workspace: LayerWorkspace()).dot(r)
        }
    }

    func check(_ layer: any Layer, input x: Tensor, seed: UInt64) throws {
        var g = SeededGenerator(seed: seed)
        var theta = Tensor(shape: [layer.parameterCount])
        theta.withUnsafeMutableBufferPointer { layer.initializeParameters($0, using: &g) }
        theta.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] += 0.1 * Float(g.nextNormal()) } }
        let outShape = [x.shape[0]] + (try layer.outputShape(for: Array(x.shape.dropFirst())))
        let r = TestSupport.randomTensor(outShape, seed: seed + 1)
        let ws = LayerWorkspace()
        var dTheta = Tensor(shape: [layer.parameterCount])
        var norms = [Double](repeating: 0, count: x.shape[0])
        let dx = theta.withUnsafeBufferPointer { p in
            let y = layer.forward(x, parameters: p, workspace: ws)
            #expect(y.shape == outShape)
            return dTheta.withUnsafeMutableBufferPointer { dt in
                norms.withUnsafeMutableBufferPointer { sq in
                    layer.backward(r, parameters: p, workspace: ws, mode: .batchSum, gradient: dt,
                                   squaredNorms: sq, needsInputGradient: true)
                }
            }
        }!
        #expect(dx.shape == x.shape)
        for i in 0..<x.count {
            var plus = x, minus = x
            plus[flat: i] += epsilon
            minus[flat: i] -= epsilon
            let numeric = (functional(layer, plus, theta, r) - functional(layer, minus, theta, r)) / Double(2 * epsilon)
            #expect(TestSupport.close(Double(dx[flat: i]), numeric, rtol: 1e-2, atol: 1e-3),
                    "\(layer.name) input \(i): analytic \(dx[flat: i]), numeric \(numeric)")
        }
        for i in 0..<theta.count {
            var plus = theta, minus = theta
            plus[flat: i] += epsilon
            minus[flat: i] -= epsilon
            let numeric = (functional(layer, x, plus, r) - functional(layer, x, minus, r)) / Double(2 * epsilon)
            #expect(TestSupport.close(Double(dTheta[flat: i]), numeric, rtol: 1e-2, atol: 1e-3),
                    "\(layer.name) parameter \(i): analytic \(dTheta[flat: i]), numeric \(numeric)")
        }
    }

    /// Distinct values k·0.05 (k ≠ 0), shuffled: no two within 0.05, none within 0.05 of zero.
    func spacedInput(_ shape: [Int], seed: UInt64) -> Tensor {
        let n = Tensor.elementCount(shape)
        var values = (0..<n).map { Float($0 - n / 2) * 0.05 }.map { $0 >= 0 ? $0 + 0.05 : $0 }
        var g = SeededGenerator(seed: seed)
        values.shuffle(using: &g)
        return Tensor(shape: shape, scalars: values)
    }

    @Test("Linear") func linear() throws {
        try check(Linear("fc", inputs: 5, outputs: 4), input: TestSupport.randomTensor([3, 5], seed: 1), seed: 2)
    }

    @Test("Conv2d (padding 1, stride 1)") func conv() throws {
        try check(Conv2d("c", inputChannels: 2, outputChannels: 3, kernelSize: 3, padding: 1),
                  input: TestSupport.randomTensor([2, 2, 5, 5], seed: 3), seed: 4)
    }

    @Test("Conv2d (padding 2, stride 2, non-square input)") func convStrided() throws {
        try check(Conv2d("c", inputChannels: 3, outputChannels: 2, kernelSize: 3, stride: 2, padding: 2),
                  input: TestSupport.randomTensor([2, 3, 6, 5], seed: 5), seed: 6)
    }

    @Test("ReLU") func relu() throws {
        try check(ReLU(), input: spacedInput([3, 4, 5], seed: 7), seed: 8)
    }

    @Test("MaxPool2d (odd sizes drop the last row and column)") func maxPool() throws {
        try check(MaxPool2d("p"), input: spacedInput([2, 3, 5, 4], seed: 9), seed: 10)
    }

    @Test("Tanh, Sigmoid and Flatten") func smooth() throws {
        try check(Tanh(), input: TestSupport.randomTensor([3, 6], seed: 11), seed: 12)
        try check(Sigmoid(), input: TestSupport.randomTensor([3, 6], seed: 13, std: 3), seed: 14)
        try check(Flatten(), input: TestSupport.randomTensor([2, 3, 2, 2], seed: 15), seed: 16)
    }
}
