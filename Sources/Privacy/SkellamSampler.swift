/// Exact sampling of the symmetric Skellam distribution Sk(μ) with variance μ: the difference of two
/// independent Poisson(μ/2) draws (Agarwal, Kairouz & Liu 2021, "The Skellam Mechanism for
/// Differentially Private Federated Learning", NeurIPS), the integer noise of distributed DP under
/// secure aggregation.
///
/// Contract:
/// - Each draw is exactly Poisson(μ/2) − Poisson(μ/2) (``PoissonSampler``: no normal approximation,
///   exact up to 53-bit uniforms), so draws are integers with mean 0 and variance μ.
/// - Skellam is closed under summation: shares Sk(μ₁), …, Sk(μₙ) drawn independently by n parties
///   sum to Sk(μ₁ + … + μₙ). The μ that ``SkellamRDP`` accounts is the variance *in the sum*, so a
///   party draws its share's variance, e.g. μ/n when n parties are guaranteed to contribute (fewer
///   contributors means less noise than accounted).
/// - The generator is the caller's: ``ChaCha20Generator/init()`` (kernel-keyed) for noise whose
///   privacy is reported; a seeded one only for tests and reproducible runs.
public struct SkellamSampler: Sendable, Equatable {
    /// The largest variance accepted: 2⁵² (each Poisson mean at most 2⁵¹).
    public static let maxVariance = 2 * PoissonSampler.maxMean
    /// The largest variance accepted for `Int32` output: 2⁴⁰ (standard deviation 2²⁰), so a draw
    /// outside the `Int32` range is more than 2000 standard deviations out: one of its Poisson(2³⁹)
    /// halves is then 2³⁰ from its mean, probability below 10^(−450 000) by the Chernoff bound.
    /// Such a draw would be clamped.
    public static let maxInt32Variance = 1_099_511_627_776.0

    /// μ ≥ 0, the variance of each draw.
    public let variance: Double
    private let poisson: PoissonSampler

    public init(variance: Double) throws(PrivacyError) {
        guard variance >= 0, variance <= SkellamSampler.maxVariance else {
            throw .invalidSetting(name: "Skellam noise variance μ", value: variance, expected: "0 ≤ μ ≤ 2⁵²")
        }
        self.variance = variance
        poisson = try PoissonSampler(mean: variance / 2)
    }

    /// One draw.
    public func next<G: RandomNumberGenerator>(using generator: inout G) -> Int64 {
        let plus = poisson.next(using: &generator)
        return plus - poisson.next(using: &generator)
    }

    /// Overwrites every element of `out` with an independent draw.
    public func fill<G: RandomNumberGenerator>(_ out: inout [Int64], using generator: inout G) {
        for i in out.indices { out[i] = next(using: &generator) }
    }

    /// Overwrites every element of `out` with an independent draw.
    /// - Throws: when μ exceeds ``maxInt32Variance``, naming it.
    public func fill<G: RandomNumberGenerator>(_ out: inout [Int32], using generator: inout G) throws(PrivacyError) {
        guard variance <= SkellamSampler.maxInt32Variance else {
            throw .invalidSetting(name: "Skellam noise variance μ for 32-bit output", value: variance,
                                  expected: "μ ≤ 2⁴⁰")
        }
        for i in out.indices { out[i] = Int32(clamping: next(using: &generator)) }
    }

    /// Overwrites every element of `out` with an independent Sk(`variance`) draw.
    public static func fill<G: RandomNumberGenerator>(_ out: inout [Int64], variance: Double,
                                                      using generator: inout G) throws(PrivacyError) {
        try SkellamSampler(variance: variance).fill(&out, using: &generator)
    }

    /// Overwrites every element of `out` with an independent Sk(`variance`) draw.
    public static func fill<G: RandomNumberGenerator>(_ out: inout [Int32], variance: Double,
                                                      using generator: inout G) throws(PrivacyError) {
        try SkellamSampler(variance: variance).fill(&out, using: &generator)
    }
}
