#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

/// Client-level DP for federated averaging (McMahan, Ramage, Talwar & Zhang 2018, "Learning
/// differentially private recurrent language models"): each hospital's update is clipped to S, the
/// sum is noised with N(0, σ_Δ²S²) and divided by the expected number of participants q·n.
///
/// With adaptive clipping (Andrew, Thakkar, McMahan & Ramaswamy 2021, "Differentially private
/// learning with adaptive clipping"), S follows a target quantile γ of the update norms:
/// S ← S·exp(−η(b̃ − γ)), where b̃ is the noised fraction of updates that were NOT clipped
/// (‖Δ‖ ≤ S). Counting the clipped ones instead moves S the wrong way. The clip-count query spends
/// privacy too, so the update noise is raised to σ_Δ = (z⁻² − (2σ_b)⁻²)^(−1/2) and the round is
/// accounted with the total noise multiplier z.
///
/// Contract: ``aggregate(_:)`` returns the noised mean update and, with adaptive clipping, moves S for
/// the next round; settings are validated when created.
public struct ClientLevelDP: Sendable {
    /// The noise multiplier z the accountant sees for a round.
    public let noiseMultiplier: Double
    /// Expected participants per round, q·n (the divisor of the sum).
    public let expectedParticipants: Double
    /// The current clip norm S.
    public private(set) var clipNorm: Double
    /// Adaptive clipping, or nil for a fixed S.
    public let adaptive: AdaptiveClipping?

    /// The settings of adaptive clipping.
    public struct AdaptiveClipping: Sendable, Equatable {
        /// γ, the quantile of update norms S should track (0.5: the median).
        public var targetQuantile: Double
        /// η, the geometric learning rate of S.
        public var learningRate: Double
        /// σ_b, the noise on the count of unclipped updates (the paper suggests expected participants / 20).
        public var countNoise: Double

        public init(targetQuantile: Double = 0.5, learningRate: Double = 0.2, countNoise: Double) throws(PrivacyError) {
            guard targetQuantile >= 0, targetQuantile <= 1 else {
                throw .invalidSetting(name: "target quantile γ", value: targetQuantile, expected: "0 ≤ γ ≤ 1")
            }
            guard learningRate > 0, learningRate.isFinite else {
                throw .invalidSetting(name: "clip learning rate η", value: learningRate, expected: "η > 0")
            }
            guard countNoise > 0, countNoise.isFinite else {
                throw .invalidSetting(name: "count noise σ_b", value: countNoise, expected: "σ_b > 0")
            }
            self.targetQuantile = targetQuantile
            self.learningRate = learningRate
            self.countNoise = countNoise
        }
    }

    public init(noiseMultiplier z: Double, clipNorm: Double, expectedParticipants: Double,
                adaptive: AdaptiveClipping? = nil) throws(PrivacyError) {
        guard z >= 0, z.isFinite else { throw .invalidSetting(name: "noise multiplier z", value: z, expected: "z ≥ 0") }
        guard clipNorm > 0, clipNorm.isFinite else {
            throw .invalidSetting(name: "clip norm S", value: clipNorm, expected: "S > 0")
        }
        guard expectedParticipants > 0 else {
            throw .invalidSetting(name: "expected participants", value: expectedParticipants, expected: "> 0")
        }
        if let adaptive, z > 0, 2 * adaptive.countNoise <= z {
            throw .invalidSetting(name: "count noise σ_b", value: adaptive.countNoise,
                                  expected: "σ_b > z/2 = \(z / 2), so that σ_Δ = (z⁻² − (2σ_b)⁻²)^(−1/2) is defined")
        }
        noiseMultiplier = z
        self.clipNorm = clipNorm
        self.expectedParticipants = expectedParticipants
        self.adaptive = adaptive
    }

    /// σ_Δ, the noise multiplier on the update sum: z itself with a fixed S; with adaptive clipping
    /// (z⁻² − (2σ_b)⁻²)^(−1/2), so that both queries together cost a Gaussian mechanism with z.
    public var updateNoiseMultiplier: Double {
        guard let adaptive, noiseMultiplier > 0 else { return noiseMultiplier }
        return 1 / (1 / (noiseMultiplier * noiseMultiplier) - 1 / (4 * adaptive.countNoise * adaptive.countNoise)).squareRoot()
    }

    /// One round: clips each update to S, sums, adds N(0, σ_Δ²S²), divides by q·n; with adaptive
    /// clipping, moves S by the noised unclipped fraction. Returns the mean update and that fraction.
    /// The same as ``clip(_:into:)`` over the updates followed by ``finish(clippedSum:unclipped:using:)``,
    /// which is how the engine folds a round's updates as they arrive.
    public mutating func aggregate<G: RandomNumberGenerator>(_ updates: [Tensor], using generator: inout G)
        -> (update: Tensor, unclippedFraction: Double?) {
        precondition(!updates.isEmpty, "ClientLevelDP: no updates")
        let count = updates[0].count
        var sum = Tensor(shape: [count])
        var unclipped = 0
        for u in updates {
            precondition(u.count == count, "ClientLevelDP: updates of different sizes")
            if Self.clip(u, to: clipNorm, into: &sum) { unclipped += 1 }
        }
        return finish(clippedSum: sum, unclipped: unclipped, using: &generator)
    }

    /// Adds `update` scaled to L2 norm at most `clipNorm` to `sum`; whether it was within the norm already.
    @discardableResult
    public static func clip(_ update: Tensor, to clipNorm: Double, into sum: inout Tensor) -> Bool {
        let norm = update.norm()
        sum.add(update.reshaped([sum.count]), scaledBy: norm > clipNorm ? Float(clipNorm / norm) : 1)
        return norm <= clipNorm
    }

    /// The round's mean from the sum of clipped updates: adds N(0, σ_Δ²S²) to every coordinate, divides
    /// by q·n; with adaptive clipping, moves S by the noised fraction of `unclipped`.
    public mutating func finish<G: RandomNumberGenerator>(clippedSum: Tensor, unclipped: Int, using generator: inout G)
        -> (update: Tensor, unclippedFraction: Double?) {
        var sum = clippedSum
        let count = sum.count
        let std = Float(updateNoiseMultiplier * clipNorm)
        if std > 0 {
            var noise = Tensor(shape: [count])
            noise.withUnsafeMutableBufferPointer { GaussianSampler.fill($0, std: std, using: &generator) }
            sum += noise
        }
        sum.scale(by: Float(1 / expectedParticipants))
        guard let adaptive else { return (sum, nil) }
        let noisedCount = Double(unclipped) + adaptive.countNoise * Double(GaussianSampler.next(using: &generator))
        let fraction = noisedCount / expectedParticipants
        clipNorm *= exp(-adaptive.learningRate * (fraction - adaptive.targetQuantile))
        return (sum, fraction)
    }
}
