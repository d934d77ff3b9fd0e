import Testing
import Privacy
@testable import SecureAggregation

@Suite("Quantisation")
struct QuantizerTests {
    @Test("a sum of n encodings dequantises to the sum of the clipped values within n levels")
    func sum() throws {
        let q = try Quantizer(clipRange: 0.5, bits: 16)
        var g = ChaCha20Generator(seed: 2)
        let n = 7, d = 1000
        var total = [UInt32](repeating: 0, count: d)
        var plain = [Double](repeating: 0, count: d)
        for _ in 0..<n {
            let x = (0..<d).map { _ in Float.random(in: -0.7...0.7, using: &g) }
            var words = [UInt32](repeating: 0, count: d)
            let clipped = x.withUnsafeBufferPointer { q.quantise($0, into: &words, using: &g) }
            #expect(clipped == x.filter { abs($0) > 0.5 }.count)
            for i in 0..<d { total[i] &+= words[i]; plain[i] += Double(max(-0.5, min(0.5, x[i]))) }
        }
        let back = q.dequantise(total[...])
        for i in 0..<d { #expect(abs(Double(back[i]) - plain[i]) <= Double(n) / q.scale + 1e-6) }
    }

    @Test("stochastic rounding is unbiased (mean of 100k roundings of 0.3 within 5 sd)")
    func unbiased() {
        var g = ChaCha20Generator(seed: 4)
        let m = 100_000
        let total = (0..<m).reduce(Int64(0)) { s, _ in s + Quantizer.stochasticRound(2.3, using: &g) }
        let sd = (0.3 * 0.7 / Double(m)).squareRoot()
        #expect(abs(Double(total) / Double(m) - 2.3) < 5 * sd)
    }

    @Test("the wrap check refuses n × levels beyond the 32-bit sum, at configuration time")
    func wrap() throws {
        let q = try Quantizer(clipRange: 1, bits: 16)
        try q.checkNoWrap(participants: 65_536)
        #expect(throws: SecAggError.self) { try q.checkNoWrap(participants: 65_540) }
        #expect(throws: SecAggError.self) { try q.checkNoWrap(participants: 10, extraMagnitude: 3e9) }
        #expect(throws: SecAggError.self) { try Quantizer(clipRange: 0, bits: 16) }
        #expect(throws: SecAggError.self) { try Quantizer(clipRange: 1, bits: 32) }
    }
}
