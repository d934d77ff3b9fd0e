import TensorCore

/// Adversarial training inside DP-SGD: the capstone's "robust training (adversarial + DP)". Each
/// record of a step's batch is replaced, with probability ``ratio``, by its adversarial version under
/// ``attack`` at L∞ budget ``epsilon`` (FGSM training, Goodfellow, Shlens & Szegedy 2015; PGD training
/// from a random start, Madry et al. 2018), made from the model as it stands at that step; the batch
/// then goes through DP-SGD's per-sample clipping and noise unchanged.
///
/// Why the privacy accounting is the same with and without it: the adversarial example
/// x'ᵢ = A(θₜ, xᵢ, yᵢ) is a function of record i alone and of the current model θₜ, which is the
/// output of the steps already accounted for. Record i still contributes exactly one per-sample
/// gradient, clipped to C, so adding or removing one record still changes the clipped sum by at most
/// C in L2, and each step is the same Poisson-subsampled Gaussian mechanism with (q, σ) that the
/// accountant charges. That is why examples *replace* records rather than join them: x'ᵢ beside xᵢ
/// would give record i two clipped gradients and double the sensitivity. Which records are replaced,
/// and PGD's random start, are drawn independently of the data from the mechanism's own secret
/// randomness (a ChaCha20 stream of DP-SGD's noise key, ``DPSGD``), i.i.d. per batch position: for
/// neighbouring datasets the common records' draws can be coupled, so only the differing record's term
/// differs. (Draws an adversary could predict would break that coupling; a seeded run's noise is
/// predictable too, and fedtop reports its ε as seeded, not secure.)
///
/// ε is in the model's input space: fedtop standardises every feature, so ε = 0.1 moves each feature
/// by at most a tenth of its standard deviation.
///
/// Contract: created only by ``init(attack:epsilon:ratio:)`` or ``init(parsing:ratio:)``, which check
/// 0 < ε ≤ 10 (finite), 0 < ratio ≤ 1, PGD steps in 1…100 and a PGD step size α in (0, ε]. ``spec``
/// parses back to the same value.
public struct AdversarialTraining: Sendable, Equatable, CustomStringConvertible {
    public let attack: AdversarialAttack
    /// The L∞ budget, in standard deviations of each feature.
    public let epsilon: Double
    /// The probability that a record of a batch is replaced by its adversarial version.
    public let ratio: Double

    /// The largest budget accepted: beyond ten standard deviations an "example" is no longer a record.
    public static let maxEpsilon = 10.0
    /// PGD steps accepted: each one is a forward and backward pass of the batch.
    public static let maxPGDSteps = 100

    public init(attack: AdversarialAttack, epsilon: Double, ratio: Double = 0.5) throws(PrivacyError) {
        guard epsilon.isFinite, epsilon > 0, epsilon <= Self.maxEpsilon else {
            throw .invalidSetting(name: "adversarial ε", value: epsilon, expected: "0 < ε ≤ \(Self.maxEpsilon)")
        }
        guard ratio.isFinite, ratio > 0, ratio <= 1 else {
            throw .invalidSetting(name: "adversarial ratio", value: ratio, expected: "0 < ratio ≤ 1")
        }
        if case let .pgd(steps, stepSize, _) = attack {
            guard steps >= 1, steps <= Self.maxPGDSteps else {
                throw .invalidSetting(name: "PGD steps", value: Double(steps), expected: "1 … \(Self.maxPGDSteps)")
            }
            if let alpha = stepSize, !(alpha.isFinite && alpha > 0 && alpha <= epsilon) {
                throw .invalidSetting(name: "PGD step size α", value: alpha, expected: "0 < α ≤ ε")
            }
        }
        self.attack = attack
        self.epsilon = epsilon
        self.ratio = ratio
    }

