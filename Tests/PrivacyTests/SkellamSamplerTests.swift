import Foundation
import Testing
@testable import Privacy

/// The Skellam and Poisson samplers against their exact moments and pmfs. Seeded generators make
/// every run draw the same numbers; the tolerances are 5 standard errors (or a chi-square quantile
/// at p = 10⁻⁶), so a correct sampler fails them with probability about 10⁻⁶ per check.
@Suite("Skellam sampler")
struct SkellamSamplerTests {
    static let draws = 200_000

    @Test("sample mean and variance of Sk(μ) within 5 standard errors of 0 and μ",
          arguments: [0.5, 3.0, 50.0, 1e4, 1e6])
    func moments(variance mu: Double) throws {
        var generator = ChaCha20Generator(seed: 7, stream: UInt64(mu.bitPattern & 0xffff))
        var out = [Int64](repeating: 0, count: Self.draws)
        try SkellamSampler.fill(&out, variance: mu, using: &generator)
        let n = Double(out.count)
        let mean = out.reduce(0.0) { $0 + Double($1) } / n
        let variance = out.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / (n - 1)
        // Sk(μ): variance μ, fourth central moment 3μ² + μ, so Var(s²) ≈ (2μ² + μ)/n.
        #expect(abs(mean) <= 5 * (mu / n).squareRoot(), "μ = \(mu): mean \(mean)")
        #expect(abs(variance - mu) <= 5 * ((2 * mu * mu + mu) / n).squareRoot(), "μ = \(mu): variance \(variance)")
    }

    /// Pearson's chi-square of `counts` against `pmf` over the integers, tails merged so that every
    /// cell expects at least 5; returns the statistic and the critical value at p = 10⁻⁶.
    static func chiSquare(_ counts: [Int: Int], total: Int, pmf: (Int) -> Double, range: ClosedRange<Int>)
        -> (statistic: Double, critical: Double, cells: Int) {
        var cells: [(observed: Double, expected: Double)] = []
        var observed = 0.0, expected = 0.0
        var coveredMass = 0.0
        for k in range {
            let p = pmf(k)
            coveredMass += p
            observed += Double(counts[k] ?? 0)
            expected += p * Double(total)
            if expected >= 5 {
                cells.append((observed, expected))
                observed = 0
                expected = 0
            }
        }
        // Everything outside `range`, and the remainder, joins the last cell.
        let outside = Double(total - counts.filter { range.contains($0.key) }.values.reduce(0, +))
        observed += outside
        expected += (1 - coveredMass) * Double(total)
        if var last = cells.popLast() {
            last.observed += observed
            last.expected += expected
            cells.append(last)
        }
        let statistic = cells.reduce(0.0) { $0 + ($1.observed - $1.expected) * ($1.observed - $1.expected) / $1.expected }
        // Wilson–Hilferty: the chi-square quantile with df degrees of freedom at z = 4.753 (p = 10⁻⁶).
        let df = Double(cells.count - 1), z = 4.753
        let critical = df * pow(1 - 2 / (9 * df) + z * (2 / (9 * df)).squareRoot(), 3)
        return (statistic, critical, cells.count)
    }

    static func poissonPMF(_ k: Int, mean: Double) -> Double {
        k < 0 ? 0 : exp(-mean + Double(k) * log(mean) - lgamma(Double(k) + 1))
    }

    @Test("Poisson frequencies match the exact pmf (chi-square): multiplication method and PTRS",
          arguments: [1.5, 9.99, 10.0, 40.0, 5000.0])
    func poissonPMF(mean: Double) throws {
        let sampler = try PoissonSampler(mean: mean)
        var generator = ChaCha20Generator(seed: 11, stream: UInt64(mean * 100))
        var counts: [Int: Int] = [:]
        for _ in 0..<Self.draws { counts[Int(sampler.next(using: &generator)), default: 0] += 1 }
        // Mean and variance within 5 standard errors (Poisson: Var(s²) ≈ (2λ² + λ)/n).
        let n = Double(Self.draws)
        let sampleMean = counts.reduce(0.0) { $0 + Double($1.key * $1.value) } / n
        let sampleVariance = counts.reduce(0.0) { $0 + Double($1.value) * (Double($1.key) - sampleMean) * (Double($1.key) - sampleMean) } / (n - 1)
        #expect(abs(sampleMean - mean) <= 5 * (mean / n).squareRoot(), "λ = \(mean): mean \(sampleMean)")
        #expect(abs(sampleVariance - mean) <= 5 * ((2 * mean * mean + mean) / n).squareRoot(), "λ = \(mean): variance \(sampleVariance)")
        let spread = Int((10 * mean.squareRoot()).rounded(.up)) + 10
        let range = max(0, Int(mean) - spread)...(Int(mean) + spread)
        let test = Self.chiSquare(counts, total: Self.draws, pmf: { Self.poissonPMF($0, mean: mean) }, range: range)
        #expect(test.cells > 5)
        #expect(test.statistic <= test.critical, "λ = \(mean): χ² = \(test.statistic) over \(test.cells) cells, critical \(test.critical)")
    }

