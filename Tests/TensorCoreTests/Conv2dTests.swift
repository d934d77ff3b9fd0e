import Foundation
import Testing
import TensorCore

/// The im2col + GEMM convolution against a direct seven-loop convolution.
@Suite("Conv2d forward")
struct Conv2dTests {
    func direct(_ x: Tensor, weight: Tensor, bias: Tensor, stride: Int, padding: Int) -> Tensor {
        let (b, cin, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cout, k) = (weight.shape[0], weight.shape[2])
        let ho = (h + 2 * padding - k) / stride + 1, wo = (w + 2 * padding - k) / stride + 1
        var y = Tensor(shape: [b, cout, ho, wo])
        for n in 0..<b { for o in 0..<cout { for i in 0..<ho { for j in 0..<wo {
            var s = bias[o]
            for c in 0..<cin { for u in 0..<k { for v in 0..<k {
                let r = i * stride - padding + u, q = j * stride - padding + v
                if r >= 0 && r < h && q >= 0 && q < w { s += weight[o, c, u, v] * x[n, c, r, q] }
            } } }
            y[n, o, i, j] = s
        } } } }
        return y
    }

    @Test("matches the direct convolution", arguments: [(1, 0), (1, 1), (2, 0), (2, 1), (3, 2)])
    func matchesDirect(stride: Int, padding: Int) throws {
        let conv = Conv2d("c", inputChannels: 3, outputChannels: 4, kernelSize: 3, stride: stride, padding: padding)
        let model = try Sequential(kind: "t", inputShape: [3, 9, 8], layers: [conv], seed: 9)
        let x = TestSupport.randomTensor([2, 3, 9, 8], seed: 1)
        let named = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.tensor) })
        let expected = direct(x, weight: named["c.weight"]!, bias: named["c.bias"]!, stride: stride, padding: padding)
        let y = model.logits(for: x)
        #expect(y.shape == expected.shape)
        #expect((y - expected).maxAbs() < 1e-4)
    }

    @Test("the output shape follows ⌊(H + 2p − k)/s⌋ + 1 and a too-small input is an error naming the layer")
    func shapes() throws {
        let conv = Conv2d("conv9", inputChannels: 2, outputChannels: 5, kernelSize: 5, stride: 2, padding: 1)
        #expect(try conv.outputShape(for: [2, 11, 10]) == [5, 5, 4])
        #expect(throws: ModelError.self) { try conv.outputShape(for: [3, 11, 10]) }
        do {
            _ = try conv.outputShape(for: [2, 2, 2])
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("conv9"))
        }
    }
}

/// Max-pool, softmax cross-entropy and BLAS products against direct computation.
@Suite("Pooling, loss and matrix products")
struct KernelTests {
    @Test("max-pool takes the window maximum and routes the gradient to it")
    func maxPool() throws {
        let model = try Sequential(kind: "t", inputShape: [1, 4, 4], layers: [MaxPool2d("p")], seed: 0)
        let x = Tensor(shape: [1, 1, 4, 4], scalars: [1, 5, 2, 0, 3, 4, 8, 7, 0, 0, 1, 1, -1, 9, 2, 3])
        #expect(model.logits(for: x).scalars == [5, 8, 9, 3])
        let pool = MaxPool2d("p")
        let ws = LayerWorkspace()
        _ = pool.forward(x, parameters: UnsafeBufferPointer(start: nil, count: 0), workspace: ws)
        var none: [Float] = [], noNorms: [Double] = []
        let dx = none.withUnsafeMutableBufferPointer { empty in
            noNorms.withUnsafeMutableBufferPointer { emptyNorms in
                pool.backward(Tensor(shape: [1, 1, 2, 2], scalars: [10, 20, 30, 40]), parameters: UnsafeBufferPointer(start: nil, count: 0),
                              workspace: ws, mode: .batchSum, gradient: empty, squaredNorms: emptyNorms, needsInputGradient: true)
            }
        }!
        #expect(dx.scalars == [0, 10, 0, 0, 0, 0, 20, 0, 0, 0, 0, 0, 0, 30, 0, 40])
    }

    @Test("softmax cross-entropy is finite and exact for huge logits, and its gradient rows sum to zero")
    func stableSoftmax() {
        let logits = Tensor(shape: [2, 3], scalars: [10_000, 0, -10_000, 1, 2, 3])
        let r = SoftmaxCrossEntropy.evaluate(logits: logits, labels: [1, 2][...], computeGradient: true)
        let second = log(exp(1.0) + exp(2.0) + exp(3.0)) - 3
        #expect(abs(r.lossSum - (10_000 + second)) < 1e-2)
        #expect(r.correct == 1)
        let g = r.gradient!
        #expect(abs(g[0, 0] + g[0, 1] + g[0, 2]) < 1e-6 && abs(g[1, 0] + g[1, 1] + g[1, 2]) < 1e-6)
        #expect(abs(g[0, 1] + 1) < 1e-6)
    }

    @Test("matmul with each transpose flag equals the direct triple loop",
          arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matmul(ta: Bool, tb: Bool) {
        let a = TestSupport.randomTensor(ta ? [5, 3] : [3, 5], seed: 1)
        let b = TestSupport.randomTensor(tb ? [4, 5] : [5, 4], seed: 2)
        let c = a.matmul(b, transposeSelf: ta, transposeOther: tb)
        #expect(c.shape == [3, 4])
        for i in 0..<3 { for j in 0..<4 {
            var s: Float = 0
            for k in 0..<5 { s += (ta ? a[k, i] : a[i, k]) * (tb ? b[j, k] : b[k, j]) }
            #expect(abs(c[i, j] - s) < 1e-5)
        } }
        #expect(a.transposed().transposed() == a)
    }
}
