import Foundation

/// Report-noisy-max with Gumbel noise over a model's class probabilities: the exponential mechanism
/// (McSherry & Talwar 2007) for the utility u_c = p_c, by the Gumbel-max trick — the argmax of
/// u_c + (2Δ/ε)·G_c with G_c standard Gumbel picks c with probability ∝ exp(ε·u_c / (2Δ)) (Durfee &
/// Rogers 2019, "Practical Differentially Private Top-k Selection with Pay-what-you-get
/// Composition"). Each probability lies in [0, 1] whatever the model, so Δ = 1 over *any* change of
/// the model, and one answer is ε-DP with respect to the whole model, hence to every record that
/// trained it; the DP-SGD guarantee of the hospitals is untouched (post-processing).
///
/// Contract: `epsilon` > 0; the uniform draws are 53-bit, from the source given (the kernel-keyed
/// ChaCha20 keystream in the server), in (0, 1) exclusive. Floating-point sampling can leak in the
/// low bits (Mironov 2012); the mechanism's answer is a class index, not a real number, which
/// limits that channel to the choice itself.
public enum ReportNoisyMax {
    /// The class chosen for one record's probabilities.
    public static func choose(_ probabilities: [Double], epsilon: Double, using generator: inout some RandomNumberGenerator) -> Int {
        precondition(epsilon > 0 && epsilon.isFinite && !probabilities.isEmpty, "ReportNoisyMax: ε > 0 and some classes")
        let scale = 2 / epsilon
        var best = 0, bestScore = -Double.infinity
        for (c, p) in probabilities.enumerated() {
            let score = p + scale * gumbel(using: &generator)
            if score > bestScore { best = c; bestScore = score }
        }
        return best
    }

    /// A standard Gumbel draw: −log(−log U), U uniform in (0, 1).
    static func gumbel(using generator: inout some RandomNumberGenerator) -> Double {
        let u = (Double(generator.next() >> 11) + 0.5) * (1.0 / 9_007_199_254_740_992.0)
        return -log(-log(u))
    }
}
