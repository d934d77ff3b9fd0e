import Foundation
import Testing
@testable import Privacy

/// The memoised RDP of a step (``RDPStepCache``) against the direct evaluation.
@Suite("RDP step cache")
struct RDPStepCacheTests {
    /// One segment of a history, of either kind.
    enum Segment { case gaussian(PrivacySegment), skellam(SkellamSegment) }

    /// The composed RDP vector of `history` in its order, each step evaluated directly (no cache).
    static func directRDP(_ history: [Segment], orders: [Double]) -> [Double] {
        var rdp = [Double](repeating: 0, count: orders.count)
        for segment in history {
            let step: [Double], steps: Int
            switch segment {
            case .gaussian(let s):
                step = RDPAccountant.directStepRDP(sampleRate: s.sampleRate, noiseMultiplier: s.noiseMultiplier, orders: orders)
                steps = s.steps
            case .skellam(let s):
                step = RDPAccountant.directStepRDP(s, orders: orders)
                steps = s.steps
            }
            guard steps > 0 else { continue }
            for k in rdp.indices { rdp[k] += Double(steps) * step[k] }
        }
        return rdp
    }

    @Test("the memoised accountant equals the direct one bit for bit over 60 random histories, and so does ε")
    func bitExact() throws {
        var rng = SystemRandomNumberGenerator()
        // Settings drawn from a small set, so that histories repeat settings (cache hits) and interleave kinds.
        let qs = (0..<4).map { _ in Double.random(in: 1e-4...0.5, using: &rng) }
        let sigmas = (0..<4).map { _ in Double.random(in: 0.4...8, using: &rng) }
        for _ in 0..<60 {
            var cached = RDPAccountant()
            var history: [Segment] = []
            for _ in 0..<Int.random(in: 1...8, using: &rng) {
                if Int.random(in: 0..<4, using: &rng) == 0 {
                    let l2 = Double.random(in: 10...200, using: &rng)
                    let s = try SkellamSegment(sampleRate: qs.randomElement(using: &rng)!,
                                               variance: pow(l2 * sigmas.randomElement(using: &rng)!, 2),
                                               l1Sensitivity: l2 * Double.random(in: 1...30, using: &rng),
                                               l2Sensitivity: l2, steps: Int.random(in: 0...50, using: &rng))
                    history.append(.skellam(s))
                    cached.compose(s)
                } else {
                    let s = try PrivacySegment(sampleRate: qs.randomElement(using: &rng)!,
                                               noiseMultiplier: sigmas.randomElement(using: &rng)!,
                                               steps: Int.random(in: 0...5_000, using: &rng))
                    history.append(.gaussian(s))
                    cached.compose(s)
                }
            }
            let direct = Self.directRDP(history, orders: cached.orders)
            #expect(cached.rdp.map(\.bitPattern) == direct.map(\.bitPattern))
            for delta in [1e-5, 1e-6] {
                let e = RDPAccountant.epsilon(rdp: direct, orders: cached.orders, delta: delta)
                #expect(cached.epsilon(delta: delta).epsilon.bitPattern == e.epsilon.bitPattern)
            }
        }
    }

    @Test("a cached step vector is the direct one bit for bit, at default and custom orders")
    func stepBitExact() throws {
        for orders in [RDPAccountant.defaultOrders, [1.5, 2, 3.25, 32, 256]] {
            for (q, sigma) in [(0.01, 1.1), (0.3, 0.7), (1.0, 2.0), (0.0004, 5.5)] {
                let a = RDPAccountant.stepRDP(sampleRate: q, noiseMultiplier: sigma, orders: orders)
                let b = RDPAccountant.stepRDP(sampleRate: q, noiseMultiplier: sigma, orders: orders)  // a hit
                let d = RDPAccountant.directStepRDP(sampleRate: q, noiseMultiplier: sigma, orders: orders)
                #expect(a.map(\.bitPattern) == d.map(\.bitPattern))
                #expect(b.map(\.bitPattern) == d.map(\.bitPattern))
            }
        }
    }

    @Test("1,000 hospitals' ledgers paying the same (q, σ) evaluate its RDP once, not 1,000 times")
    func oneEvaluationPerSetting() throws {
        // A setting no other test uses (σ with a random tail), so its first use is a miss.
        let sigma = 1.234_567 + Double.random(in: 0..<1e-6)
        let segment = try PrivacySegment(sampleRate: 0.0173, noiseMultiplier: sigma, steps: 58)
        var accountants = [RDPAccountant](repeating: RDPAccountant(), count: 1_000)
        for k in accountants.indices { accountants[k].compose(segment) }
        let key = RDPStepCache.Key(kind: 0, settings: [segment.sampleRate.bitPattern, sigma.bitPattern],
                                   orders: RDPAccountant.defaultOrders)
        #expect(RDPStepCache.computations(of: key) == 1)
        #expect(Set(accountants.map { $0.rdp.map(\.bitPattern) }).count == 1)
    }

    @Test("different bit patterns are different entries: 0.1 and its neighbour are not merged")
    func exactKeys() {
        let q = 0.1, next = q.nextUp
        let a = RDPAccountant.stepRDP(sampleRate: q, noiseMultiplier: 1, orders: [2, 3])
        let b = RDPAccountant.stepRDP(sampleRate: next, noiseMultiplier: 1, orders: [2, 3])
        #expect(b.map(\.bitPattern) == RDPAccountant.directStepRDP(sampleRate: next, noiseMultiplier: 1, orders: [2, 3]).map(\.bitPattern))
        #expect(a != b)
    }
}
