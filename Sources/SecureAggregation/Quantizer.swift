import Foundation

/// Fixed-point encoding of an update for a sum modulo 2³² (Bonawitz et al. 2017 §2; Kairouz, Liu &
/// Steinke 2021 for the conditional rounding): clip each coordinate to [−c, c], scale by
/// γ = (2^(b−1) − 1)/c, round stochastically (unbiased: ⌊v⌋ + Bernoulli(v − ⌊v⌋)), store as a
/// two's-complement word. A sum of n such words read back as a signed 32-bit integer is exact as long
/// as it stays within ±(2³¹ − 1), which ``checkNoWrap(participants:extraMagnitude:)`` proves at
/// configuration time: n·(2^(b−1) − 1) + extra ≤ 2³¹ − 1.
///
/// Contract: `dequantise` of a sum of m encodings is Σ xᵢ (clipped) within m/γ per coordinate (each
/// rounding moves a value by less than one level, 1/γ).
public struct Quantizer: Sendable, Equatable {
    /// c: the clipping range of each coordinate.
    public let clipRange: Double
    /// b: 2^b levels.
    public let bits: Int

    public init(clipRange: Double, bits: Int) throws(SecAggError) {
        guard clipRange > 0, clipRange.isFinite else {
            throw .invalidConfiguration("quantisation range c = \(clipRange) must be a positive number")
        }
        guard (2...31).contains(bits) else { throw .invalidConfiguration("quantisation bits b = \(bits) must be in 2…31") }
        self.clipRange = clipRange
        self.bits = bits
    }

    /// The largest level, 2^(b−1) − 1.
    public var maxLevel: Int64 { (Int64(1) << (bits - 1)) - 1 }

    /// γ: levels per unit.
    public var scale: Double { Double(maxLevel) / clipRange }

    /// Throws unless n inputs of at most ``maxLevel`` each, plus `extraMagnitude` (noise), always sum
    /// within ±(2³¹ − 1).
    public func checkNoWrap(participants n: Int, extraMagnitude: Double = 0) throws(SecAggError) {
        let worst = Double(n) * Double(maxLevel) + extraMagnitude
        guard worst <= Double(Int32.max) else {
            throw .invalidConfiguration(String(format: "%d hospitals × %d levels%@ can wrap the 32-bit sum (%.3g > 2³¹ − 1); use fewer quantisation bits",
                                               n, maxLevel, extraMagnitude > 0 ? " plus noise" : "", worst))
        }
    }

    /// Encodes `values` (each multiplied by `weight` first) into `out`, stochastically rounded with
    /// `generator`; returns how many coordinates were clipped.
    @discardableResult
    public func quantise<G: RandomNumberGenerator>(_ values: UnsafeBufferPointer<Float>, weight: Double = 1,
                                                   into out: inout [UInt32], at offset: Int = 0, using generator: inout G) -> Int {
        var clipped = 0
        let c = clipRange, gamma = scale
        for (i, raw) in values.enumerated() {
            var v = Double(raw) * weight
            if v > c { v = c; clipped += 1 } else if v < -c { v = -c; clipped += 1 } else if !v.isFinite { v = 0; clipped += 1 }
            out[offset + i] = UInt32(bitPattern: Int32(Quantizer.stochasticRound(v * gamma, using: &generator)))
        }
        return clipped
    }

    /// ⌊v⌋ + Bernoulli(v − ⌊v⌋): unbiased.
    @inline(__always)
    public static func stochasticRound<G: RandomNumberGenerator>(_ v: Double, using generator: inout G) -> Int64 {
        let floor = v.rounded(.down)
        let u = Double(generator.next() >> 11) * 0x1p-53
        return Int64(floor) + (u < v - floor ? 1 : 0)
    }

    /// Reads a sum of encodings back: each word as a signed 32-bit integer, divided by γ.
    public func dequantise(_ words: ArraySlice<UInt32>) -> [Float] {
        let gamma = scale
        return words.map { Float(Double(Int32(bitPattern: $0)) / gamma) }
    }
}
