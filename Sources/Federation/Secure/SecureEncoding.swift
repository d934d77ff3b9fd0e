import Foundation
import Privacy
import SecureAggregation
import TensorCore

/// How a hospital turns its update into the words it masks, and how the aggregator reads the sum.
///
/// Encoding (in the hospital): clip the update's L2 norm to ``l2Clip`` when set (client-side norm
/// bounding, or DP-FedAvg's S under distributed DP), multiply by the weight, quantise each coordinate
/// (``Quantizer``), add the hospital's share of Skellam noise when ``noiseVariance`` > 0, and append
/// the weight as one more word: the sample count (capped at ``weightCap``) for FedAvg's weighted mean,
/// or 1 for equal weights. The update is scaled by count/cap, so every coordinate stays in range.
///
/// Decoding (at the aggregator): Σ words read back signed, ÷ γ, then × cap ÷ Σ counts (or ÷ the
/// divisor given, DP-FedAvg's expected participants q·n).
public struct SecureEncoding: Sendable, Equatable {
    public var quantizer: Quantizer
    /// nil: equal weights (client-level DP); else sample counts up to this cap.
    public var weightCap: Int?
    public var l2Clip: Double?
    /// Skellam variance each hospital adds per coordinate, in quantised units (0: none).
    public var noiseVariance: Double

    public init(quantizer: Quantizer, weightCap: Int?, l2Clip: Double?, noiseVariance: Double = 0) {
        self.quantizer = quantizer
        self.weightCap = weightCap
        self.l2Clip = l2Clip
        self.noiseVariance = noiseVariance
    }

    /// The words of a session whose updates have `parameters` coordinates.
    public static func vectorLength(parameters: Int) -> Int { parameters + 1 }

    /// The hospital's input words and the number of coordinates clipped to the range.
    /// - Throws: when the noise variance cannot be sampled (never silently without its noise).
    public func encode<G: RandomNumberGenerator>(delta: Tensor, sampleCount: Int,
                                                 using generator: inout G) throws(PrivacyError) -> (words: [UInt32], clipped: Int) {
        let d = l2Clip.map { AggregationMath.clipped(delta, toNorm: $0) } ?? delta
        let count = weightCap.map { min(max(sampleCount, 0), $0) } ?? 1
        let weight = weightCap.map { Double(count) / Double($0) } ?? 1
        var words = [UInt32](repeating: 0, count: d.count + 1)
        let clipped = d.withUnsafeBufferPointer { quantizer.quantise($0, weight: weight, into: &words, using: &generator) }
        if noiseVariance > 0 {
            try addNoise(to: &words, count: d.count, using: &generator)
        }
        words[d.count] = UInt32(count)
        return (words, clipped)
    }

    /// The aggregate from the sum of the survivors' words: the weighted mean update (or the sum ÷
    /// `divisor` when given), and the total weight (Σ counts, or the number of contributors).
    public func decode(sum: [UInt32], divisor: Double? = nil) -> (update: Tensor, weight: Int) {
        let d = sum.count - 1
        let total = quantizer.dequantise(sum[..<d])
        let weight = Int(Int32(bitPattern: sum[d]))
        var scale: Double
        if let divisor {
            scale = 1 / divisor
        } else if let cap = weightCap {
            scale = Double(cap) / Double(max(weight, 1))
        } else {
            scale = 1 / Double(max(weight, 1))
        }
        var update = Tensor(shape: [d], repeating: 0)
        update.withUnsafeMutableBufferPointer { out in for i in 0..<d { out[i] = Float(Double(total[i]) * scale) } }
        return (update, weight)
    }

    /// Throws unless `participants` encodings (with noise) can never wrap the 32-bit sum: the
    /// coordinates' levels plus 20 standard deviations of the summed noise, and the weights.
    public func checkNoWrap(participants n: Int) throws(SecAggError) {
        try quantizer.checkNoWrap(participants: n, extraMagnitude: 20 * (Double(n) * noiseVariance).squareRoot())
        if let cap = weightCap, Double(n) * Double(cap) > Double(Int32.max) {
            throw .invalidConfiguration("\(n) hospitals × a weight cap of \(cap) records can wrap the 32-bit weight sum")
        }
    }
}

extension SecureEncoding {
    /// The hospital's share of distributed noise: Skellam with ``noiseVariance`` per coordinate, drawn
    /// from the hospital's secure generator (Agarwal, Kairouz & Liu 2021).
    func addNoise<G: RandomNumberGenerator>(to words: inout [UInt32], count: Int, using generator: inout G) throws(PrivacyError) {
        var noise = [Int64](repeating: 0, count: count)
        try SkellamSampler.fill(&noise, variance: noiseVariance, using: &generator)
        for i in 0..<count { words[i] &+= UInt32(truncatingIfNeeded: noise[i]) }
    }
}
