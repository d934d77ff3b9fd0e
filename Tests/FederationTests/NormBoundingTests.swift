import Testing
import TensorCore
@testable import Federation

@Suite("Norm bounding (Sun et al. 2019)")
struct NormBoundingTests {
    typealias S = StrategyTestSupport

    @Test("updates longer than M are scaled to norm M, then averaged with sample weights")
    func clipThenAverage() {
        // [3, 4] (norm 5) → [0.6, 0.8]; [0.3, 0.4] unchanged; weights 1 and 3:
        // (0.6 + 3·0.3)/4 = 0.375, (0.8 + 3·0.4)/4 = 0.5.
        let updates = [S.update("long", [3, 4], samples: 1), S.update("short", [0.3, 0.4], samples: 3)]
        let strategy = NormBounding(maxNorm: 1)
        #expect(S.close(strategy.combine(updates), [0.375, 0.5]))
        #expect(NormBounding.clippedHospitals(updates, maxNorm: 1) == ["long"])
    }

    @Test("with every update within M it is FedAvg")
    func noClipping() {
        #expect(NormBounding(maxNorm: 100).combine(S.three) == FedAvg().combine(S.three))
        #expect(NormBounding.clippedHospitals(S.three, maxNorm: 100).isEmpty)
    }

    @Test("a mean of clipped updates, named normbound:M")
    func kind() {
        let strategy = NormBounding(maxNorm: 1.5)
        #expect(strategy.combination == .mean && strategy.name == "normbound:1.5")
    }
}
