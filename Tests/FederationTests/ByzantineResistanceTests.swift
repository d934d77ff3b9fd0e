import Testing
import TensorCore
@testable import Federation

/// One malicious hospital sends 10⁶ in every coordinate beside four honest ones near 1.
@Suite("One malicious hospital among five")
struct ByzantineResistanceTests {
    typealias S = StrategyTestSupport

    @Test("FedAvg is dragged to about 2·10⁵")
    func fedAvgDragged() {
        let mean = FedAvg().combine(S.attacked)
        #expect(mean.scalars.allSatisfy { $0 > 1.9e5 })
    }

    @Test("the median stays in the honest range")
    func median() {
        #expect(S.honest(CoordinateMedian().combine(S.attacked)))
    }

    @Test("the 0.2-trimmed mean stays in the honest range; the 0.1-trimmed mean (⌊0.5⌋ = 0 trimmed) does not")
    func trimmed() {
        #expect(S.honest(TrimmedMean(beta: 0.2).combine(S.attacked)))
        #expect(!S.honest(TrimmedMean(beta: 0.1).combine(S.attacked)))
    }

    @Test("norm bounding limits the pull to M/n per coordinate scale")
    func normBounding() {
        // Honest norms ≈ 2.01 stay; the malicious update becomes [1.5, 1.5, 1.5, 1.5] (norm 3):
        // each coordinate is within (4·[0.9, 1.1] + 1.5)/5.
        let bounded = NormBounding(maxNorm: 3).combine(S.attacked)
        #expect(bounded.scalars.allSatisfy { $0 >= (4 * 0.9 + 1.5) / 5 - 1e-6 && $0 <= (4 * 1.1 + 1.5) / 5 + 1e-6 })
        #expect(NormBounding.clippedHospitals(S.attacked, maxNorm: 3) == ["malicious"])
    }

    @Test("the robust rules are marked robust, the means are marked mean")
    func combinationKinds() {
        let robust: [any Strategy] = [CoordinateMedian(), TrimmedMean(beta: 0.2), Krum(byzantine: 1),
                                      MultiKrum(byzantine: 1, selected: 3)]
        let means: [any Strategy] = [FedAvg(), FedProx(proximalMu: 0.1), FedOpt(.adam), FedOpt(.yogi),
                                     FedOpt(.adagrad), NormBounding(maxNorm: 1)]
        #expect(robust.allSatisfy { $0.combination == .robust })
        #expect(means.allSatisfy { $0.combination == .mean })
    }
}
