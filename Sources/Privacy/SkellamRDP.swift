/// Rényi DP of one release of the multi-dimensional Skellam mechanism: an integer vector query with
/// L1 sensitivity Δ₁ and L2 sensitivity Δ₂, plus independent Sk(μ) noise (variance μ) on every
/// coordinate (Agarwal, Kairouz & Liu 2021, "The Skellam Mechanism for Differentially Private
/// Federated Learning", NeurIPS, the bound on the Rényi divergence of shifted Skellam
/// distributions and its multi-dimensional corollary):
///
///     ε(α) ≤ α·Δ₂²/(2μ) + min( ((2α − 1)·Δ₂² + 6·Δ₁)/(4μ²), 3·Δ₁/(2μ) )
///
/// Contract:
/// - Units: everything in the quantised (integer) domain. μ is the per-coordinate variance of the
///   noise in the released *sum* (all parties' shares together), Δ₁ and Δ₂ bound the L1 and L2
///   norms of one party's quantised contribution.
/// - Checked against Google's implementation, `_skellam_rdp(l1_sens, l2_sens, central_var, scale,
///   order)` in google-research/federated `distributed_dp/accounting_utils.py`: there sensitivities
///   and variance are unscaled and the quantisation scale s appears explicitly; with Δ = s·Δ' and
///   μ = s²·μ' its expression is exactly the one above. Its noise (tensorflow_privacy's
///   `DistributedSkellamSumQuery`) is Poisson(σ²/2) − Poisson(σ²/2), variance σ², so μ is a
///   variance, as here (``SkellamSampler``).
/// - Integer orders α ≥ 2 only. The accountant's fractional orders use ⌈α⌉ (RDP is non-decreasing
///   in α, so that is an upper bound); Google's accountant also evaluates only integer orders.
/// - μ = 0 gives +∞; the bound is +∞ for no other finite input.
public enum SkellamRDP {
    /// ε(α) at integer order α ≥ 2 for noise variance μ and sensitivities Δ₁, Δ₂ (quantised units).
    public static func rdp(order alpha: Int, variance mu: Double, l1Sensitivity l1: Double,
                           l2Sensitivity l2: Double) -> Double {
        precondition(alpha >= 2, "SkellamRDP: order must be an integer ≥ 2, got \(alpha)")
        precondition(mu >= 0 && l1 >= 0 && l2 >= 0, "SkellamRDP: μ, Δ₁ and Δ₂ must be ≥ 0, got \(mu), \(l1), \(l2)")
        if mu == 0 { return .infinity }
        let a = Double(alpha)
        let gaussian = a * l2 * l2 / (2 * mu)
        let small = ((2 * a - 1) * l2 * l2 + 6 * l1) / (4 * mu * mu)
        let large = 3 * l1 / (2 * mu)
        return gaussian + min(small, large)
    }
}
