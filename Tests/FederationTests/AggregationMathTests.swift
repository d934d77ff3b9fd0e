import Testing
import TensorCore
@testable import Federation

@Suite("Aggregation maths: means and clipping")
struct AggregationMathTests {
    typealias S = StrategyTestSupport

    @Test("the weighted mean of three updates with weights 0.1, 0.3, 0.6, by hand")
    func weightedMean() {
        // c0: 0.1·1 + 0.3·3 + 0.6·9 = 6.4; c1: 0.2 + 0 + 2.4 = 2.6; c2: 0.3 − 0.3 + 0.6 = 0.6; c3: 0.4 + 2.4 + 0 = 2.8
        let mean = AggregationMath.weightedMean(S.three)
        #expect(S.close(mean, [6.4, 2.6, 0.6, 2.8]))
        #expect(mean.shape == [4])
    }

    @Test("the unweighted mean, and the weighted mean falls back to it when every weight is 0")
    func unweightedMean() {
        let deltas = S.three.map(\.delta)
        #expect(S.close(AggregationMath.mean(deltas), [13.0 / 3, 2, 1, 4]))
        #expect(S.close(AggregationMath.weightedMean(deltas, weights: [0, 0, 0]), [13.0 / 3, 2, 1, 4]))
    }

    @Test("a zero weight leaves its update out entirely")
    func zeroWeight() {
        let mean = AggregationMath.weightedMean(S.three.map(\.delta), weights: [1, 0, 1])
        #expect(S.close(mean, [5, 3, 2, 2]))
    }

    @Test("clipping scales an update longer than M to norm M and leaves a shorter one unchanged")
    func clipping() {
        let long = AggregationMath.clipped(Tensor([3, 4]), toNorm: 1)
        #expect(S.close(long, [0.6, 0.8]))
        #expect(abs(long.norm() - 1) < 1e-6)
        let short = Tensor([0.3, 0.4])
        #expect(AggregationMath.clipped(short, toNorm: 1) == short)
    }

    @Test("a single update is its own mean")
    func singleUpdate() {
        #expect(AggregationMath.weightedMean([S.update("a", [1, -2], samples: 7)]) == Tensor([1, -2]))
    }
}
