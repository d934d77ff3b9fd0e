import Testing
import Privacy

@Suite("Noise calibration")
struct CalibrationTests {
    func epsilon(q: Double, sigma: Double, steps: Int, delta: Double) throws -> Double {
        var a = RDPAccountant()
        a.compose(try PrivacySegment(sampleRate: q, noiseMultiplier: sigma, steps: steps))
        return a.epsilon(delta: delta).epsilon
    }

    @Test("the calibrated σ meets the target and is tight: 0.1% less noise would overshoot",
          arguments: [(8.0, 0.04, 2250), (1.0, 0.01, 10000), (2.0, 0.004, 15000), (0.5, 0.1, 400)])
    func calibrate(target: Double, q: Double, steps: Int) throws {
        let sigma = try #require(try Calibration.noiseMultiplier(targetEpsilon: target, sampleRate: q, steps: steps, delta: 1e-5))
        #expect(try epsilon(q: q, sigma: sigma, steps: steps, delta: 1e-5) <= target)
        #expect(try epsilon(q: q, sigma: sigma * 0.999, steps: steps, delta: 1e-5) > target * 0.999)
    }

    @Test("calibrating the rest of a run accounts for what is already spent")
    func restOfRun() throws {
        var spent = RDPAccountant()
        spent.compose(try PrivacySegment(sampleRate: 0.01, noiseMultiplier: 1.2, steps: 1000))  // ε ≈ 1.45 at δ = 1e-5
        let fresh = try #require(try Calibration.noiseMultiplier(targetEpsilon: 4, sampleRate: 0.01, steps: 2000, delta: 1e-5))
        let rest = try #require(try Calibration.noiseMultiplier(targetEpsilon: 4, sampleRate: 0.01, steps: 2000, delta: 1e-5, spent: spent))
        #expect(rest > fresh)
        #expect(try Calibration.projectedEpsilon(spent: spent, sampleRate: 0.01, noiseMultiplier: rest, steps: 2000, delta: 1e-5) <= 4)
        #expect(try Calibration.noiseMultiplier(targetEpsilon: 0.01, sampleRate: 0.01, steps: 10, delta: 1e-5, spent: spent) == nil)
    }

    @Test("steps remaining is the largest count within the budget")
    func stepsRemaining() throws {
        let spent = RDPAccountant()
        let n = try Calibration.stepsRemaining(spent: spent, sampleRate: 0.01, noiseMultiplier: 1.0, budget: 2.0, delta: 1e-5)
        #expect(n > 0)
        #expect(try epsilon(q: 0.01, sigma: 1.0, steps: n, delta: 1e-5) <= 2.0)
        #expect(try epsilon(q: 0.01, sigma: 1.0, steps: n + 1, delta: 1e-5) > 2.0)
    }
}
