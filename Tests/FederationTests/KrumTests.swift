import Testing
import TensorCore
@testable import Federation

@Suite("Krum and Multi-Krum (Blanchard et al. 2017)")
struct KrumTests {
    typealias S = StrategyTestSupport

    /// b = [1, 0], c = [0, 1], e = [10, 10], d = [1, 1], a = [0.5, 0.5], in that order.
    /// Squared distances: a–b, a–c, a–d 0.5; a–e 180.5; b–c 2; b–d, c–d 1; b–e, c–e 181; d–e 162.
    /// With f = 1 and n = 5 each score sums the 2 nearest: b 0.5 + 1, c 0.5 + 1, e 162 + 180.5, d 0.5 + 1, a 0.5 + 0.5.
    static let square: [ClientUpdate] = [
        S.update("b", [1, 0]), S.update("c", [0, 1]), S.update("e", [10, 10]),
        S.update("d", [1, 1]), S.update("a", [0.5, 0.5]),
    ]

    @Test("pairwise squared distances and scores by hand")
    func scores() {
        let deltas = Self.square.map(\.delta)
        let distances = AggregationMath.pairwiseSquaredDistances(deltas)
        #expect(distances[0] == [0, 2, 181, 1, 0.5])
        #expect(distances[4] == [0.5, 0.5, 180.5, 0.5, 0])
        #expect((0..<5).allSatisfy { i in (0..<5).allSatisfy { distances[i][$0] == distances[$0][i] } })
        #expect(AggregationMath.krumScores(deltas, byzantine: 1) == [1.5, 1.5, 342.5, 1.5, 1])
    }

    @Test("Krum returns the lowest-scored update, wherever it is in the order")
    func krum() {
        var strategy = Krum(byzantine: 1)
        let aggregate = strategy.combine(Self.square)
        #expect(aggregate == Tensor([0.5, 0.5]))
        #expect(Krum.selectedHospital(Self.square, byzantine: 1) == "a")
        var global = Tensor([1, 1])
        strategy.apply(aggregate, to: &global)
        #expect(global == Tensor([1.5, 1.5]))
        #expect(strategy.combination == .robust && strategy.name == "krum:1")
    }

    @Test("Multi-Krum averages the m lowest scores, unweighted; equal scores go to the lowest index")
    func multiKrum() {
        // Scores b 1.5, c 1.5, e 342.5, d 1.5, a 1: m = 2 takes a, then b (first of the three at 1.5):
        // ([0.5, 0.5] + [1, 0]) / 2.
        let two = MultiKrum(byzantine: 1, selected: 2)
        #expect(two.combine(Self.square) == Tensor([0.75, 0.25]))
        #expect(MultiKrum.selectedHospitals(Self.square, byzantine: 1, selecting: 2) == ["a", "b"])
        #expect(MultiKrum.selectedHospitals(Self.square, byzantine: 1, selecting: 4) == ["a", "b", "c", "d"])
        // Sample counts do not weigh in.
        var weighted = Self.square
        weighted[0].sampleCount = 1000
        #expect(two.combine(weighted) == Tensor([0.75, 0.25]))
        #expect(two.name == "multikrum:1:2" && two.combination == .robust)
    }

    @Test("Multi-Krum with m = 1 is Krum; m > n averages all n")
    func multiKrumLimits() {
        let deltas = Self.square.map(\.delta)
        #expect(AggregationMath.multiKrum(deltas, byzantine: 1, selecting: 1)
                == AggregationMath.krum(deltas, byzantine: 1))
        // All five: ([1, 0] + [0, 1] + [10, 10] + [1, 1] + [0.5, 0.5]) / 5.
        #expect(S.close(AggregationMath.multiKrum(deltas, byzantine: 1, selecting: 9), [2.5, 2.5]))
    }

    @Test("neighbour count n − f − 2, at least 1 below n = 2f + 3, at most n − 1")
    func neighbourCount() {
        #expect(AggregationMath.krumNeighbourCount(updates: 5, byzantine: 1) == 2)
        #expect(AggregationMath.krumNeighbourCount(updates: 7, byzantine: 2) == 3)
        #expect(AggregationMath.krumNeighbourCount(updates: 3, byzantine: 1) == 1)
        #expect(AggregationMath.krumNeighbourCount(updates: 2, byzantine: 5) == 1)
        #expect(AggregationMath.krumNeighbourCount(updates: 1, byzantine: 0) == 0)
        #expect(AggregationMath.krumNeighbourCount(updates: 4, byzantine: 0) == 2)
    }

    @Test("fewer updates than the guarantee needs still give an answer: n = 1, n = 2, n = 3 with f = 1")
    func smallCounts() {
        #expect(AggregationMath.krum([Tensor([4, 2])], byzantine: 1) == Tensor([4, 2]))
        #expect(AggregationMath.krum([Tensor([4, 2]), Tensor([0, 0])], byzantine: 1) == Tensor([4, 2]))  // tie: index 0
        // n = 3, 1 neighbour: [0, 0] and [1, 0] are each other's nearest (score 1); [9, 9] scores 145.
        let three = [Tensor([9, 9]), Tensor([1, 0]), Tensor([0, 0])]
        #expect(AggregationMath.krumScores(three, byzantine: 1) == [145, 1, 1])
        #expect(AggregationMath.krum(three, byzantine: 1) == Tensor([1, 0]))
    }

    @Test("distances between close, large updates are exact (no ‖a‖² + ‖b‖² − 2a·b cancellation in Float32)")
    func stableDistance() {
        let a = Tensor([1000, 1000, 1000, 1000])
        let b = Tensor([1000.0625, 1000, 1000, 1000])  // differ by 1/16 in one coordinate
        let distances = AggregationMath.pairwiseSquaredDistances([a, b])
        #expect(distances[0][1] == 0.00390625)
        // The expansion in Float32 loses it entirely: ‖a‖² = 4·10⁶ has a spacing of 0.25.
        let expanded = Float(a.squaredNorm()) + Float(b.squaredNorm()) - 2 * Float(a.dot(b))
        #expect(abs(Double(expanded) - 0.00390625) > 0.001)
    }

    @Test("Krum picks an honest update when one hospital sends a huge one")
    func honestCluster() {
        let krum = Krum(byzantine: 1).combine(S.attacked)
        #expect(S.honest(krum))
        #expect(Krum.selectedHospital(S.attacked, byzantine: 1) != "malicious")
        let multi = MultiKrum(byzantine: 1, selected: 4)
        #expect(S.honest(multi.combine(S.attacked)))
        #expect(!MultiKrum.selectedHospitals(S.attacked, byzantine: 1, selecting: 4).contains("malicious"))
    }
}
