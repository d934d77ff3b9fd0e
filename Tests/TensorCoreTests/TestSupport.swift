import TensorCore

/// Random tensors and losses shared by the TensorCore tests.
enum TestSupport {
    static func randomTensor(_ shape: [Int], seed: UInt64, std: Float = 1) -> Tensor {
        var g = SeededGenerator(seed: seed)
        return Tensor(shape: shape) { g.fillNormal($0, std: std) }
    }

    static func randomLabels(_ n: Int, classes: Int, seed: UInt64) -> [Int] {
        var g = SeededGenerator(seed: seed)
        return (0..<n).map { _ in Int(g.next() % UInt64(classes)) }
    }

    /// Σᵢ ℓᵢ of the model on a batch, in Double.
    static func loss(_ model: Sequential, _ x: Tensor, _ y: [Int]) -> Double {
        SoftmaxCrossEntropy.evaluate(logits: model.logits(for: x), labels: y[...], computeGradient: false).lossSum
    }

    /// Central finite difference of the summed loss along parameter `i`.
    static func numericalDerivative(_ model: Sequential, _ x: Tensor, _ y: [Int], parameter i: Int,
                                    epsilon: Float = 1e-2) -> Double {
        var plus = model, minus = model
        plus.parameters[flat: i] += epsilon
        minus.parameters[flat: i] -= epsilon
        return (loss(plus, x, y) - loss(minus, x, y)) / Double(2 * epsilon)
    }

    /// |a − b| ≤ atol + rtol·max(|a|, |b|).
    static func close(_ a: Double, _ b: Double, rtol: Double, atol: Double) -> Bool {
        abs(a - b) <= atol + rtol * max(abs(a), abs(b))
    }
}
