#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Rényi DP of one step of the Poisson-subsampled Gaussian mechanism (sampling rate q, noise
/// multiplier σ), at order α (Mironov, Talwar & Zhang 2019, "Rényi Differential Privacy of the
/// Sampled Gaussian Mechanism").
///
/// Contract: R(α) = log(A_α)/(α − 1) with A_α from the binomial expansion for integer α and the
/// two-sided series of Sec. 3.3 for fractional α, whose terms are summed in absolute value, so the
/// result is an upper bound; q = 0 gives 0, σ = 0 gives +∞, q = 1 gives α/(2σ²). A series that does
/// not converge gives +∞ (the order is then never the one chosen), never an under-estimate.
enum SubsampledGaussianRDP {
    /// Terms of the fractional series at most (then +∞).
    static let maxFractionalTerms = 1000

    static func rdp(sampleRate q: Double, noiseMultiplier sigma: Double, order alpha: Double) -> Double {
        if q == 0 { return 0 }
        if sigma == 0 || alpha.isInfinite { return .infinity }
        if q == 1 { return alpha / (2 * sigma * sigma) }
        let logA = alpha.rounded() == alpha ? logAInteger(q: q, sigma: sigma, alpha: Int(alpha))
                                            : logAFractional(q: q, sigma: sigma, alpha: alpha)
        return logA / (alpha - 1)
    }

    /// log A_α for integer α: log Σᵢ C(α, i) qⁱ (1−q)^(α−i) e^((i²−i)/(2σ²)).
    static func logAInteger(q: Double, sigma: Double, alpha: Int) -> Double {
        var logA = -Double.infinity
        let log1mq = log1p(-q), logq = log(q)
        for i in 0...alpha {
            let di = Double(i)
            let term = LogSpace.binomial(Double(alpha), di) + di * logq + Double(alpha - i) * log1mq
                + (di * di - di) / (2 * sigma * sigma)
            logA = LogSpace.add(logA, term)
        }
        return logA
    }

    /// log A_α for fractional α: the integrals over (−∞, z₀] and [z₀, ∞) as series in i, with
    /// z₀ = σ² log(1/q − 1) + ½; stops once both terms fall and are 30 nats below the total.
    static func logAFractional(q: Double, sigma: Double, alpha: Double) -> Double {
        var logA0 = -Double.infinity, logA1 = -Double.infinity
        let z0 = sigma * sigma * log(1 / q - 1) + 0.5
        let log1mq = log1p(-q), logq = log(q)
        var lastS0 = -Double.infinity, lastS1 = -Double.infinity
        for step in 0..<maxFractionalTerms {
            let i = Double(step)
            let logCoefficient = LogSpace.binomial(alpha, i)
            let j = alpha - i
            let logT0 = logCoefficient + i * logq + j * log1mq
            let logT1 = logCoefficient + j * logq + i * log1mq
            let logE0 = log(0.5) + LogSpace.logErfc((i - z0) / (2.0.squareRoot() * sigma))
            let logE1 = log(0.5) + LogSpace.logErfc((z0 - j) / (2.0.squareRoot() * sigma))
            let logS0 = logT0 + (i * i - i) / (2 * sigma * sigma) + logE0
            let logS1 = logT1 + (j * j - j) / (2 * sigma * sigma) + logE1
            logA0 = LogSpace.add(logA0, logS0)
            logA1 = LogSpace.add(logA1, logS1)
            let total = LogSpace.add(logA0, logA1)
            if logS0 < lastS0 && logS1 < lastS1 && max(logS0, logS1) < total - 30 { return total }
            lastS0 = logS0
            lastS1 = logS1
        }
        return .infinity
    }
}
