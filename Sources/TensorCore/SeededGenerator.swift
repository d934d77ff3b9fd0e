/// A fast, seeded pseudo-random generator (xoshiro256**, Blackman & Vigna 2018), seeded through
/// SplitMix64 so that any 64-bit seed, 0 included, gives a well-mixed state.
///
/// Contract: the same seed gives the same sequence on every machine. It is for initialisation,
/// shuffling, partitioning, synthetic data and reproducible runs; it is *not* cryptographically
/// secure, and must not draw the noise whose privacy fedtop reports (the Privacy module's secure
/// noise source does that).
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// A generator whose whole sequence is fixed by `seed`.
    public init(seed: UInt64) {
        var sm = seed
        func splitMix() -> UInt64 {
            sm &+= 0x9E37_79B9_7F4A_7C15
            var z = sm
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    /// A generator for stream `stream` of `seed`: independent streams (per hospital, per layer)
    /// derived from one run seed.
    public init(seed: UInt64, stream: UInt64) {
        self.init(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03) &+ stream)
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// A uniform Float in [0, 1) with 24 random bits.
    @inline(__always)
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A uniform Double in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A standard normal draw (Box–Muller on 53-bit uniforms).
    public mutating func nextNormal() -> Double {
        let u1 = 1.0 - nextUnitDouble()  // (0, 1]: log is finite
        let u2 = nextUnitDouble()
        return (-2.0 * _log(u1)).squareRoot() * _cos(2.0 * Double.pi * u2)
    }

    /// Fills `buffer` with independent N(mean, std²) draws, two per Box–Muller pair.
    public mutating func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>, mean: Float = 0, std: Float = 1) {
        var i = 0
        let n = buffer.count
        while i < n {
            let u1 = 1.0 - nextUnitDouble()
            let u2 = nextUnitDouble()
            let r = (-2.0 * _log(u1)).squareRoot()
            let theta = 2.0 * Double.pi * u2
            buffer[i] = mean + std * Float(r * _cos(theta))
            if i + 1 < n { buffer[i + 1] = mean + std * Float(r * _sin(theta)) }
            i += 2
        }
    }

    /// A Gamma(shape, 1) draw (Marsaglia & Tsang 2000; shape < 1 by the boost u^(1/shape)).
    public mutating func nextGamma(shape: Double) -> Double {
        precondition(shape > 0, "SeededGenerator: gamma shape must be positive, got \(shape)")
        if shape < 1 {
            let u = max(nextUnitDouble(), .leastNonzeroMagnitude)
            return nextGamma(shape: shape + 1) * _pow(u, 1 / shape)
        }
        let d = shape - 1.0 / 3.0
        let c = 1.0 / (9.0 * d).squareRoot()
        while true {
            var x: Double, v: Double
            repeat {
                x = nextNormal()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = nextUnitDouble()
            if u < 1 - 0.0331 * x * x * x * x { return d * v }
            if _log(max(u, .leastNonzeroMagnitude)) < 0.5 * x * x + d * (1 - v + _log(v)) { return d * v }
        }
    }
}
