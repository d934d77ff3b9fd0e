import Dispatch

/// Exact standard-normal sampling by the Ziggurat method (Marsaglia & Tsang 2000, "The Ziggurat
/// Method for Generating Random Variables"), with 128 layers and independent bits for the layer
/// index and the value (avoiding the correlation Doornik 2005 found in the original RNOR).
///
/// Contract: draws follow N(0, 1) exactly, up to the 32-bit resolution of the uniform input; one
/// 64-bit draw of the source suffices ~98.8% of the time. Generic over the random source: a seeded
/// generator for tests and reproducible runs, a cryptographically secure one for the noise whose
/// privacy is reported (the Privacy module chooses).
public enum GaussianSampler {
    /// The layer tables: k (acceptance thresholds), w (widths / 2³¹), f (densities at the edges).
    @usableFromInline
    final class Tables: @unchecked Sendable {
        @usableFromInline let k = UnsafeMutablePointer<UInt32>.allocate(capacity: 128)
        @usableFromInline let w = UnsafeMutablePointer<Float>.allocate(capacity: 128)
        @usableFromInline let f = UnsafeMutablePointer<Float>.allocate(capacity: 128)
        init() {
            k.initialize(repeating: 0, count: 128)
            w.initialize(repeating: 0, count: 128)
            f.initialize(repeating: 0, count: 128)
        }
    }

    /// The right edge of the base layer.
    @usableFromInline static let r = 3.442619855899

    @usableFromInline static let tables: Tables = {
        let t = Tables()
        let m = 2147483648.0
        var dn = r, tn = r
        let vn = 9.91256303526217e-3
        let q = vn / _exp(-0.5 * dn * dn)
        t.k[0] = UInt32((dn / q) * m)
        t.k[1] = 0
        t.w[0] = Float(q / m)
        t.w[127] = Float(dn / m)
        t.f[0] = 1
        t.f[127] = Float(_exp(-0.5 * dn * dn))
        for i in stride(from: 126, through: 1, by: -1) {
            dn = (-2 * _log(vn / dn + _exp(-0.5 * dn * dn))).squareRoot()
            t.k[i + 1] = UInt32((dn / tn) * m)
            tn = dn
            t.f[i] = Float(_exp(-0.5 * dn * dn))
            t.w[i] = Float(dn / m)
        }
        return t
    }()

    /// One N(0, 1) draw.
    @inlinable
    public static func next<G: RandomNumberGenerator>(using generator: inout G) -> Float {
        let t = tables
        return draw(k: t.k, w: t.w, f: t.f, using: &generator)
    }

    @inlinable @inline(__always)
    static func draw<G: RandomNumberGenerator>(
        k: UnsafeMutablePointer<UInt32>, w: UnsafeMutablePointer<Float>, f: UnsafeMutablePointer<Float>,
        using generator: inout G
    ) -> Float {
        while true {
            let bits = generator.next()
            let layer = Int(bits & 127)
            let hz = Int32(truncatingIfNeeded: bits >> 32)
            let magnitude = hz.magnitude
            let x = Float(hz) * w[layer]
            if magnitude < k[layer] { return x }
            if layer == 0 {
                // The tail beyond r (Marsaglia 1964).
                var tx: Double, ty: Double
                repeat {
                    tx = negativeLog(unit(&generator)) / r
                    ty = negativeLog(unit(&generator))
                } while ty + ty < tx * tx
                return Float(hz > 0 ? r + tx : -r - tx)
            }
            let u = Float(unit(&generator))
            if f[layer] + u * (f[layer - 1] - f[layer]) < Float(tailDensity(Double(x))) { return x }
        }
    }

    /// e^(−x²/2).
    @usableFromInline static func tailDensity(_ x: Double) -> Double { _exp(-0.5 * x * x) }

    /// −log(u).
    @usableFromInline static func negativeLog(_ u: Double) -> Double { -_log(u) }

    /// A uniform draw in (0, 1].
    @inlinable @inline(__always)
    static func unit<G: RandomNumberGenerator>(_ generator: inout G) -> Double {
        (Double(generator.next() >> 11) + 1) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Fills `buffer` with independent N(0, std²) draws.
    @inlinable
    public static func fill<G: RandomNumberGenerator>(_ buffer: UnsafeMutableBufferPointer<Float>, std: Float,
                                                      using generator: inout G) {
        let t = tables
        for i in buffer.indices { buffer[i] = std * draw(k: t.k, w: t.w, f: t.f, using: &generator) }
    }

    /// Adds independent N(0, std²) noise to `buffer`, in `chunks` parallel pieces, piece c drawing
    /// from `makeGenerator(c)` (independent streams, so the result does not depend on timing).
    @inlinable
    public static func addNoise<G: RandomNumberGenerator & Sendable>(
        to buffer: UnsafeMutableBufferPointer<Float>, std: Float, chunks: Int,
        makeGenerator: @escaping @Sendable (Int) -> G
    ) {
        let n = buffer.count, pieces = max(1, min(chunks, n / 4096))
        let target = UnsafeSendable(buffer)
        DispatchQueue.concurrentPerform(iterations: pieces) { c in
            var generator = makeGenerator(c)
            let t = tables
            let lo = c * n / pieces, hi = (c + 1) * n / pieces
            for i in lo..<hi { target.value[i] += std * draw(k: t.k, w: t.w, f: t.f, using: &generator) }
        }
    }
}
