import Foundation
import Testing
import TensorCore
import Privacy

@Suite("Client-level DP (DP-FedAvg)")
struct ClientLevelDPTests {
    @Test("without noise: updates are clipped to S, summed and divided by the expected participants")
    func clipAndAverage() throws {
        var dp = try ClientLevelDP(noiseMultiplier: 0, clipNorm: 1, expectedParticipants: 4)
        var g = SeededGenerator(seed: 1)
        let (update, fraction) = dp.aggregate([Tensor([3, 4]), Tensor([0.3, 0.4])], using: &g)
        // [3,4] has norm 5 → [0.6, 0.8]; [0.3, 0.4] is unclipped; sum [0.9, 1.2] / 4.
        #expect(abs(update[flat: 0] - 0.225) < 1e-6 && abs(update[flat: 1] - 0.3) < 1e-6)
        #expect(fraction == nil)
    }

    @Test("the noise on the mean has standard deviation σ·S / (q·n)")
    func noiseLevel() throws {
        var dp = try ClientLevelDP(noiseMultiplier: 1.5, clipNorm: 0.4, expectedParticipants: 3)
        var g = SeededGenerator(seed: 2)
        let (update, _) = dp.aggregate([Tensor(shape: [50_000])], using: &g)
        let sd = (update.squaredNorm() / 50_000).squareRoot()
        #expect(abs(sd / (1.5 * 0.4 / 3) - 1) < 0.02)  // standard error 0.3%
    }

    @Test("adaptive clipping moves S towards the γ-quantile: up when most updates are clipped, down when few are")
    func adaptiveDirection() throws {
        let adaptive = try ClientLevelDP.AdaptiveClipping(targetQuantile: 0.5, learningRate: 0.2, countNoise: 0.5)
        var grows = try ClientLevelDP(noiseMultiplier: 0, clipNorm: 0.1, expectedParticipants: 10, adaptive: adaptive)
        var shrinks = try ClientLevelDP(noiseMultiplier: 0, clipNorm: 100, expectedParticipants: 10, adaptive: adaptive)
        var g = SeededGenerator(seed: 3)
        let updates = (1...10).map { Tensor([Float($0), 0]) }  // norms 1…10, median 5.5
        for _ in 0..<60 { _ = grows.aggregate(updates, using: &g); _ = shrinks.aggregate(updates, using: &g) }
        #expect(grows.clipNorm > 3 && grows.clipNorm < 9)
        #expect(shrinks.clipNorm > 3 && shrinks.clipNorm < 9)
    }

    @Test("σ_Δ = (z⁻² − (2σ_b)⁻²)^(−1/2), and σ_b ≤ z/2 is refused")
    func noiseSplit() throws {
        let adaptive = try ClientLevelDP.AdaptiveClipping(countNoise: 5)
        let dp = try ClientLevelDP(noiseMultiplier: 1, clipNorm: 1, expectedParticipants: 100, adaptive: adaptive)
        #expect(abs(dp.updateNoiseMultiplier - 1 / (1 - 1.0 / 100).squareRoot()) < 1e-12)
        #expect(throws: PrivacyError.self) {
            try ClientLevelDP(noiseMultiplier: 2, clipNorm: 1, expectedParticipants: 10,
                              adaptive: try ClientLevelDP.AdaptiveClipping(countNoise: 1))
        }
        #expect(throws: PrivacyError.self) { try ClientLevelDP(noiseMultiplier: 1, clipNorm: 0, expectedParticipants: 1) }
    }
}
