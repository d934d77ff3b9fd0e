import Foundation

/// The norm bound every update meets when its hospital trained as asked: on by default, so a finite
/// but absurd update (1e30 in every coordinate) is rejected before aggregation even when the operator
/// set no `--max-update-norm`.
///
/// Contract:
/// - Under sample-level DP-SGD the bound follows from the round's settings alone (Abadi et al. 2016):
///   each of the T steps moves the parameters by η·‖g‖ with ‖g‖ ≤ (b·C + ‖z‖) / (q·n), where b is
///   the Poisson batch (at most min(n, qn + 12√(qn) + 12), exceeded with probability below e⁻¹⁹ per
///   step) and z ~ N(0, σ²C²·I_d) (‖z‖ ≤ σC(√d + 12) but with probability e⁻⁷²); momentum μ
///   multiplies a step by at most 1/(1 − μ). The bound is T·η·max‖g‖/(1 − μ), doubled for FedProx's
///   pull and rounding. An honest update is typically √T times smaller; a hospital that sends more did
///   not run the round it was asked to.
/// - Without sample-level DP there is no bound from the settings; the update is compared with the
///   round's others: above ``relativeFactor`` × the lower median of the round's norms (with two or
///   more updates), or above ``modelFactor`` × max(1, ‖global model‖) at any count, it is rejected.
/// - An operator's `--max-update-norm` applies on top (the smaller bound wins).
public enum UpdateNormBound {
    /// An update more than this many times the round's lower-median norm is an outlier.
    public static let relativeFactor = 10.0
    /// An update more than this many times the global model's norm (at least 1) is not a round of training.
    public static let modelFactor = 1_000.0

    /// The largest norm of an honest DP-SGD update of one round.
    /// - Parameters: records n, parameters d, the round's settings (which carry σ and C).
    public static func samplePrivacy(settings: RoundSettings, records: Int, parameters: Int) -> Double? {
        guard let p = settings.samplePrivacy, records > 0 else { return nil }
        let (q, steps) = DPSGDRound.sampling(records: records, batchSize: settings.batchSize, localEpochs: settings.localEpochs)
        let expected = q * Double(records)
        let largestBatch = min(Double(records), expected + 12 * expected.squareRoot() + 12)
        let noise = p.noiseMultiplier * p.clipNorm * (Double(parameters).squareRoot() + 12)
        let step = Double(settings.learningRate) * (largestBatch * p.clipNorm + noise) / expected
        return 2 * Double(steps) * step / (1 - Double(settings.momentum))
    }

    /// The robust bound of a round without DP-SGD: ``relativeFactor`` × the lower median of `norms`
    /// (nil below two updates).
    public static func relative(to norms: [Double]) -> Double? {
        guard norms.count >= 2 else { return nil }
        let sorted = norms.sorted()
        return relativeFactor * sorted[(sorted.count - 1) / 2]
    }

    /// The bound from the global model's own size.
    public static func model(globalNorm: Double) -> Double {
        modelFactor * max(1, globalNorm.isFinite ? globalNorm : 1)
    }
}
