/// Noise calibration on the RDP accountant: the σ that meets a target ε, and what a run will spend.
///
/// Contract: every answer errs on the private side. `noiseMultiplier(for:)` returns a σ whose ε is at
/// most the target (bisection on the monotone ε(σ), keeping the upper end); projections compose the
/// planned steps onto the spent history exactly as the run will.
public enum Calibration {
    /// The smallest σ (to 1e-4 relative) whose ε after `history` plus `steps` more steps at rate q
    /// is at most `targetEpsilon` at `delta`; `nil` when no σ up to 10⁴ reaches it (the history
    /// alone may already exceed the target).
    public static func noiseMultiplier(targetEpsilon: Double, sampleRate: Double, steps: Int, delta: Double,
                                       spent history: RDPAccountant = RDPAccountant()) throws(PrivacyError) -> Double? {
        guard targetEpsilon > 0, targetEpsilon.isFinite else {
            throw .invalidSetting(name: "target ε", value: targetEpsilon, expected: "ε > 0")
        }
        guard delta > 0, delta < 1 else { throw .invalidSetting(name: "δ", value: delta, expected: "0 < δ < 1") }
        _ = try PrivacySegment(sampleRate: sampleRate, noiseMultiplier: 1, steps: steps)
        return smallestNoise(targetEpsilon: targetEpsilon) { sigma in
            var a = history
            a.compose(try! PrivacySegment(sampleRate: sampleRate, noiseMultiplier: sigma, steps: steps))
            return a.epsilon(delta: delta).epsilon
        }
    }

    /// The smallest σ (to 1e-4 relative) with `epsilon(σ) ≤ targetEpsilon`, for any accountant's ε(σ)
    /// (decreasing in σ); `nil` when no σ up to 10⁴ reaches it. Bisection keeps the upper end, so the
    /// answer never overshoots the target.
    public static func smallestNoise(targetEpsilon: Double, epsilon: (Double) -> Double) -> Double? {
        var high = 1.0
        while epsilon(high) > targetEpsilon {
            high *= 2
            if high > 1e4 { return nil }
        }
        var low = high / 2
        if epsilon(low) <= targetEpsilon {
            while low > 1e-3 && epsilon(low / 2) <= targetEpsilon { low /= 2 }
            high = low
            low /= 2
        }
        while (high - low) > 1e-4 * high {
            let mid = (low + high) / 2
            if epsilon(mid) <= targetEpsilon { high = mid } else { low = mid }
        }
        return high
    }

    /// ε after the spent history plus `steps` more steps at (q, σ).
    public static func projectedEpsilon(spent history: RDPAccountant, sampleRate: Double, noiseMultiplier: Double,
                                        steps: Int, delta: Double) throws(PrivacyError) -> Double {
        var a = history
        a.compose(try PrivacySegment(sampleRate: sampleRate, noiseMultiplier: noiseMultiplier, steps: steps))
        return a.epsilon(delta: delta).epsilon
    }

    /// How many more steps at (q, σ) keep ε within `budget` (at most `limit`, which bounds the search).
    public static func stepsRemaining(spent history: RDPAccountant, sampleRate: Double, noiseMultiplier: Double,
                                      budget: Double, delta: Double, limit: Int = 10_000_000) throws(PrivacyError) -> Int {
        let step = try PrivacySegment(sampleRate: sampleRate, noiseMultiplier: noiseMultiplier, steps: 1)
        let perStep = RDPAccountant.stepRDP(sampleRate: step.sampleRate, noiseMultiplier: step.noiseMultiplier,
                                            orders: history.orders)
        return largestStepCount(spent: history, perStep: perStep, budget: budget, delta: delta, limit: limit)
    }

    /// The largest n ≤ `limit` such that the history plus n steps of `perStep` RDP stays within
    /// `budget` at `delta` (doubling, then bisection: ε grows with n).
    static func largestStepCount(spent history: RDPAccountant, perStep: [Double], budget: Double, delta: Double,
                                 limit: Int) -> Int {
        func fits(_ n: Int) -> Bool {
            let r = zip(history.rdp, perStep).map { $0 + Double(n) * $1 }
            return RDPAccountant.epsilon(rdp: r, orders: history.orders, delta: delta).epsilon <= budget
        }
        guard fits(0) else { return 0 }
        var low = 0, high = 1
        while fits(high) {
            low = high
            if high >= limit { return limit }
            high = min(limit, high * 2)
        }
        while high - low > 1 {
            let mid = (low + high) / 2
            if fits(mid) { low = mid } else { high = mid }
        }
        return low
    }
}