    @Test("Skellam frequencies match the exact pmf (chi-square), small and large μ", arguments: [3.0, 400.0])
    func skellamPMF(variance mu: Double) throws {
        let sampler = try SkellamSampler(variance: mu)
        var generator = ChaCha20Generator(seed: 13, stream: UInt64(mu))
        var counts: [Int: Int] = [:]
        for _ in 0..<Self.draws { counts[Int(sampler.next(using: &generator)), default: 0] += 1 }
        // P(K = k) = Σⱼ p(j + k) p(j) for the difference of two Poisson(μ/2).
        let lambda = mu / 2
        let top = Int(lambda + 12 * lambda.squareRoot()) + 20
        let pmf = { (k: Int) -> Double in
            (0...top).reduce(0.0) { $0 + Self.poissonPMF($1 + k, mean: lambda) * Self.poissonPMF($1, mean: lambda) }
        }
        let spread = Int((8 * mu.squareRoot()).rounded(.up)) + 5
        let test = Self.chiSquare(counts, total: Self.draws, pmf: pmf, range: -spread...spread)
        #expect(test.cells > 5)
        #expect(test.statistic <= test.critical, "μ = \(mu): χ² = \(test.statistic) over \(test.cells) cells, critical \(test.critical)")
    }

    @Test("bulk fill of 100 000 coordinates: Int32 and Int64 give the same draws as next(), from ChaCha20")
    func bulkFill() throws {
        let sampler = try SkellamSampler(variance: 2500)
        var a = ChaCha20Generator(seed: 5), b = ChaCha20Generator(seed: 5), c = ChaCha20Generator(seed: 5)
        var wide = [Int64](repeating: 0, count: 100_000)
        var narrow = [Int32](repeating: 0, count: 100_000)
        sampler.fill(&wide, using: &a)
        try sampler.fill(&narrow, using: &b)
        let single = (0..<100).map { _ in sampler.next(using: &c) }
        #expect(Array(wide.prefix(100)) == single)
        #expect(wide.map(Int32.init) == narrow)
        #expect(Set(wide).count > 100)  // not constant
        var secure = try ChaCha20Generator()
        try SkellamSampler.fill(&narrow, variance: 1e6, using: &secure)
        #expect(narrow.contains { $0 != 0 })
    }

    @Test("μ = 0 draws zeros; invalid variances are errors naming the value")
    func validation() throws {
        var generator = ChaCha20Generator(seed: 1)
        var out = [Int64](repeating: 9, count: 1000)
        try SkellamSampler.fill(&out, variance: 0, using: &generator)
        #expect(out.allSatisfy { $0 == 0 })
        #expect(throws: PrivacyError.invalidSetting(name: "Skellam noise variance μ", value: -1, expected: "0 ≤ μ ≤ 2⁵²")) {
            try SkellamSampler(variance: -1)
        }
        #expect(throws: PrivacyError.self) { try SkellamSampler(variance: .nan) }
        #expect(throws: PrivacyError.self) { try SkellamSampler(variance: .infinity) }
        #expect(throws: PrivacyError.self) { try PoissonSampler(mean: -0.5) }
        var narrow = [Int32](repeating: 0, count: 4)
        #expect(throws: PrivacyError.invalidSetting(name: "Skellam noise variance μ for 32-bit output", value: 1e13,
                                                    expected: "μ ≤ 2⁴⁰")) {
            try SkellamSampler.fill(&narrow, variance: 1e13, using: &generator)
        }
    }

    @Test("PTRS's log Γ (Stirling series) agrees with libm's lgamma")
    func logGamma() {
        for k in [1, 2, 3, 6, 7, 8, 10, 50, 1000, 123_456, 10_000_000] {
            let x = Double(k)
            #expect(abs(PoissonSampler.logGamma(x) - lgamma(x)) <= 1e-12 * max(1, abs(lgamma(x))), "log Γ(\(k))")
        }
    }
}
