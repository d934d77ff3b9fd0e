/// A white-box evasion attack under an L∞ budget ε: it moves each input by at most ε per feature so
/// as to raise the model's loss on the true label (untargeted), using ``Sequential/inputGradient(_:labels:chunkSize:)``.
///
/// - `fgsm`: the fast gradient sign method, one step x + ε·sign(∇ₓℓ) (Goodfellow, Shlens & Szegedy 2015,
///   "Explaining and harnessing adversarial examples").
/// - `pgd`: projected gradient descent on the loss, `steps` iterations of
///   x ← Π_{‖x − x₀‖∞ ≤ ε}(x + α·sign(∇ₓℓ)), from x₀ or from a uniform random point of the ε-ball
///   (Madry et al. 2018, "Towards deep learning models resistant to adversarial attacks"). The step
///   α defaults to 2.5·ε/steps, Madry et al.'s choice: enough to cross the ball from any start.
///
/// Contract: `steps` ≥ 1 and a given `stepSize` is positive and finite (checked by ``AdversarialExamples``).
/// ``name`` is the attack's short name, `fgsm` or `pgd-<steps>`, usable as a CSV stem.
public enum AdversarialAttack: Sendable, Equatable {
    case fgsm
    case pgd(steps: Int, stepSize: Double?, randomStart: Bool)

    public var name: String {
        switch self {
        case .fgsm: "fgsm"
        case let .pgd(steps, _, _): "pgd-\(steps)"
        }
    }
}

/// Adversarial examples (FGSM, Goodfellow et al. 2015; PGD under L∞, Madry et al. 2018): what the
/// audit's evasion attacks send and what adversarial training (``AdversarialTraining`` in Privacy) trains on.
///
/// Perturbations are measured in the model's *input space*. fedtop standardises every feature (zero
/// mean, unit variance on the training data), so ε is in units of each feature's standard deviation:
/// ε = 0.1 lets every feature move by a tenth of its spread, not by 0.1 of its raw unit.
///
/// Contract for every function here:
/// - `inputs`/`features` are `[n] + model.inputShape`, with one label in `0..<classes` per sample;
///   ε is finite and ≥ 0 (programmer errors trap with a message).
/// - ε = 0 leaves the inputs unchanged (no gradient is computed, `bounds` are not applied).
/// - The result x' satisfies |x'ⱼ − xⱼ| ≤ ε for every coordinate, in exact arithmetic on the Float32
///   values (the ball's edges are rounded inwards), whenever xⱼ lies within `bounds`.
/// - With `bounds`, every coordinate of the result lies in them (pixel ranges, say); bounds win over
///   the ball for an input already outside them.
/// - Deterministic: the same `seed` gives the same examples (the random start of PGD draws from a
///   ``SeededGenerator``; FGSM and PGD without a random start do not use the seed).
public enum AdversarialExamples {
    /// Adversarial versions of `inputs` under `attack` with budget `epsilon`.
    public static func perturb(model: Sequential, inputs: Tensor, labels: [Int], epsilon: Double,
                               attack: AdversarialAttack, bounds: ClosedRange<Float>? = nil, seed: UInt64) -> Tensor {
        precondition(epsilon.isFinite && epsilon >= 0, "AdversarialExamples: ε must be finite and ≥ 0, got \(epsilon)")
        precondition(inputs.rank >= 1 && labels.count == inputs.shape[0],
                     "AdversarialExamples: \(labels.count) labels for inputs of shape \(inputs.shape)")
        guard epsilon > 0 else { return inputs }
        switch attack {
        case .fgsm:
            let gradient = model.inputGradient(inputs, labels: labels).gradient
            return signStep(from: inputs, along: gradient, by: epsilon, center: inputs, epsilon: epsilon, bounds: bounds)
        case let .pgd(steps, stepSize, randomStart):
            precondition(steps >= 1, "AdversarialExamples: PGD needs at least one step, got \(steps)")
            let alpha = stepSize ?? 2.5 * epsilon / Double(steps)
            precondition(alpha.isFinite && alpha > 0, "AdversarialExamples: PGD step size must be positive and finite, got \(alpha)")
            var x = randomStart ? uniformStart(center: inputs, epsilon: epsilon, bounds: bounds, seed: seed) : inputs
            for _ in 0..<steps {
                let gradient = model.inputGradient(x, labels: labels).gradient
                x = signStep(from: x, along: gradient, by: alpha, center: inputs, epsilon: epsilon, bounds: bounds)
            }
            return x
        }
    }

    /// Π(x + step·sign(g)) onto the ε-ball around `center`, then onto `bounds`. sign(0) = 0, and a NaN
    /// gradient coordinate does not move its input.
    static func signStep(from x: Tensor, along gradient: Tensor, by step: Double, center: Tensor, epsilon: Double,
                         bounds: ClosedRange<Float>?) -> Tensor {
        let s = Float(step)
        return Tensor(shape: x.shape) { out in
            x.withUnsafeBufferPointer { x in
                gradient.withUnsafeBufferPointer { g in
                    center.withUnsafeBufferPointer { c in
                        for k in 0..<out.count {
                            let direction: Float = g[k] > 0 ? 1 : (g[k] < 0 ? -1 : 0)
                            out[k] = project(x[k] + s * direction, center: c[k], epsilon: epsilon, bounds: bounds)
                        }
                    }
                }
            }
        }
    }

    /// A uniform random point of the ε-ball around `center` (each coordinate in [xⱼ − ε, xⱼ + ε)),
    /// projected onto `bounds`.
    static func uniformStart(center: Tensor, epsilon: Double, bounds: ClosedRange<Float>?, seed: UInt64) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return Tensor(shape: center.shape) { out in
            center.withUnsafeBufferPointer { c in
                for k in 0..<out.count {
                    let offset = Float((2 * generator.nextUnitDouble() - 1) * epsilon)
                    out[k] = project(c[k] + offset, center: c[k], epsilon: epsilon, bounds: bounds)
                }
            }
        }
    }

    /// `value` clamped to [center − ε, center + ε] with both edges rounded inwards to Float32 (so the
    /// distance to `center` never exceeds ε, not even by a rounding), then to `bounds`.
    @inline(__always)
    static func project(_ value: Float, center: Float, epsilon: Double, bounds: ClosedRange<Float>?) -> Float {
        var lower = Float(Double(center) - epsilon)
        if Double(center) - Double(lower) > epsilon { lower = lower.nextUp }
        var upper = Float(Double(center) + epsilon)
        if Double(upper) - Double(center) > epsilon { upper = upper.nextDown }
        var v = value.isNaN ? center : min(max(value, lower), upper)
        if let bounds { v = min(max(v, bounds.lowerBound), bounds.upperBound) }
        return v
    }
}
