import Testing
import TensorCore
@testable import Federation

@Suite("Coordinate-wise median (Yin et al. 2018)")
struct CoordinateMedianTests {
    typealias S = StrategyTestSupport

    @Test("odd n: the middle value per coordinate, ignoring sample counts")
    func oddCount() {
        // c0 {1, 3, 9} → 3; c1 {2, 0, 4} → 2; c2 {3, −1, 1} → 1; c3 {4, 8, 0} → 4 (the weighted mean is [6.4, 2.6, 0.6, 2.8]).
        #expect(CoordinateMedian().combine(S.three) == Tensor([3, 2, 1, 4]))
        // Five: c0 {−2, 1, 3, 4, 9} → 3; c1 {0, 1, 2, 4, 10} → 2; c2 {−1, 1, 2, 3, 5} → 2; c3 {0, 1, 2, 4, 8} → 2.
        #expect(AggregationMath.coordinateMedian(S.five.map(\.delta)) == Tensor([3, 2, 2, 2]))
    }

    @Test("even n: the mean of the two middle values")
    func evenCount() {
        // c0 {−2, 1, 3, 9} → 2; c1 {0, 2, 4, 10} → 3; c2 {−1, 1, 3, 5} → 2; c3 {0, 1, 4, 8} → 2.5.
        #expect(AggregationMath.coordinateMedian(S.five.prefix(4).map(\.delta)) == Tensor([2, 3, 2, 2.5]))
    }

    @Test("one update is its own median; the input order does not matter")
    func singleAndOrder() {
        #expect(AggregationMath.coordinateMedian([Tensor([1, -2, 3])]) == Tensor([1, -2, 3]))
        let deltas = S.five.map(\.delta)
        #expect(AggregationMath.coordinateMedian(deltas.reversed()) == AggregationMath.coordinateMedian(deltas))
    }

    @Test("the inputs are not modified (the sort works on a copy)")
    func inputsUntouched() {
        let deltas = S.three.map(\.delta)
        _ = AggregationMath.coordinateMedian(deltas)
        #expect(deltas.map(\.scalars) == [[1, 2, 3, 4], [3, 0, -1, 8], [9, 4, 1, 0]])
    }

    @Test("robust, named median, shape of the updates")
    func kind() {
        let median = CoordinateMedian()
        #expect(median.combination == .robust && median.name == "median" && median.proximalMu == 0)
        let matrix = [Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), Tensor(shape: [2, 2], scalars: [5, 6, 7, 8]),
                      Tensor(shape: [2, 2], scalars: [0, 0, 0, 0])]
        #expect(AggregationMath.coordinateMedian(matrix) == Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]))
    }
}
