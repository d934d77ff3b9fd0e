import CKernels
import Dispatch

/// Exact standard-normal sampling by the Ziggurat method (Marsaglia & Tsang 2000, "The Ziggurat
/// Method for Generating Random Variables"), with 128 layers and independent bits for the layer
/// index and the value (avoiding the correlation Doornik 2005 found in the original RNOR).
///
/// Contract: draws follow N(0, 1) exactly, up to the 32-bit resolution of the uniform input; one
/// 64-bit draw of the source suffices ~97.2 % of the time (the mean of the layers' k / 2³¹). Generic over the random source: a seeded
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
            if let x = attempt(bits: generator.next(), k: k, w: w, f: f, using: &generator) { return x }
        }
    }

    /// One try of the Ziggurat from the word `bits` (7 bits of layer, 32 of value): the draw, or nil
    /// when it is rejected and the method starts over with a new word. Further words (the wedge's
    /// uniform, the tail's) come from `generator`.
    @inlinable @inline(__always)
    static func attempt<G: RandomNumberGenerator>(
        bits: UInt64, k: UnsafeMutablePointer<UInt32>, w: UnsafeMutablePointer<Float>, f: UnsafeMutablePointer<Float>,
        using generator: inout G
    ) -> Float? {
        let layer = Int(bits & 127)
        let hz = Int32(truncatingIfNeeded: bits >> 32)
        let x = Float(hz) * w[layer]
        if hz.magnitude < k[layer] { return x }
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
        return nil
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

    /// Words taken from the source at a time by ``fill(_:std:using:)`` and ``addNoise(to:std:chunks:makeGenerator:)``.
    public static let blockWords = 1024

    /// Fills `buffer` with independent N(0, std²) draws.
    @inlinable
    public static func fill<G: RandomNumberGenerator>(_ buffer: UnsafeMutableBufferPointer<Float>, std: Float,
                                                      using generator: inout G) {
        sample(buffer, std: std, accumulate: false, using: &generator, words: wordByWord)
    }

    /// Fills `buffer` with independent N(0, std²) draws, the source's words taken a block at a time.
    @inlinable
    public static func fill<G: RandomWordSource>(_ buffer: UnsafeMutableBufferPointer<Float>, std: Float,
                                                 using generator: inout G) {
        sample(buffer, std: std, accumulate: false, using: &generator) { g, words in g.fill(words: words) }
    }

    /// Adds independent N(0, std²) noise to `buffer`, in `chunks` pieces, piece c drawing from
    /// `makeGenerator(c)` (independent streams, so the result depends on neither timing nor
    /// `threads`). `threads` > 1: the pieces on every core (`concurrentPerform`); 1: one after another
    /// on the caller's thread (a hospital that already holds a core of its own, next to others
    /// training on the rest).
    @inlinable
    public static func addNoise<G: RandomNumberGenerator & Sendable>(
        to buffer: UnsafeMutableBufferPointer<Float>, std: Float, chunks: Int, threads: Int = ComputePolicy.cores,
        makeGenerator: @escaping @Sendable (Int) -> G
    ) {
        addNoise(to: buffer, std: std, chunks: chunks, threads: threads, makeGenerator: makeGenerator, words: wordByWord)
    }

    /// ``addNoise(to:std:chunks:makeGenerator:)`` for sources that hand out words a block at a time
    /// (``RandomWordSource``: the ChaCha20 keystream).
    @inlinable
    public static func addNoise<G: RandomWordSource & Sendable>(
        to buffer: UnsafeMutableBufferPointer<Float>, std: Float, chunks: Int, threads: Int = ComputePolicy.cores,
        makeGenerator: @escaping @Sendable (Int) -> G
    ) {
        addNoise(to: buffer, std: std, chunks: chunks, threads: threads, makeGenerator: makeGenerator) { $0.fill(words: $1) }
    }

    /// Both overloads: piece c of `buffer` gets noise from `makeGenerator(c)`, its words taken by `words`.
    @inlinable
    static func addNoise<G: RandomNumberGenerator & Sendable>(
        to buffer: UnsafeMutableBufferPointer<Float>, std: Float, chunks: Int, threads: Int,
        makeGenerator: @escaping @Sendable (Int) -> G,
        words: @escaping @Sendable (inout G, UnsafeMutableBufferPointer<UInt64>) -> Void
    ) {
        inPieces(buffer, chunks: chunks, threads: threads) { c, piece in
            var generator = makeGenerator(c)
            sample(piece, std: std, accumulate: true, using: &generator, words: words)
        }
    }

    /// Words one `next()` at a time, for any source.
    @inlinable
    static func wordByWord<G: RandomNumberGenerator>(_ generator: inout G, _ words: UnsafeMutableBufferPointer<UInt64>) {
        for i in words.indices { words[i] = generator.next() }
    }

    /// Runs `body` on `chunks` contiguous pieces of `buffer` (fewer for a short buffer: at least 4,096
    /// values each), on every core when `threads` > 1, else in order on this thread.
    @inlinable
    static func inPieces(_ buffer: UnsafeMutableBufferPointer<Float>, chunks: Int, threads: Int,
                         _ body: @escaping @Sendable (Int, UnsafeMutableBufferPointer<Float>) -> Void) {
        let n = buffer.count, pieces = max(1, min(chunks, n / 4096))
        if threads <= 1 || pieces == 1 {
            for c in 0..<pieces { body(c, UnsafeMutableBufferPointer(rebasing: buffer[(c * n / pieces)..<((c + 1) * n / pieces)])) }
            return
        }
        let target = UnsafeSendable(buffer)
        DispatchQueue.concurrentPerform(iterations: pieces) { c in
            let lo = c * n / pieces, hi = (c + 1) * n / pieces
            body(c, UnsafeMutableBufferPointer(rebasing: target.value[lo..<hi]))
        }
    }

    /// The Ziggurat a block of words at a time: one pass over the block (``rectangles(_:count:std:into:accumulate:rejected:)``)
    /// sets every value whose word falls inside its layer's rectangle (~97.2 %), then the rest are finished one by one
    /// (wedge or tail test on the same word, further words from `generator`, then fresh tries), so
    /// each value is exactly one run of the method and the draws are independent. `words` hands out
    /// the next words of `generator`. `accumulate`: add to `out` instead of overwriting it.
    @inlinable
    static func sample<G: RandomNumberGenerator>(
        _ out: UnsafeMutableBufferPointer<Float>, std: Float, accumulate: Bool, using generator: inout G,
        words nextWords: (inout G, UnsafeMutableBufferPointer<UInt64>) -> Void
    ) {
        guard let base = out.baseAddress else { return }
        let t = tables
        let k = t.k, w = t.w, f = t.f
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: blockWords) { block in
            withUnsafeTemporaryAllocation(of: UInt16.self, capacity: blockWords) { rejected in
                var start = 0
                while start < out.count {
                    let m = min(blockWords, out.count - start)
                    let chunk = UnsafeMutableBufferPointer(rebasing: block[..<m])
                    nextWords(&generator, chunk)
                    let o = base + start, bits = UnsafePointer(chunk.baseAddress!)
                    let misses = rectangles(bits, count: m, std: std, into: o, accumulate: accumulate, rejected: rejected.baseAddress!)
                    for r in 0..<misses {
                        let j = Int(rejected[r])
                        let x = attempt(bits: bits[j], k: k, w: w, f: f, using: &generator) ?? draw(k: k, w: w, f: f, using: &generator)
                        if accumulate { o[j] += std * x } else { o[j] = std * x }
                    }
                    start += m
                }
            }
        }
    }
}

