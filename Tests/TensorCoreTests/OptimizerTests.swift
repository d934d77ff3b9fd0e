import Testing
import TensorCore

@Suite("Optimisers")
struct OptimizerTests {
    @Test("SGD with momentum and weight decay follows PyTorch's update, step by step")
    func sgdMomentum() {
        var theta = Tensor([1.0, -2.0])
        var sgd = SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
        let g = Tensor([0.5, 0.25])
        // Step 1: d = g + 0.01θ; v = d; θ -= 0.1 v.
        var v: [Float] = [0.5 + 0.01 * 1, 0.25 + 0.01 * -2]
        var expected: [Float] = [1 - 0.1 * v[0], -2 - 0.1 * v[1]]
        sgd.step(parameters: &theta, gradient: g)
        #expect(zip(theta.scalars, expected).allSatisfy { abs($0 - $1) < 1e-6 })
        // Step 2: v = 0.9v + d.
        v = [0.9 * v[0] + 0.5 + 0.01 * expected[0], 0.9 * v[1] + 0.25 + 0.01 * expected[1]]
        expected = [expected[0] - 0.1 * v[0], expected[1] - 0.1 * v[1]]
        sgd.step(parameters: &theta, gradient: g)
        #expect(zip(theta.scalars, expected).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test("Adam's first step moves each coordinate by the learning rate against the gradient's sign")
    func adamFirstStep() {
        var theta = Tensor([0, 0, 0])
        var adam = Adam(learningRate: 0.01)
        adam.step(parameters: &theta, gradient: Tensor([3, -0.001, 1e-3]))
        #expect(abs(theta[flat: 0] + 0.01) < 1e-5 && abs(theta[flat: 1] - 0.01) < 1e-4 && abs(theta[flat: 2] + 0.01) < 1e-4)
    }

    @Test("both optimisers minimise a quadratic", arguments: ["sgd", "adam"])
    func minimiseQuadratic(kind: String) {
        var theta = Tensor([4, -3, 2])
        var opt: any Optimizer = kind == "sgd" ? SGD(learningRate: 0.1, momentum: 0.5) : Adam(learningRate: 0.1)
        for _ in 0..<300 { opt.step(parameters: &theta, gradient: 2 * theta) }
        #expect(theta.maxAbs() < 1e-2)
    }
}
