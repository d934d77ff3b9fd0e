import Foundation
import Testing
import TensorCore

@Suite("Random generators")
struct RandomTests {
    @Test("a seed fixes the sequence; another seed or stream changes it")
    func seeded() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
        var s = SeededGenerator(seed: 42, stream: 1)
        let xs = (0..<5).map { _ in a.next() }
        #expect(xs == (0..<5).map { _ in b.next() })
        #expect(xs != (0..<5).map { _ in c.next() })
        #expect(xs != (0..<5).map { _ in s.next() })
    }

    @Test("Ziggurat draws are standard normal: mean, variance, tails and Kolmogorov–Smirnov distance")
    func zigguratIsNormal() {
        var g = SeededGenerator(seed: 7)
        let n = 200_000
        var xs = [Float](repeating: 0, count: n)
        xs.withUnsafeMutableBufferPointer { GaussianSampler.fill($0, std: 1, using: &g) }
        let mean = xs.reduce(0.0) { $0 + Double($1) } / Double(n)
        let variance = xs.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(n - 1)
        // Standard errors: mean 0.0022, variance 0.0032; tolerances are about 4.5 of them.
        #expect(abs(mean) < 0.01)
        #expect(abs(variance - 1) < 0.015)
        let tail = Double(xs.filter { abs($0) > 3 }.count) / Double(n)
        #expect(abs(tail - 0.0026998) < 0.0006)  // the base layer's tail beyond r = 3.44 is exercised too
        #expect(xs.contains { abs($0) > 3.5 })
        let sorted = xs.sorted()
        var ks = 0.0
        for i in stride(from: 0, to: n, by: 37) {
            let cdf = 0.5 * erfc(-Double(sorted[i]) / 2.0.squareRoot())
            ks = max(ks, abs(cdf - Double(i) / Double(n)), abs(cdf - Double(i + 1) / Double(n)))
        }
        #expect(ks < 0.006)  // the 1% critical value at n = 200,000 is 0.0036; sampling every 37th adds < 0.0002
    }

    @Test("parallel noise does not depend on timing: same streams, same noise")
    func parallelNoiseDeterministic() {
        func noise() -> [Float] {
            var t = [Float](repeating: 1, count: 50_000)
            t.withUnsafeMutableBufferPointer {
                GaussianSampler.addNoise(to: $0, std: 2, chunks: 4) { SeededGenerator(seed: 5, stream: UInt64($0)) }
            }
            return t
        }
        let a = noise()
        #expect(a == noise())
        let mean = a.reduce(0.0) { $0 + Double($1) } / Double(a.count)
        #expect(abs(mean - 1) < 0.05)
    }

    @Test("Gamma draws have mean equal to the shape (small and large shapes)", arguments: [0.3, 1.0, 5.0])
    func gammaMean(shape: Double) {
        var g = SeededGenerator(seed: 11)
        let n = 20_000
        let mean = (0..<n).reduce(0.0) { s, _ in s + g.nextGamma(shape: shape) } / Double(n)
        #expect(abs(mean - shape) < 5 * (shape / Double(n)).squareRoot())
    }
}