extension GaussianSampler {
    /// The fast path of the Ziggurat over `count` words (at most 65,536): where a word falls inside
    /// its layer's rectangle (~97.2 %), sets (or adds) std·x at its place in `out`; the places of the
    /// others go to `rejected`, in order, and their count is returned (the caller finishes them).
    /// In C (`CKernels`), with AVX-512 or AVX2 where the CPU has them (chosen once, at run time) and
    /// portable C elsewhere; every variant gives the same bits (`ZigguratRectanglesTests`).
    @usableFromInline
    static func rectangles(_ words: UnsafePointer<UInt64>, count: Int, std: Float, into out: UnsafeMutablePointer<Float>,
                           accumulate: Bool, rejected: UnsafeMutablePointer<UInt16>) -> Int {
        let t = tables
        return fedtop_ziggurat_rectangles(words, count, std, out, accumulate ? 1 : 0, rejected, UnsafePointer(t.k), UnsafePointer(t.w))
    }

    /// The rectangle pass this CPU runs: "AVX-512", "AVX2" or "portable C" (benchmarks print it).
    public static var rectanglePass: String {
        switch Int(fedtop_ziggurat_best_variant()) {
        case FEDTOP_ZIGGURAT_AVX512: "AVX-512"
        case FEDTOP_ZIGGURAT_AVX2: "AVX2"
        default: "portable C"
        }
    }
}

/// A random source that hands out many 64-bit words at once faster than one `next()` at a time (a
/// stream cipher's keystream, copied from its buffer).
///
/// Contract: `fill(words:)` gives exactly the words that `words.count` calls of `next()` would.
public protocol RandomWordSource: RandomNumberGenerator {
    mutating func fill(words: UnsafeMutableBufferPointer<UInt64>)
}
