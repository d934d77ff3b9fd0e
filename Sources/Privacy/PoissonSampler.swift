#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Exact sampling of the Poisson distribution with mean λ, from any `RandomNumberGenerator`: the
/// building block of the Skellam noise (``SkellamSampler``).
///
/// Contract:
/// - λ < 10: the multiplication method (multiply uniforms until the product falls to e^(−λ); the
///   number of factors before that is Poisson(λ)), which takes λ + 1 uniforms on average.
/// - λ ≥ 10: PTRS, the transformed rejection method with squeeze of Hörmann 1993 ("The transformed
///   rejection method for generating Poisson random variables", Insurance: Mathematics and
///   Economics 12, 39–45), with the constants and acceptance tests of numpy's
///   `random_poisson_ptrs`; about 2.3 uniforms per draw whatever λ.
/// - Both are exact up to the 53-bit resolution of the uniforms and double-precision arithmetic
///   (no normal approximation at any λ). λ is at most 2⁵¹, so every value a draw can take is an
///   exact double and fits an `Int64`.
/// - Uniforms are (next() >> 11)·2⁻⁵³ as in numpy, so a seeded generator gives the same draws on
///   every platform; log Γ is our own Stirling series (not libm's `lgamma`) for the same reason.
public struct PoissonSampler: Sendable, Equatable {
    /// The largest mean accepted: 2⁵¹, so draws stay exact doubles.
    public static let maxMean = 2_251_799_813_685_248.0

    /// λ ≥ 0.
    public let mean: Double
    /// e^(−λ), for the multiplication method (λ < 10).
    private let expMinusMean: Double
    /// PTRS constants (λ ≥ 10): log λ, b, a, 1/α and v_r of Hörmann's Table 1 / numpy.
    private let logMean, b, a, invAlpha, vr: Double

    public init(mean: Double) throws(PrivacyError) {
        guard mean >= 0, mean <= PoissonSampler.maxMean else {
            throw .invalidSetting(name: "Poisson mean λ", value: mean, expected: "0 ≤ λ ≤ 2⁵¹")
        }
        self.mean = mean
        expMinusMean = exp(-mean)
        logMean = log(mean)
        b = 0.931 + 2.53 * mean.squareRoot()
        a = -0.059 + 0.02483 * b
        invAlpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
    }

    /// One draw.
    public func next<G: RandomNumberGenerator>(using generator: inout G) -> Int64 {
        if mean >= 10 { return transformedRejection(using: &generator) }
        if mean == 0 { return 0 }
        return multiplication(using: &generator)
    }

    /// A uniform in [0, 1) with 53 random bits.
    @inline(__always)
    static func uniform<G: RandomNumberGenerator>(using generator: inout G) -> Double {
        Double(generator.next() >> 11) * 0x1p-53
    }

    func multiplication<G: RandomNumberGenerator>(using generator: inout G) -> Int64 {
        var count: Int64 = 0
        var product = PoissonSampler.uniform(using: &generator)
        while product > expMinusMean {
            count += 1
            product *= PoissonSampler.uniform(using: &generator)
        }
        return count
    }

    func transformedRejection<G: RandomNumberGenerator>(using generator: inout G) -> Int64 {
        while true {
            let u = PoissonSampler.uniform(using: &generator) - 0.5
            let v = PoissonSampler.uniform(using: &generator)
            let us = 0.5 - abs(u)
            let k = ((2 * a / us + b) * u + mean + 0.43).rounded(.down)
            // The squeeze: accept at once (here k ≥ 0 and finite, since us ≥ 0.07 and λ ≥ 10).
            if us >= 0.07 && v <= vr { return Int64(k) }
            if us < 0.013 && v > us { continue }
            // k < 0 is rejected; so is a non-finite or absurd k (us = 0 exactly, probability 2⁻⁵³:
            // numpy converts −∞ to an integer there, which C leaves undefined).
            guard k >= 0, k <= 2 * PoissonSampler.maxMean else { continue }
            if log(v) + log(invAlpha) - log(a / (us * us) + b) <= -mean + k * logMean - PoissonSampler.logGamma(k + 1) {
                return Int64(k)
            }
        }
    }

    /// The coefficients of Stirling's series for log Γ, as numpy's `random_loggam` has them.
    private static let stirlingCoefficients: [Double] = [
        8.333333333333333e-02, -2.777777777777778e-03, 7.936507936507937e-04, -5.952380952380952e-04,
        8.417508417508418e-04, -1.917526917526918e-03, 6.410256410256410e-03, -2.955065359477124e-02,
        1.796443723688307e-01, -1.39243221690590e+00,
    ]

    /// log Γ(x) for x ≥ 1 by Stirling's series with ten terms, shifting x below 7 up first (numpy's
    /// `random_loggam`); exact at 1 and 2.
    static func logGamma(_ x: Double) -> Double {
        if x == 1 || x == 2 { return 0 }
        let coefficients = stirlingCoefficients
        let shift = x < 7 ? (7 - x).rounded(.towardZero) : 0
        var x0 = x + shift
        let x2 = (1 / x0) * (1 / x0)
        var series = coefficients[9]
        for k in stride(from: 8, through: 0, by: -1) { series = series * x2 + coefficients[k] }
        var result = series / x0 + 0.5 * 1.8378770664093453 + (x0 - 0.5) * log(x0) - x0
        if shift > 0 {
            for _ in 0..<Int(shift) {
                result -= log(x0 - 1)
                x0 -= 1
            }
        }
        return result
    }
}
