import Testing
import TensorCore
@testable import Federation

@Suite("FedAdam, FedYogi, FedAdagrad (Reddi et al. 2021, Algorithm 2)")
struct FedOptTests {
    typealias S = StrategyTestSupport
    static let delta = Tensor([0.1, -0.2, 0, 1])

    /// One server step from x = 0 with the defaults η = 0.01, β₁ = 0.9, β₂ = 0.99, τ = 10⁻³.
    func firstStep(_ variant: FedOpt.Variant) -> (strategy: FedOpt, global: Tensor) {
        var strategy = FedOpt(variant)
        var global = Tensor(shape: [4])
        strategy.apply(Self.delta, to: &global)
        return (strategy, global)
    }

    @Test("FedAdam's first step starts from v₀ = τ²: v = 0.99τ² + 0.01Δ², x = η·0.1Δ/(√v + τ)")
    func adamFirstStep() throws {
        let (strategy, lastGlobal) = firstStep(.adam)
        // Δ = 0.1: m = 0.01, v = 0.99e-6 + 1e-4 = 1.0099e-4, x = 1e-4 / (0.0100494… + 0.001) = 0.00905028…
        // (v₀ = 0 would give 1e-4 / 0.011 = 0.0090909: the test tells the two apart.)
        #expect(S.closeRelative(lastGlobal, [0.009050283119, -0.009512605168, 0, 0.009900504888]))
        let m = try #require(strategy.firstMoment), v = try #require(strategy.secondMoment)
        #expect(S.close(m, [0.01, -0.02, 0, 0.1], tolerance: 1e-8))
        #expect(S.closeRelative(v, [1.0099e-4, 4.0099e-4, 0.99e-6, 0.01000099]))
    }

    @Test("FedYogi's first step: v < Δ², so sign(v − Δ²) = −1 and v grows by (1 − β₂)Δ² without decay")
    func yogiFirstStep() throws {
        let (strategy, lastGlobal) = firstStep(.yogi)
        let v = try #require(strategy.secondMoment)
        // v = τ² + 0.01Δ²; where Δ = 0, v − Δ² > 0 but Δ² = 0, so v stays τ².
        #expect(S.closeRelative(v, [1.01e-4, 4.01e-4, 1e-6, 0.010001]))
        #expect(S.closeRelative(lastGlobal, [0.009049875621, -0.009512492197, 0, 0.009900499988]))
    }

    @Test("FedAdagrad's first step: v = τ² + Δ²")
    func adagradFirstStep() throws {
        let (strategy, lastGlobal) = firstStep(.adagrad)
        #expect(S.closeRelative(try #require(strategy.secondMoment), [0.010001, 0.040001, 1e-6, 1.000001]))
        #expect(S.closeRelative(lastGlobal, [0.0009900499988, -0.0009950124999, 0, 0.0009990005]))
    }

    @Test("Yogi's sign rule: v − (1 − β₂)Δ²·sign(v − Δ²) moves v towards Δ² by a step that ignores v's size")
    func yogiSignRule() {
        // v > Δ²: v falls by (1 − β₂)Δ² = 0.0025 (Adam would fall to 0.99 + 0.0025 = 0.9925).
        #expect(abs(FedOpt.updatedSecondMoment(.yogi, previous: 1, deltaSquared: 0.25, beta2: 0.99) - 0.9975) < 1e-15)
        #expect(abs(FedOpt.updatedSecondMoment(.adam, previous: 1, deltaSquared: 0.25, beta2: 0.99) - 0.9925) < 1e-15)
        // v < Δ²: v grows by (1 − β₂)Δ².
        #expect(abs(FedOpt.updatedSecondMoment(.yogi, previous: 0.1, deltaSquared: 0.25, beta2: 0.99) - 0.1025) < 1e-15)
        // v = Δ²: sign 0, v unchanged.
        #expect(FedOpt.updatedSecondMoment(.yogi, previous: 0.25, deltaSquared: 0.25, beta2: 0.99) == 0.25)
        // Adagrad only accumulates.
        #expect(FedOpt.updatedSecondMoment(.adagrad, previous: 1, deltaSquared: 0.25, beta2: 0.99) == 1.25)
    }

    @Test("moments are created on the first step with the model's size and carried to the next")
    func stateCarriesOver() throws {
        var strategy = FedOpt(.adam, serverLearningRate: 0.1)
        #expect(strategy.firstMoment == nil && strategy.secondMoment == nil)
        var global = Tensor([1, 2, 3, 4])
        let aggregate = strategy.combine(S.three)
        strategy.apply(aggregate, to: &global)
        strategy.apply(aggregate, to: &global)
        // The same two steps through the plain function.
        var m = Tensor(shape: [4]), v = Tensor(shape: [4], repeating: 1e-6), x = Tensor([1, 2, 3, 4])
        for _ in 0..<2 {
            FedOpt.step(.adam, aggregate: aggregate, firstMoment: &m, secondMoment: &v, global: &x,
                        serverLearningRate: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-3)
        }
        #expect(global == x)
        #expect(try #require(strategy.firstMoment) == m && (try #require(strategy.secondMoment)) == v)
        // Second step's m = 0.9·0.1Δ + 0.1Δ = 0.19Δ.
        #expect(S.close(m, [0.19 * 6.4, 0.19 * 2.6, 0.19 * 0.6, 0.19 * 2.8], tolerance: 1e-5))
    }

    @Test("names: the variant, then η, τ, β₁, β₂ only when they differ from the defaults")
    func names() {
        #expect(FedOpt(.adam).name == "fedadam")
        #expect(FedOpt(.yogi).name == "fedyogi")
        #expect(FedOpt(.adagrad).name == "fedadagrad")
        #expect(FedOpt(.yogi, serverLearningRate: 0.1).name == "fedyogi:0.1")
        #expect(FedOpt(.adam, tau: 1e-4).name == "fedadam:0.01:0.0001")
        #expect(FedOpt(.adagrad, beta1: 0).name == "fedadagrad:0.01:0.001:0.0:0.99")
        #expect(FedOpt(.adam).combination == .mean)
    }
}
