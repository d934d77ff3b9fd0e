#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Rényi DP of *any* mechanism run on a Poisson subsample (each record, or hospital, joins
/// independently with probability q), from the mechanism's own RDP curve ε(·): the general upper
/// bound of Zhu & Wang 2019 ("Poisson Subsampled Rényi Differential Privacy", ICML, PMLR 97; the
/// general upper bound, Theorem 5 as Google's implementation cites it):
///
///     ε'(α) ≤ 1/(α−1) · log( (1−q)^(α−1)·(αq − q + 1) + C(α,2)·q²·(1−q)^(α−2)·e^(ε(2))
///                            + 3·Σ_{ℓ=3…α} C(α,ℓ)·(1−q)^(α−ℓ)·q^ℓ·e^((ℓ−1)·ε(ℓ)) )
///
/// for integer α ≥ 2, under add/remove-one neighbouring (the base mechanism's ε must hold in both
/// directions, as a sensitivity-based bound does).
///
/// Contract:
/// - Checked against Google's implementation of the same theorem, `_compute_rdp_subsampled(alpha,
///   gamma, eps, upper_bound=True)` in google-research/federated `distributed_dp/accounting_utils.py`
///   (the same terms, the factor 3 on ℓ ≥ 3), and against the paper's abstract: optimal up to an
///   additive log(3)/(α−1) and a factor 1 + O(q).
/// - Summed in log space (``LogSpace``), so α up to 1024 neither overflows nor underflows.
/// - The result is also capped at ε(α) itself: the subsampled pair is a mixture of pairs with
///   divergence 0 and ε(α), and Rényi divergence is jointly quasi-convex (van Erven & Harremoës
///   2014); Google's `skellam_epsilon` takes the same minimum. q = 1 gives ε(α), q = 0 gives 0.
/// - Fractional orders α use the value at ⌈α⌉, and orders in (1, 2] the value at 2: RDP is
///   non-decreasing in α, so these are upper bounds. An ε(ℓ) of +∞ at some ℓ ≤ α makes the sum +∞
///   (the result is then the cap ε(α)).
/// - Its price, measured on the Gaussian against the exact ``SubsampledGaussianRDP``: ε after 1000
///   steps within 1.6% while q·σ² ≤ 0.004, but 1.17× at q = 0.01, σ = 1 and 2.3× at q = 0.01, σ = 5
///   (the factor 3 on the ℓ ≥ 3 terms outweighs the small e^((ℓ−1)ε(ℓ)) − 1 of a noisy mechanism).
public enum SubsampledMechanismRDP {
    /// The integer order whose bound is used at order α > 1: ⌈α⌉, and 2 for α ≤ 2.
    public static func integerOrder(for alpha: Double) -> Int {
        precondition(alpha > 1 && alpha.isFinite, "SubsampledMechanismRDP: orders must be finite and > 1, got \(alpha)")
        return max(2, Int(alpha.rounded(.up)))
    }

    /// ε'(α) at integer order α ≥ 2 for sampling rate q ∈ [0, 1] and the mechanism's `base` RDP
    /// (called at the integer orders 2…α).
    public static func rdp(sampleRate q: Double, order alpha: Int, base: (Int) -> Double) -> Double {
        precondition(alpha >= 2, "SubsampledMechanismRDP: order must be an integer ≥ 2, got \(alpha)")
        precondition(q >= 0 && q <= 1, "SubsampledMechanismRDP: sample rate must be in [0, 1], got \(q)")
        var table = [Double](repeating: 0, count: alpha + 1)
        for l in 2...alpha { table[l] = base(l) }
        return bound(q: q, alpha: alpha, base: table)
    }

    /// ε'(α) over `orders` (each > 1, fractional ones at ⌈α⌉), evaluating `base` once per integer
    /// order from 2 to the largest needed.
    public static func rdp(sampleRate q: Double, orders: [Double], base: (Int) -> Double) -> [Double] {
        precondition(q >= 0 && q <= 1, "SubsampledMechanismRDP: sample rate must be in [0, 1], got \(q)")
        let integers = orders.map(integerOrder(for:))
        guard let largest = integers.max() else { return [] }
        var table = [Double](repeating: 0, count: largest + 1)
        for l in 2...largest { table[l] = base(l) }
        var cache: [Int: Double] = [:]
        return integers.map { alpha in
            if let known = cache[alpha] { return known }
            let value = bound(q: q, alpha: alpha, base: table)
            cache[alpha] = value
            return value
        }
    }

    /// The bound at integer α, with base[ℓ] = ε(ℓ) for ℓ = 2…α.
    static func bound(q: Double, alpha: Int, base: [Double]) -> Double {
        if q == 0 { return 0 }
        if q == 1 { return base[alpha] }
        // A term with ε(ℓ) = +∞ makes the sum +∞ (and log-space adds of +∞ and +∞ would give NaN).
        if base[2...alpha].contains(.infinity) { return base[alpha] }
        let a = Double(alpha)
        let logq = log(q), log1mq = log1p(-q), log3 = log(3.0)
        // (1−q)^(α−1)·(αq − q + 1), the ℓ = 0 and ℓ = 1 terms together.
        var logSum = (a - 1) * log1mq + log1p((a - 1) * q)
        logSum = LogSpace.add(logSum, LogSpace.binomial(a, 2) + 2 * logq + (a - 2) * log1mq + base[2])
        if alpha >= 3 {
            for l in 3...alpha {
                let dl = Double(l)
                let term = log3 + LogSpace.binomial(a, dl) + dl * logq + (a - dl) * log1mq + (dl - 1) * base[l]
                logSum = LogSpace.add(logSum, term)
            }
        }
        return min(logSum / (a - 1), base[alpha])
    }
}