    /// `fgsm:EPS` or `pgd:EPS:STEPS[:ALPHA]` (α defaults to 2.5·ε/steps; PGD starts from a uniform point
    /// of the ε-ball, as Madry et al. train).
    public init(parsing text: String, ratio: Double = 0.5) throws(PrivacyError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        func number(_ k: Int) throws(PrivacyError) -> Double {
            guard let v = Double(parts[k]), v.isFinite else {
                throw .malformedSpecification("'\(parts[k])' is not a number (expected fgsm:EPS or pgd:EPS:STEPS[:ALPHA])")
            }
            return v
        }
        switch (parts.first, parts.count) {
        case ("fgsm", 2):
            try self.init(attack: .fgsm, epsilon: try number(1), ratio: ratio)
        case ("pgd", 3), ("pgd", 4):
            guard let steps = Int(parts[2]) else {
                throw .malformedSpecification("PGD steps '\(parts[2])' is not a whole number (expected pgd:EPS:STEPS[:ALPHA])")
            }
            let alpha = parts.count == 4 ? try number(3) : nil
            try self.init(attack: .pgd(steps: steps, stepSize: alpha, randomStart: true), epsilon: try number(1), ratio: ratio)
        default:
            throw .malformedSpecification("expected fgsm:EPS or pgd:EPS:STEPS[:ALPHA]")
        }
    }

    /// The form ``init(parsing:ratio:)`` reads: `fgsm:0.1`, `pgd:0.1:10:0.025`.
    public var spec: String {
        switch attack {
        case .fgsm: "fgsm:\(epsilon)"
        case let .pgd(steps, stepSize, _): "pgd:\(epsilon):\(steps)" + (stepSize.map { ":\($0)" } ?? "")
        }
    }

    public var description: String { "\(spec), \(Int((ratio * 100).rounded())) % of records" }

    /// `inputs` (a batch, `[n] + model.inputShape`) with each row replaced, with probability ``ratio``,
    /// by its adversarial version against `model`; the other rows are unchanged, and so are the labels.
    /// `seed` draws the choice and PGD's random start (the same seed, the same batch).
    public func mix(model: Sequential, inputs: Tensor, labels: [Int], seed: UInt64) -> Tensor {
        let n = labels.count
        guard n > 0 else { return inputs }
        precondition(inputs.rank >= 1 && inputs.shape[0] == n, "AdversarialTraining: \(n) labels for inputs of shape \(inputs.shape)")
        var chooser = SeededGenerator(seed: seed, stream: 1)
        let chosen = ratio >= 1 ? Array(0..<n) : (0..<n).filter { _ in chooser.nextUnitDouble() < ratio }
        guard !chosen.isEmpty else { return inputs }
        let adversarial = AdversarialExamples.perturb(model: model, inputs: chosen.count == n ? inputs : inputs.gathering(chosen),
                                                      labels: chosen.map { labels[$0] }, epsilon: epsilon, attack: attack, seed: seed)
        if chosen.count == n { return adversarial }
        let row = inputs.count / n
        var result = inputs
        result.withUnsafeMutableBufferPointer { out in
            adversarial.withUnsafeBufferPointer { a in
                for (k, i) in chosen.enumerated() {
                    for j in 0..<row { out[i * row + j] = a[k * row + j] }
                }
            }
        }
        return result
    }
}

/// As ``AdversarialTraining/spec`` and the ratio (`{"spec": "pgd:0.3:5", "ratio": 0.5}`); decoding checks
/// the value as ``AdversarialTraining/init(parsing:ratio:)`` does, so a bad one is an error, never a value.
extension AdversarialTraining: Codable {
    private enum CodingKeys: String, CodingKey { case spec, ratio }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let spec = try c.decode(String.self, forKey: .spec)
        do { try self.init(parsing: spec, ratio: try c.decode(Double.self, forKey: .ratio)) } catch {
            throw DecodingError.dataCorruptedError(forKey: .spec, in: c, debugDescription: "\(error)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(spec, forKey: .spec)
        try c.encode(ratio, forKey: .ratio)
    }
}
