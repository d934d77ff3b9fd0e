import TensorCore

/// Local SGD with FedProx's proximal term (Li et al. 2020, "Federated optimization in heterogeneous
/// networks"): the local objective adds μ/2·‖w − w_global‖², so every step's gradient gains
/// μ(w − w_global). The term depends only on the parameters, never on records, so under DP-SGD it
/// is added after the noise at no privacy cost. With μ = 0 this is plain SGD.
public struct ProximalSGD: Optimizer {
    public var base: SGD
    public var mu: Float
    /// The global model the round started from.
    public let anchor: Tensor

    public init(base: SGD, mu: Float, anchor: Tensor) {
        self.base = base
        self.mu = mu
        self.anchor = anchor
    }

    public var learningRate: Float {
        get { base.learningRate }
        set { base.learningRate = newValue }
    }

    public mutating func step(parameters: inout Tensor, gradient: Tensor) {
        guard mu > 0 else { return base.step(parameters: &parameters, gradient: gradient) }
        var g = gradient
        g.add(parameters, scaledBy: mu)
        g.add(anchor, scaledBy: -mu)
        base.step(parameters: &parameters, gradient: g)
    }
}
