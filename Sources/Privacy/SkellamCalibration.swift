/// Noise calibration for distributed DP with Skellam noise, on the RDP accountant: the noise
/// variance that meets a target ε, and what a run will spend.
///
/// Contract: as for the Gaussian (``Calibration``), every answer errs on the private side.
/// ``skellamVariance(targetEpsilon:sampleRate:l1Sensitivity:l2Sensitivity:steps:delta:spent:)``
/// returns a μ whose ε is at most the target (bisection on the monotone ε(μ), keeping the upper
/// end); projections compose the planned rounds onto the spent history exactly as the run will.
/// Quantities are in the quantised domain (see ``SkellamSegment``).
extension Calibration {
    /// The smallest per-coordinate noise variance μ of the aggregated sum (to 2·10⁻⁴ relative) whose
    /// ε after `history` plus `steps` more Skellam rounds at rate q, sensitivities Δ₁ and Δ₂, is at
    /// most `targetEpsilon` at `delta`; `nil` when no μ up to (10⁴·Δ₂)² reaches it (the history alone
    /// may already exceed the target).
    ///
    /// The search runs over the equivalent noise multiplier √μ/Δ₂ with ``smallestNoise(targetEpsilon:epsilon:)``
    /// (ε falls as μ grows: every term of the Skellam bound, and the subsampling bound in them, does).
    public static func skellamVariance(targetEpsilon: Double, sampleRate: Double, l1Sensitivity: Double,
                                       l2Sensitivity: Double, steps: Int, delta: Double,
                                       spent history: RDPAccountant = RDPAccountant()) throws(PrivacyError) -> Double? {
        guard targetEpsilon > 0, targetEpsilon.isFinite else {
            throw .invalidSetting(name: "target ε", value: targetEpsilon, expected: "ε > 0")
        }
        guard delta > 0, delta < 1 else { throw .invalidSetting(name: "δ", value: delta, expected: "0 < δ < 1") }
        let planned = try SkellamSegment(sampleRate: sampleRate, variance: 1, l1Sensitivity: l1Sensitivity,
                                         l2Sensitivity: l2Sensitivity, steps: steps)
        func variance(_ multiplier: Double) -> Double { (multiplier * l2Sensitivity) * (multiplier * l2Sensitivity) }
        let multiplier = smallestNoise(targetEpsilon: targetEpsilon) { multiplier in
            var a = history, segment = planned
            segment.variance = variance(multiplier)
            a.compose(segment)
            return a.epsilon(delta: delta).epsilon
        }
        return multiplier.map(variance)
    }

    /// ε after the spent history plus the Skellam rounds of `segment`.
    public static func projectedEpsilon(spent history: RDPAccountant, adding segment: SkellamSegment,
                                        delta: Double) throws(PrivacyError) -> Double {
        guard delta > 0, delta < 1 else { throw .invalidSetting(name: "δ", value: delta, expected: "0 < δ < 1") }
        var a = history
        a.compose(segment)
        return a.epsilon(delta: delta).epsilon
    }

    /// How many more Skellam rounds at (q, μ, Δ₁, Δ₂) keep ε within `budget` (at most `limit`, which
    /// bounds the search).
    public static func roundsRemaining(spent history: RDPAccountant, sampleRate: Double, variance: Double,
                                       l1Sensitivity: Double, l2Sensitivity: Double, budget: Double, delta: Double,
                                       limit: Int = 10_000_000) throws(PrivacyError) -> Int {
        guard delta > 0, delta < 1 else { throw .invalidSetting(name: "δ", value: delta, expected: "0 < δ < 1") }
        let round = try SkellamSegment(sampleRate: sampleRate, variance: variance, l1Sensitivity: l1Sensitivity,
                                       l2Sensitivity: l2Sensitivity, steps: 1)
        let perRound = RDPAccountant.stepRDP(round, orders: history.orders)
        return largestStepCount(spent: history, perStep: perRound, budget: budget, delta: delta, limit: limit)
    }
}
