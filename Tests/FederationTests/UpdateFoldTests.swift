import Federation
import Foundation
import Privacy
import TensorCore
import Testing

/// The streaming aggregate (``UpdateFold``) against the batch rules it replaces in the engine.
@Suite("Update fold")
struct UpdateFoldTests {
    static func randomUpdates(_ n: Int, parameters: Int, seed: UInt64) -> [ClientUpdate] {
        var rng = SeededGenerator(seed: seed)
        return (0..<n).map { i in
            let values = (0..<parameters).map { _ in Float.random(in: -2...2, using: &rng) * (i % 7 == 0 ? 5 : 1) }
            return ClientUpdate(hospital: "h\(i)", delta: Tensor(values), sampleCount: Int.random(in: 0...400, using: &rng))
        }
    }

    @Test("FedAvg's fold is Σ wᵢuᵢ / Σ wᵢ (to Float rounding) and equals combine on the same updates bit for bit")
    func weighted() {
        let updates = Self.randomUpdates(57, parameters: 333, seed: 1)
        var fold = UpdateFold(rule: .weighted, parameters: 333)
        for u in updates { fold.add(u) }
        let mean = fold.weightedMean()
        #expect(mean == FedAvg().combine(updates))
        let total = updates.reduce(0.0) { $0 + Double($1.sampleCount) }
        for j in stride(from: 0, to: 333, by: 17) {
            let reference = updates.reduce(0.0) { $0 + Double($1.sampleCount) * Double($1.delta[j]) } / total
            #expect(abs(Double(mean[j]) - reference) <= 1e-6 * max(1, abs(reference)))
        }
        #expect(fold.count == 57 && fold.totalWeight == total)
    }

    @Test("all weights 0: the plain mean; a weighted update after zero-weight ones: the weighted mean")
    func zeroWeights() {
        var zero = UpdateFold(rule: .weighted, parameters: 2)
        zero.add(Tensor([1, 4]), weight: 0)
        zero.add(Tensor([3, 0]), weight: 0)
        #expect(zero.weightedMean() == Tensor([2, 2]))
        var mixed = zero
        mixed.add(Tensor([10, 10]), weight: 3)
        #expect(mixed.weightedMean() == Tensor([10, 10]))
    }

    @Test("DP-FedAvg's fold and noise equal ClientLevelDP.aggregate bit for bit (same generator), clip counts included")
    func clippedSum() throws {
        let updates = Self.randomUpdates(40, parameters: 257, seed: 2)
        let mechanism = try ClientLevelDP(noiseMultiplier: 1.1, clipNorm: 20, expectedParticipants: 40,
                                          adaptive: try .init(countNoise: 2))
        var batch = mechanism, streamed = mechanism
        var g1 = ChaCha20Generator(seed: 5), g2 = ChaCha20Generator(seed: 5)
        let expected = batch.aggregate(updates.map(\.delta), using: &g1)
        var fold = UpdateFold(rule: .clippedSum(clipNorm: 20), parameters: 257)
        for u in updates { fold.add(u) }
        let got = streamed.finish(clippedSum: fold.clippedSum, unclipped: fold.unclipped, using: &g2)
        #expect(got.update == expected.update)
        #expect(got.unclippedFraction == expected.unclippedFraction)
        #expect(streamed.clipNorm == batch.clipNorm)
        #expect(fold.unclipped == updates.filter { $0.delta.norm() <= 20 }.count)
        #expect(fold.unclipped > 0 && fold.unclipped < 40)  // the fixture exercises both branches
    }

    @Test("norm bounding's fold scales each update to ‖u‖ ≤ M before the weighted mean")
    func bounded() {
        var fold = UpdateFold(rule: .boundedWeighted(maxNorm: 1), parameters: 2)
        fold.add(Tensor([30, 40]), weight: 1)   // scaled to (0.6, 0.8)
        fold.add(Tensor([0.2, 0]), weight: 1)   // within the bound
        let mean = fold.weightedMean()
        #expect(abs(mean[0] - 0.4) < 1e-6 && abs(mean[1] - 0.4) < 1e-6)
        let updates = [ClientUpdate(hospital: "a", delta: Tensor([30, 40]), sampleCount: 1),
                       ClientUpdate(hospital: "b", delta: Tensor([0.2, 0]), sampleCount: 1)]
        #expect(NormBounding(maxNorm: 1).combine(updates) == mean)
    }

    @Test("an update that carries its norm folds exactly as one whose norm the fold computes (norm bounding, bit for bit)")
    func knownNorm() {
        let updates = Self.randomUpdates(40, parameters: 257, seed: 8)
        let withNorms = updates.map { ClientUpdate(hospital: $0.hospital, delta: $0.delta, sampleCount: $0.sampleCount, norm: $0.delta.norm()) }
        var a = UpdateFold(rule: .boundedWeighted(maxNorm: 20), parameters: 257)
        var b = a
        for u in updates { a.add(u) }
        for u in withNorms { b.add(u) }
        #expect(a.weightedMean() == b.weightedMean())
        #expect(NormBounding.clippedHospitals(updates, maxNorm: 20) == NormBounding.clippedHospitals(withNorms, maxNorm: 20))
        #expect(!NormBounding.clippedHospitals(withNorms, maxNorm: 20).isEmpty)
    }

    @Test("folding a batch (coordinates split among the cores) equals folding one by one, bit for bit",
          arguments: [UpdateFold.Rule.weighted, .boundedWeighted(maxNorm: 150)])
    func batchEqualsSequential(rule: UpdateFold.Rule) {
        var updates = Self.randomUpdates(9, parameters: 70_001, seed: 3)
        for k in [0, 1] { updates[k].sampleCount = 0 }  // weightless ones first: the plain sum starts, then stops
        var one = UpdateFold(rule: rule, parameters: 70_001)
        for u in updates { one.add(u) }
        let batch = AggregationMath.folding(updates, rule: rule)
        #expect(one.weightedMean() == batch.weightedMean() && one.totalWeight == batch.totalWeight && one.count == batch.count)
        let weightless = updates.map { ClientUpdate(hospital: $0.hospital, delta: $0.delta, sampleCount: 0) }
        var plainOne = UpdateFold(rule: rule, parameters: 70_001)
        for u in weightless { plainOne.add(u) }
        #expect(plainOne.weightedMean() == AggregationMath.folding(weightless, rule: rule).weightedMean())
    }

    @Test("mean rules fold; robust rules do not")
    func rules() throws {
        #expect(FedAvg().foldRule == .weighted)
        #expect(NormBounding(maxNorm: 2).foldRule == .boundedWeighted(maxNorm: 2))
        #expect(CoordinateMedian().foldRule == nil)
        #expect(try StrategyParser.parse("trimmed:0.2").foldRule == nil)
        #expect(try StrategyParser.parse("krum:1").foldRule == nil)
        #expect(try StrategyParser.parse("fedadam").foldRule == .weighted)
    }
}
