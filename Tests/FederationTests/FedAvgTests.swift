import Testing
import TensorCore
@testable import Federation

@Suite("FedAvg and FedProx")
struct FedAvgTests {
    typealias S = StrategyTestSupport

    @Test("FedAvg combines by sample-weighted mean and steps global += aggregate")
    func fedAvg() {
        var strategy = FedAvg()
        let aggregate = strategy.combine(S.three)
        #expect(S.close(aggregate, [6.4, 2.6, 0.6, 2.8]))
        var global = Tensor([1, 1, 1, 1])
        strategy.apply(aggregate, to: &global)
        #expect(S.close(global, [7.4, 3.6, 1.6, 3.8], tolerance: 1e-5))
        #expect(strategy.combination == .mean && strategy.proximalMu == 0 && strategy.name == "fedavg")
    }

    @Test("FedAvg's server learning rate scales the step: global += η·aggregate")
    func serverLearningRate() {
        var strategy = FedAvg(serverLearningRate: 0.5)
        var global = Tensor([0, 0, 0, 0])
        strategy.apply(Tensor([2, -4, 0, 1]), to: &global)
        #expect(global == Tensor([1, -2, 0, 0.5]))
        #expect(strategy.name == "fedavg:0.5")
    }

    @Test("FedProx aggregates like FedAvg and carries μ for the hospitals")
    func fedProx() {
        var strategy = FedProx(proximalMu: 0.01)
        let aggregate = strategy.combine(S.three)
        #expect(aggregate == FedAvg().combine(S.three))
        var global = Tensor([0, 0, 0, 0])
        strategy.apply(aggregate, to: &global)
        #expect(global == aggregate)
        let erased: any Strategy = strategy
        #expect(erased.proximalMu == 0.01 && erased.combination == .mean && erased.name == "fedprox:0.01")
    }
}
