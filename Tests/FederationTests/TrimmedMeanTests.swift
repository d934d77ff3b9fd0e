import Testing
import TensorCore
@testable import Federation

@Suite("Coordinate-wise trimmed mean (Yin et al. 2018)")
struct TrimmedMeanTests {
    typealias S = StrategyTestSupport

    @Test("β = 0.2 with five updates drops the largest and smallest value per coordinate")
    func trimsOneEachEnd() {
        // c0 −2 [1 3 4] 9 → 8/3; c1 0 [1 2 4] 10 → 7/3; c2 −1 [1 2 3] 5 → 2; c3 0 [1 2 4] 8 → 7/3.
        let trimmed = TrimmedMean(beta: 0.2).combine(S.five)
        #expect(S.close(trimmed, [8.0 / 3, 7.0 / 3, 2, 7.0 / 3]))
    }

    @Test("⌊β·n⌋ = 0 is the unweighted mean")
    func noTrim() {
        let deltas = S.three.map(\.delta)
        #expect(S.close(AggregationMath.trimmedMean(deltas, beta: 0), [13.0 / 3, 2, 1, 4]))
        #expect(S.close(AggregationMath.trimmedMean(deltas, beta: 0.3), [13.0 / 3, 2, 1, 4]))  // ⌊0.9⌋ = 0
    }

    @Test("trim count ⌊β·n⌋, with the rounding of β·n allowed for")
    func trimCount() {
        #expect(AggregationMath.trimCount(beta: 0.2, count: 5) == 1)
        #expect(AggregationMath.trimCount(beta: 0.2, count: 4) == 0)
        #expect(AggregationMath.trimCount(beta: 0.25, count: 4) == 1)
        #expect(AggregationMath.trimCount(beta: 0.49, count: 10) == 4)
        #expect(0.29 * 100 < 29)  // the rounding the allowance is for
        #expect(AggregationMath.trimCount(beta: 0.29, count: 100) == 29)
    }

    @Test("when 2⌊β·n⌋ ≥ n nothing would be left, and the rule falls back to the median")
    func fallsBackToMedian() {
        // β just under 0.5 with n = 2: β·n + 10⁻⁹ reaches 1, so ⌊β·n⌋ = 1 and 2·1 ≥ 2.
        let beta = 0.5 - 1e-12
        #expect(AggregationMath.trimCount(beta: beta, count: 2) == 1)
        let two = [Tensor([1, 10]), Tensor([3, 20])]
        #expect(AggregationMath.trimmedMean(two, beta: beta) == AggregationMath.coordinateMedian(two))
        #expect(AggregationMath.trimmedMean(two, beta: beta) == Tensor([2, 15]))
    }

    @Test("β = 0.4 with five updates keeps only the median")
    func trimsToMedian() {
        let deltas = S.five.map(\.delta)
        #expect(AggregationMath.trimmedMean(deltas, beta: 0.4) == AggregationMath.coordinateMedian(deltas))
    }

    @Test("robust, named trimmed:β")
    func kind() {
        let strategy = TrimmedMean(beta: 0.2)
        #expect(strategy.combination == .robust && strategy.name == "trimmed:0.2")
    }
}
