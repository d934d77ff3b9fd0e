import Privacy
import SecureAggregation

/// Client-level DP with an untrusted aggregator: under secure aggregation each hospital clips its update
/// to S, quantises it and adds its share of Skellam noise before masking, so the sum the aggregator
/// unmasks already carries the noise (the Skellam mechanism, Agarwal, Kairouz & Liu 2021; distributed
/// noise as in Kairouz, Liu & Steinke 2021). Derived each round from DP-FedAvg's z and S, so the
/// operator's live noise and clip changes start new accountant segments as in the clear.
///
/// Contract (all in quantised units, γ = (2^(b−1) − 1)/S):
/// - Δ₂ = γS + √d + 1: an update of norm ≤ S scaled by γ, plus < 1 of stochastic rounding on each of
///   the d coordinates, plus the weight word (1 for every hospital). Δ₁ = min(√(d+1)·Δ₂, Δ₂²) (for an
///   integer vector ‖v‖₁ ≤ ‖v‖₂²). Deterministic bounds: no rounding retries are needed.
/// - The noise in the sum is V = (z·Δ₂)², and each hospital adds V/m where m is the fewest hospitals a
///   round may aggregate (``minimumContributors(quorum:expectedParticipants:)``; the engine aborts below
///   it before unmasking): every released sum carries at least V, more when more survive. Accounting
///   uses V, conservatively for dropouts.
/// - The guarantee is for zero-out adjacency (a hospital's update replaced by zero while it still adds
///   its noise share, Kairouz et al. 2021), with hospitals Poisson-sampled at rate q, accounted with the
///   Skellam RDP bound under the general Poisson-subsampling bound (Zhu & Wang 2019).
public struct DistributedSkellam: Sendable, Equatable {
    public let noiseMultiplier: Double
    public let clipNorm: Double
    public let sampleRate: Double
    public let quantizer: Quantizer
    public let parameters: Int
    /// m: the fewest hospitals in any aggregated sum.
    public let contributors: Int

    public init(noiseMultiplier: Double, clipNorm: Double, sampleRate: Double, bits: Int, parameters: Int,
                contributors: Int) throws(SecAggError) {
        guard noiseMultiplier >= 0, noiseMultiplier.isFinite, contributors >= 1, parameters >= 1 else {
            throw .invalidConfiguration("distributed noise: z = \(noiseMultiplier), \(contributors) contributors, \(parameters) parameters")
        }
        self.noiseMultiplier = noiseMultiplier
        self.clipNorm = clipNorm
        self.sampleRate = sampleRate
        quantizer = try Quantizer(clipRange: clipNorm, bits: bits)
        self.parameters = parameters
        self.contributors = contributors
    }

    public init(_ dp: ClientPrivacy, bits: Int, parameters: Int, quorum: Int) throws(SecAggError) {
        try self.init(noiseMultiplier: dp.mechanism.noiseMultiplier, clipNorm: dp.mechanism.clipNorm, sampleRate: dp.sampleRate,
                      bits: bits, parameters: parameters,
                      contributors: Self.minimumContributors(quorum: quorum, expectedParticipants: dp.mechanism.expectedParticipants))
    }

    public var l2Sensitivity: Double { Double(quantizer.maxLevel) + Double(parameters).squareRoot() + 1 }
    public var l1Sensitivity: Double { min(Double(parameters + 1).squareRoot() * l2Sensitivity, l2Sensitivity * l2Sensitivity) }
    /// V: the variance of the noise on each coordinate of every released sum (at least).
    public var totalVariance: Double { (noiseMultiplier * l2Sensitivity) * (noiseMultiplier * l2Sensitivity) }
    /// What each hospital adds.
    public var perHospitalVariance: Double { totalVariance / Double(contributors) }

    /// One round for the accountant.
    public var roundSpend: SkellamSegment {
        get throws(PrivacyError) {
            try SkellamSegment(sampleRate: sampleRate, variance: totalVariance, l1Sensitivity: l1Sensitivity,
                               l2Sensitivity: l2Sensitivity, steps: 1)
        }
    }

    /// m for a run: the quorum, and at least a majority of the expected participants q·n, so that a
    /// round with all its hospitals carries about twice the accounted noise rather than n/quorum times.
    /// The engine aborts a secure round below m masked inputs, before unmasking.
    public static func minimumContributors(quorum: Int, expectedParticipants: Double) -> Int {
        max(quorum, Int(expectedParticipants / 2) + 1, 1)
    }

    /// The z that makes `variance` the noise of the sum.
    public static func noiseMultiplier(variance: Double, l2Sensitivity: Double) -> Double { variance.squareRoot() / l2Sensitivity }
}
