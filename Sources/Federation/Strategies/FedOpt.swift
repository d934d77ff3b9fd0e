import TensorCore

/// Adaptive server optimisers, FedAdam, FedYogi and FedAdagrad (Reddi, Charles, Zaheer, Garrett,
/// Rush, Konečný, Kumar & McMahan 2021, "Adaptive federated optimization", Algorithm 2): the
/// aggregate Δ is the sample-weighted mean of the updates, treated as a pseudo-gradient, and the server
/// keeps per-coordinate moments:
///
///     m ← β₁·m + (1 − β₁)·Δ
///     v ← β₂·v + (1 − β₂)·Δ²                    (FedAdam)
///     v ← v − (1 − β₂)·Δ²·sign(v − Δ²)          (FedYogi)
///     v ← v + Δ²                                (FedAdagrad)
///     x ← x + η·m / (√v + τ)
///
/// with m₀ = 0 and v₀ = τ² (the paper requires v₋₁ ≥ τ²) and no bias correction, as in the paper.
///
/// Contract: η > 0, 0 ≤ β₁ < 1, 0 ≤ β₂ < 1, τ > 0, all finite; the defaults are the paper's
/// (η = 0.01 from its sweeps, β₁ = 0.9, β₂ = 0.99, τ = 10⁻³). β₂ is unused by FedAdagrad. The moments
/// live in the value and are created on the first ``apply(_:to:)`` with the model's size; a later
/// aggregate of another size is a programmer error (trap). Name `fedadam`, `fedyogi` or
/// `fedadagrad`, followed by `:η`, `:η:τ` or `:η:τ:β₁:β₂` when those differ from the defaults.
public struct FedOpt: Strategy {
    /// Which second-moment rule the server uses.
    public enum Variant: String, Sendable, Equatable, CaseIterable {
        case adam = "fedadam"
        case yogi = "fedyogi"
        case adagrad = "fedadagrad"
    }

    public static let defaultServerLearningRate = 0.01
    public static let defaultBeta1 = 0.9
    public static let defaultBeta2 = 0.99
    public static let defaultTau = 1e-3

    public let variant: Variant
    /// η, the server learning rate.
    public let serverLearningRate: Double
    /// β₁, the decay of the first moment m.
    public let beta1: Double
    /// β₂, the decay of the second moment v (FedAdam, FedYogi).
    public let beta2: Double
    /// τ, the adaptivity floor: added to √v, and v starts at τ².
    public let tau: Double
    /// m, nil until the first server step.
    public private(set) var firstMoment: Tensor?
    /// v, nil until the first server step.
    public private(set) var secondMoment: Tensor?

    /// - Precondition: η > 0, 0 ≤ β₁ < 1, 0 ≤ β₂ < 1, τ > 0, all finite.
    public init(_ variant: Variant, serverLearningRate: Double = defaultServerLearningRate,
                beta1: Double = defaultBeta1, beta2: Double = defaultBeta2, tau: Double = defaultTau) {
        precondition(serverLearningRate > 0 && serverLearningRate.isFinite,
                     "FedOpt: server learning rate η \(serverLearningRate) must be > 0")
        precondition(beta1 >= 0 && beta1 < 1, "FedOpt: β₁ \(beta1) outside [0, 1)")
        precondition(beta2 >= 0 && beta2 < 1, "FedOpt: β₂ \(beta2) outside [0, 1)")
        precondition(tau > 0 && tau.isFinite, "FedOpt: τ \(tau) must be > 0")
        self.variant = variant
        self.serverLearningRate = serverLearningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.tau = tau
    }

    public var name: String {
        let defaultBetas = beta1 == Self.defaultBeta1 && beta2 == Self.defaultBeta2
        if defaultBetas && tau == Self.defaultTau {
            return serverLearningRate == Self.defaultServerLearningRate
                ? variant.rawValue : "\(variant.rawValue):\(serverLearningRate)"
        }
        let prefix = "\(variant.rawValue):\(serverLearningRate):\(tau)"
        return defaultBetas ? prefix : "\(prefix):\(beta1):\(beta2)"
    }

    public var combination: CombinationKind { .mean }

    public func combine(_ updates: [ClientUpdate]) -> Tensor {
        AggregationMath.weightedMean(updates)
    }

    public var foldRule: UpdateFold.Rule? { .weighted }

    public func combine(folded: UpdateFold) -> Tensor { folded.weightedMean() }

    public mutating func apply(_ aggregate: Tensor, to global: inout Tensor) {
        var m = firstMoment ?? Tensor(shape: [aggregate.count])
        var v = secondMoment ?? Tensor(shape: [aggregate.count], repeating: Float(tau * tau))
        precondition(m.count == aggregate.count,
                     "FedOpt: aggregate of \(aggregate.count) scalars after moments of \(m.count)")
        // Drop the stored moments first so that the writes below do not copy them.
        firstMoment = nil
        secondMoment = nil
        Self.step(variant, aggregate: aggregate, firstMoment: &m, secondMoment: &v, global: &global,
                  serverLearningRate: serverLearningRate, beta1: beta1, beta2: beta2, tau: tau)
        firstMoment = m
        secondMoment = v
    }

