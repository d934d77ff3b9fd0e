/// A first-order optimiser over a model's flat parameter vector.
///
/// Contract: `step` takes the *mean* gradient (already averaged, clipped and noised as the caller's
/// privacy mechanism requires) of the same length as `parameters` and updates them in place.
/// `learningRate` may change between steps (the console's live tuning).
public protocol Optimizer: Sendable {
    var learningRate: Float { get set }
    mutating func step(parameters: inout Tensor, gradient: Tensor)
}

/// Stochastic gradient descent with momentum and L2 weight decay, as PyTorch defines it:
/// g ← g + λθ; v ← μv + g; θ ← θ − η·v (Nesterov: θ ← θ − η·(g + μv)) (Sutskever et al. 2013).
public struct SGD: Optimizer {
    public var learningRate: Float
    public var momentum: Float
    public var weightDecay: Float
    public var nesterov: Bool
    private var velocity: Tensor?

    public init(learningRate: Float, momentum: Float = 0, weightDecay: Float = 0, nesterov: Bool = false) {
        precondition(learningRate >= 0 && momentum >= 0 && weightDecay >= 0, "SGD: negative hyper-parameter")
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    public mutating func step(parameters: inout Tensor, gradient: Tensor) {
        precondition(parameters.count == gradient.count, "SGD: gradient of \(gradient.count) for \(parameters.count) parameters")
        let n = parameters.count
        if momentum > 0 && velocity?.count != n { velocity = Tensor(shape: [n]) }  // new, or another model
        let lr = learningRate, mu = momentum, wd = weightDecay, nesterov = nesterov
        parameters.withUnsafeMutableBufferPointer { theta in
            gradient.withUnsafeBufferPointer { g in
                if mu > 0 {
                    velocity!.withUnsafeMutableBufferPointer { v in
                        for i in 0..<n {
                            let gi = g[i] + wd * theta[i]
                            v[i] = mu * v[i] + gi
                            theta[i] -= lr * (nesterov ? gi + mu * v[i] : v[i])
                        }
                    }
                } else {
                    for i in 0..<n { theta[i] -= lr * (g[i] + wd * theta[i]) }
                }
            }
        }
    }
}

/// Adam (Kingma & Ba 2015) with bias correction and optional L2 weight decay:
/// m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; θ ← θ − η·m̂/(√v̂ + ε).
public struct Adam: Optimizer {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var weightDecay: Float
    private var m: Tensor?
    private var v: Tensor?
    private var t = 0

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0) {
        precondition(learningRate >= 0 && (0..<1).contains(beta1) && (0..<1).contains(beta2) && epsilon > 0,
                     "Adam: hyper-parameter out of range")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    public mutating func step(parameters: inout Tensor, gradient: Tensor) {
        precondition(parameters.count == gradient.count, "Adam: gradient of \(gradient.count) for \(parameters.count) parameters")
        let n = parameters.count
        if m?.count != n { m = Tensor(shape: [n]); v = Tensor(shape: [n]); t = 0 }  // new, or another model
        t += 1
        let b1 = beta1, b2 = beta2, eps = epsilon, wd = weightDecay
        let c1 = 1 - Float(_pow(Double(b1), Double(t))), c2 = 1 - Float(_pow(Double(b2), Double(t)))
        let lr = learningRate
        parameters.withUnsafeMutableBufferPointer { theta in
            gradient.withUnsafeBufferPointer { g in
                m!.withUnsafeMutableBufferPointer { mm in
                    v!.withUnsafeMutableBufferPointer { vv in
                        for i in 0..<n {
                            let gi = g[i] + wd * theta[i]
                            mm[i] = b1 * mm[i] + (1 - b1) * gi
                            vv[i] = b2 * vv[i] + (1 - b2) * gi * gi
                            theta[i] -= lr * (mm[i] / c1) / ((vv[i] / c2).squareRoot() + eps)
                        }
                    }
                }
            }
        }
    }
}
