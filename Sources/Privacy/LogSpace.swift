#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Arithmetic on numbers held as their logarithms, for the accountants' sums of huge and tiny terms.
enum LogSpace {
    /// log(eˣ + eʸ), exact when either is −∞.
    static func add(_ x: Double, _ y: Double) -> Double {
        let a = min(x, y), b = max(x, y)
        if a == -.infinity { return b }
        return log1p(exp(a - b)) + b
    }

    /// log C(n, k) = log Γ(n+1) − log Γ(k+1) − log Γ(n−k+1); for fractional n and k > n + 1 this is
    /// log |C(n, k)| (lgamma gives log |Γ|), so series built on it sum absolute values.
    static func binomial(_ n: Double, _ k: Double) -> Double {
        lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1)
    }

    /// log erfc(x), accurate where erfc(x) underflows (x ≳ 26): there the asymptotic series
    /// erfc(x) ≈ e^(−x²)/(x√π) · (1 − 1/(2x²) + 3/(4x⁴) − 15/(8x⁶) + 105/(16x⁸)).
    static func logErfc(_ x: Double) -> Double {
        if x < 25 { return log(erfc(x)) }
        let x2 = x * x
        let series = 1 - 1 / (2 * x2) + 3 / (4 * x2 * x2) - 15 / (8 * x2 * x2 * x2) + 105 / (16 * x2 * x2 * x2 * x2)
        return -x2 - log(x) - 0.5 * log(Double.pi) + log(series)
    }
}
