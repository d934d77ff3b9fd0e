import Foundation
import Testing
@testable import Privacy

/// Zhu & Wang's general Poisson-subsampling bound, checked on the one mechanism whose subsampled
/// RDP the package knows exactly: the Gaussian (``SubsampledGaussianRDP``, Mironov et al. 2019).
@Suite("Subsampled mechanism RDP (general bound)")
struct SubsampledMechanismRDPTests {
    static let integerOrders = Array(2...64) + [128, 256, 512, 1024]

    static func gaussian(_ sigma: Double) -> (Int) -> Double { { Double($0) / (2 * sigma * sigma) } }

    @Test("never below the exact sampled Gaussian at any integer order, for a grid of q and σ",
          arguments: [0.0005, 0.01, 0.1, 0.5, 0.9], [0.6, 1.0, 2.0, 8.0])
    func boundsTheGaussian(q: Double, sigma: Double) {
        for alpha in Self.integerOrders {
            let exact = SubsampledGaussianRDP.rdp(sampleRate: q, noiseMultiplier: sigma, order: Double(alpha))
            let general = SubsampledMechanismRDP.rdp(sampleRate: q, order: alpha, base: Self.gaussian(sigma))
            #expect(!general.isNaN)
            // At α = 2 the two coincide (no ℓ ≥ 3 terms): equal up to rounding, which for RDP near
            // 10⁻⁸ (log of 1 + tiny) is about 10⁻¹² relative.
            #expect(general >= exact * (1 - 1e-9) - 1e-15, "q = \(q), σ = \(sigma), α = \(alpha): \(general) < exact \(exact)")
            #expect(general <= Double(alpha) / (2 * sigma * sigma) * (1 + 1e-12), "capped at the unsampled RDP")
        }
    }

    @Test("at α = 2 the bound is exact for the Gaussian: log(1 − q² + q²·e^(1/σ²))")
    func orderTwo() {
        for (q, sigma) in [(0.01, 1.0), (0.3, 0.8), (0.9, 3.0)] {
            let expected = log(1 - q * q + q * q * exp(1 / (sigma * sigma)))
            let general = SubsampledMechanismRDP.rdp(sampleRate: q, order: 2, base: Self.gaussian(sigma))
            #expect(abs(general - expected) <= 1e-12 * expected)
        }
    }

    /// ε after 1000 steps at δ = 10⁻⁵ through the general bound, over ε through the exact RDP, as
    /// measured (the limits are those ratios rounded up): within 1.6% while q·σ² ≤ 0.004, looser as
    /// q·σ² grows (the factor 3 on the ℓ ≥ 3 terms outweighs the small e^((ℓ−1)ε(ℓ)) − 1 of a noisy
    /// mechanism): 1.17× at q = 0.01, σ = 1 and 2.3× at q = 0.01, σ = 5.
    @Test("ε through the general bound over ε through the exact RDP, as measured",
          arguments: [(0.0001, 5.0, 1.002), (0.001, 1.0, 1.004), (0.001, 2.0, 1.016), (0.001, 0.7, 1.092),
                      (0.01, 1.0, 1.167), (0.01, 2.0, 1.317), (0.001, 5.0, 1.821), (0.01, 5.0, 2.302)])
    func measuredGap(q: Double, sigma: Double, limit: Double) throws {
        let orders = RDPAccountant.defaultOrders
        let perStep = SubsampledMechanismRDP.rdp(sampleRate: q, orders: orders, base: Self.gaussian(sigma))
        let general = RDPAccountant.epsilon(rdp: perStep.map { 1000 * $0 }, orders: orders, delta: 1e-5).epsilon
        var exact = RDPAccountant()
        exact.compose(try PrivacySegment(sampleRate: q, noiseMultiplier: sigma, steps: 1000))
        let reference = exact.epsilon(delta: 1e-5).epsilon
        #expect(general >= reference && general <= limit * reference, "q = \(q), σ = \(sigma): ε \(general) vs exact \(reference)")
    }

    @Test("q = 1 is the mechanism itself, q = 0 is free; large orders stay finite")
    func edges() {
        for alpha in [2, 3, 17, 1024] {
            #expect(SubsampledMechanismRDP.rdp(sampleRate: 1, order: alpha, base: Self.gaussian(1.3)) == Self.gaussian(1.3)(alpha))
            #expect(SubsampledMechanismRDP.rdp(sampleRate: 0, order: alpha, base: Self.gaussian(1.3)) == 0)
        }
        let high = SubsampledMechanismRDP.rdp(sampleRate: 0.001, order: 1024, base: Self.gaussian(20))
        #expect(high.isFinite && high > 0 && high <= 1024.0 / 800)
        // An order whose base is +∞ is +∞.
        #expect(SubsampledMechanismRDP.rdp(sampleRate: 0.1, order: 5) { $0 >= 4 ? .infinity : 1 } == .infinity)
        #expect(SubsampledMechanismRDP.rdp(sampleRate: 0.1, orders: [3, 4.5, 6]) { $0 >= 4 ? .infinity : 1 }
                    .map(\.isInfinite) == [false, true, true])
    }

    @Test("fractional orders use ⌈α⌉ and orders in (1, 2] use 2; each integer order's base is evaluated once")
    func fractionalOrders() {
        var calls: [Int] = []
        let values = SubsampledMechanismRDP.rdp(sampleRate: 0.05, orders: [1.1, 1.5, 2, 2.5, 3, 10.9]) { alpha in
            calls.append(alpha)
            return Double(alpha) / 2
        }
        let at = { (alpha: Int) in SubsampledMechanismRDP.rdp(sampleRate: 0.05, order: alpha) { Double($0) / 2 } }
        #expect(values == [at(2), at(2), at(2), at(3), at(3), at(11)])
        #expect(calls == Array(2...11))
        #expect(SubsampledMechanismRDP.integerOrder(for: 1.0001) == 2 && SubsampledMechanismRDP.integerOrder(for: 7) == 7)
    }
}