    /// The step on the kept coordinates only: their moments and parameters move; a dropped unit's
    /// moments wait, unchanged, for the next round that keeps it.
    public mutating func apply(_ aggregate: Tensor, to global: inout Tensor, subModel: SubModel) {
        var m = firstMoment ?? Tensor(shape: [global.count])
        var v = secondMoment ?? Tensor(shape: [global.count], repeating: Float(tau * tau))
        precondition(m.count == global.count, "FedOpt: a model of \(global.count) scalars after moments of \(m.count)")
        var keptM = subModel.gather(m), keptV = subModel.gather(v), keptX = subModel.gather(global)
        Self.step(variant, aggregate: aggregate, firstMoment: &keptM, secondMoment: &keptV, global: &keptX,
                  serverLearningRate: serverLearningRate, beta1: beta1, beta2: beta2, tau: tau)
        firstMoment = nil
        secondMoment = nil
        subModel.scatter(keptM, into: &m)
        subModel.scatter(keptV, into: &v)
        subModel.scatter(keptX, into: &global)
        firstMoment = m
        secondMoment = v
    }

    // MARK: - Server state

    static let firstMomentKey = "server.fedopt.m"
    static let secondMomentKey = "server.fedopt.v"

    /// m and v once the first server step has run.
    public var serverState: [String: Tensor] {
        guard let firstMoment, let secondMoment else { return [:] }
        return [Self.firstMomentKey: firstMoment, Self.secondMomentKey: secondMoment]
    }

    /// Takes m and v from a checkpoint (both or neither; the same length; finite).
    public mutating func restoreServerState(_ state: [String: Tensor]) throws(FederationError) {
        let m = state[Self.firstMomentKey], v = state[Self.secondMomentKey]
        switch (m, v) {
        case (nil, nil):
            firstMoment = nil
            secondMoment = nil
        case let (m?, v?):
            guard m.count == v.count, m.isFinite, v.isFinite else {
                throw .configuration("\(name): the checkpoint's server moments do not fit (m \(m.count), v \(v.count) scalars, or not finite)")
            }
            firstMoment = m
            secondMoment = v
        default:
            throw .configuration("\(name): the checkpoint holds only one of the server moments \(Self.firstMomentKey), \(Self.secondMomentKey)")
        }
    }

    // MARK: - The maths

    /// One coordinate's new second moment v from the previous v and Δ².
    public static func updatedSecondMoment(_ variant: Variant, previous v: Double, deltaSquared d2: Double,
                                           beta2: Double) -> Double {
        switch variant {
        case .adam: return beta2 * v + (1 - beta2) * d2
        case .yogi:
            let difference = v - d2
            let sign: Double = difference > 0 ? 1 : (difference < 0 ? -1 : 0)
            return v - (1 - beta2) * d2 * sign
        case .adagrad: return v + d2
        }
    }

    /// One server step of Algorithm 2, in place: updates m and v from the aggregate Δ, then moves the
    /// global parameters x by η·m/(√v + τ). Per-coordinate arithmetic is in Double (the hyperparameters
    /// are Double for that reason); m, v and x are stored in Float32.
    /// - Precondition: all four tensors have the same element count.
    public static func step(_ variant: Variant, aggregate: Tensor, firstMoment: inout Tensor,
                            secondMoment: inout Tensor, global: inout Tensor, serverLearningRate eta: Double,
                            beta1: Double, beta2: Double, tau: Double) {
        let count = aggregate.count
        precondition(firstMoment.count == count && secondMoment.count == count && global.count == count,
                     "FedOpt.step: aggregate \(count), m \(firstMoment.count), v \(secondMoment.count), "
                     + "global \(global.count) scalars")
        aggregate.withUnsafeBufferPointer { delta in
            firstMoment.withUnsafeMutableBufferPointer { m in
                secondMoment.withUnsafeMutableBufferPointer { v in
                    global.withUnsafeMutableBufferPointer { x in
                        for i in 0..<count {
                            let d = Double(delta[i])
                            let newM = beta1 * Double(m[i]) + (1 - beta1) * d
                            let newV = updatedSecondMoment(variant, previous: Double(v[i]), deltaSquared: d * d,
                                                           beta2: beta2)
                            m[i] = Float(newM)
                            v[i] = Float(newV)
                            x[i] = Float(Double(x[i]) + eta * newM / (newV.squareRoot() + tau))
                        }
                    }
                }
            }
        }
    }
}
