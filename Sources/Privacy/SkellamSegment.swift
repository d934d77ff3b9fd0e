/// A stretch of federated rounds with distributed DP at fixed settings: `steps` rounds in which each
/// hospital joins independently with probability q, and the securely aggregated sum of the quantised
/// updates carries Sk(μ) noise on every coordinate (Agarwal, Kairouz & Liu 2021, "The Skellam
/// Mechanism for Differentially Private Federated Learning"). Changing q, μ or the sensitivities
/// (clip norm, quantisation scale) starts a new segment.
///
/// Contract: values are validated when created, and every error names the value. All quantities are
/// in the quantised (integer) domain: μ is the per-coordinate noise variance in the *sum*, Δ₁ and Δ₂
/// bound the L1 and L2 norms of one hospital's quantised update (so Δ₁ ≥ Δ₂, as for any vector).
public struct SkellamSegment: Sendable, Equatable, CustomStringConvertible {
    /// q, in (0, 1]: each hospital joins a round independently with this probability.
    public var sampleRate: Double
    /// μ ≥ 0: the variance of the Skellam noise on each coordinate of the aggregated sum.
    public var variance: Double
    /// Δ₁ > 0: the L1 sensitivity of the sum (one hospital's quantised update's L1 norm bound).
    public var l1Sensitivity: Double
    /// Δ₂ > 0: the L2 sensitivity of the sum (one hospital's quantised update's L2 norm bound).
    public var l2Sensitivity: Double
    /// How many rounds.
    public var steps: Int

    public init(sampleRate: Double, variance: Double, l1Sensitivity: Double, l2Sensitivity: Double,
                steps: Int) throws(PrivacyError) {
        guard sampleRate > 0, sampleRate <= 1 else {
            throw .invalidSetting(name: "sample rate q", value: sampleRate, expected: "0 < q ≤ 1")
        }
        guard variance >= 0, variance.isFinite else {
            throw .invalidSetting(name: "Skellam noise variance μ", value: variance, expected: "μ ≥ 0")
        }
        guard l2Sensitivity > 0, l2Sensitivity.isFinite else {
            throw .invalidSetting(name: "L2 sensitivity Δ₂", value: l2Sensitivity, expected: "Δ₂ > 0")
        }
        guard l1Sensitivity >= l2Sensitivity, l1Sensitivity.isFinite else {
            throw .invalidSetting(name: "L1 sensitivity Δ₁", value: l1Sensitivity,
                                  expected: "Δ₁ ≥ Δ₂ = \(l2Sensitivity): a vector's L1 norm is at least its L2 norm")
        }
        guard steps >= 0 else {
            throw .invalidSetting(name: "steps", value: Double(steps), expected: "steps ≥ 0")
        }
        self.sampleRate = sampleRate
        self.variance = variance
        self.l1Sensitivity = l1Sensitivity
        self.l2Sensitivity = l2Sensitivity
        self.steps = steps
    }

    /// The Gaussian noise multiplier with the same variance per unit of L2 sensitivity, √μ/Δ₂: the
    /// Skellam mechanism's RDP approaches that Gaussian's from above as μ grows.
    public var equivalentNoiseMultiplier: Double { variance.squareRoot() / l2Sensitivity }

    /// Whether `other` has the same settings (so their steps can be merged).
    func hasSameSettings(as other: SkellamSegment) -> Bool {
        sampleRate == other.sampleRate && variance == other.variance
            && l1Sensitivity == other.l1Sensitivity && l2Sensitivity == other.l2Sensitivity
    }

    public var description: String { "skellam \(sampleRate):\(variance):\(l1Sensitivity):\(l2Sensitivity):\(steps)" }
}
