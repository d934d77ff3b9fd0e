import Testing
import TensorCore
@testable import Federation

@Suite("Strategy parser")
struct StrategyParserTests {
    static let strategies: [any Strategy] = [
        FedAvg(), FedAvg(serverLearningRate: 0.5), FedProx(proximalMu: 0.01), FedProx(proximalMu: 0),
        FedOpt(.adam), FedOpt(.yogi), FedOpt(.adagrad), FedOpt(.adam, serverLearningRate: 0.1),
        FedOpt(.yogi, serverLearningRate: 0.02, tau: 1e-4),
        FedOpt(.adagrad, serverLearningRate: 0.1, beta1: 0, beta2: 0.5, tau: 1e-2),
        CoordinateMedian(), TrimmedMean(beta: 0.2), TrimmedMean(beta: 0), Krum(byzantine: 1),
        MultiKrum(byzantine: 2, selected: 3), NormBounding(maxNorm: 1.5), NormBounding(maxNorm: 1e-7),
    ]

    @Test("every strategy's name parses back to the same name, type and settings", arguments: strategies.indices)
    func roundTrip(_ index: Int) throws {
        let strategy = Self.strategies[index]
        let parsed = try StrategyParser.parse(strategy.name)
        #expect(parsed.name == strategy.name)
        #expect(type(of: parsed) == type(of: strategy))
        #expect(parsed.proximalMu == strategy.proximalMu && parsed.combination == strategy.combination)
        // Same settings: the two combine a fixed set of updates and step the same way.
        var a: any Strategy = parsed, b: any Strategy = strategy
        var ga = Tensor([1, 2, 3, 4]), gb = ga
        a.apply(a.combine(StrategyTestSupport.five), to: &ga)
        b.apply(b.combine(StrategyTestSupport.five), to: &gb)
        #expect(ga == gb)
    }

    @Test("the forms of the brief parse to the expected settings")
    func forms() throws {
        #expect(try StrategyParser.parse("fedavg") is FedAvg)
        #expect((try StrategyParser.parse("fedprox:0.1") as? FedProx)?.proximalMu == 0.1)
        #expect((try StrategyParser.parse("fedadam") as? FedOpt)?.variant == .adam)
        #expect((try StrategyParser.parse("fedyogi") as? FedOpt)?.variant == .yogi)
        let adagrad = try #require(try StrategyParser.parse("fedadagrad") as? FedOpt)
        #expect(adagrad.variant == .adagrad && adagrad.serverLearningRate == 0.01 && adagrad.beta1 == 0.9
                && adagrad.beta2 == 0.99 && adagrad.tau == 1e-3)
        #expect(try StrategyParser.parse("median") is CoordinateMedian)
        #expect((try StrategyParser.parse("trimmed:0.2") as? TrimmedMean)?.beta == 0.2)
        #expect((try StrategyParser.parse("krum:2") as? Krum)?.byzantine == 2)
        let multi = try #require(try StrategyParser.parse("multikrum:1:3") as? MultiKrum)
        #expect(multi.byzantine == 1 && multi.selected == 3)
        #expect((try StrategyParser.parse("normbound:2.5") as? NormBounding)?.maxNorm == 2.5)
        #expect(try StrategyParser.parse("FedAvg").name == "fedavg")
    }

    @Test("an unknown strategy is named in the error, with the accepted forms")
    func unknown() {
        #expect(throws: StrategyParseError.unknownStrategy("fedsgd")) { try StrategyParser.parse("fedsgd") }
        #expect(throws: StrategyParseError.unknownStrategy("")) { try StrategyParser.parse("") }
        let message = StrategyParseError.unknownStrategy("fedsgd").description
        #expect(message.contains("'fedsgd'") && message.contains(StrategyParseError.acceptedForms))
        #expect(message.contains("trimmed:BETA") && message.contains("multikrum:F:M"))
    }

    @Test("a wrong number of values names the form the strategy takes",
          arguments: [("krum", "krum:F"), ("median:1", "median"), ("trimmed", "trimmed:BETA"),
                      ("multikrum:1", "multikrum:F:M"), ("fedprox", "fedprox:MU"), ("fedavg:1:2", "fedavg[:ETA]"),
                      ("fedadam:0.1:0.001:0.9", "fedadam[:ETA[:TAU[:BETA1:BETA2]]]"), ("normbound:1:2", "normbound:M")])
    func wrongCount(_ text: String, _ form: String) {
        #expect(throws: StrategyParseError.wrongParameterCount(text: text, form: form)) { try StrategyParser.parse(text) }
    }

    @Test("a bad value is named with its range",
          arguments: [("trimmed:0.5", "BETA", "0.5"), ("trimmed:-0.1", "BETA", "-0.1"), ("krum:-1", "F", "-1"),
                      ("krum:1.5", "F", "1.5"), ("multikrum:1:0", "M", "0"), ("fedprox:-1", "proximal MU", "-1"),
                      ("fedprox:nan", "proximal MU", "nan"), ("normbound:0", "norm bound M", "0"),
                      ("normbound:inf", "norm bound M", "inf"), ("fedavg:0", "server learning rate ETA", "0"),
                      ("fedyogi:0.1:0", "TAU", "0"), ("fedadam:0.1:0.001:1:0.99", "BETA1", "1"),
                      ("trimmed:abc", "BETA", "abc"), ("trimmed:", "BETA", "")])
    func badValue(_ text: String, _ parameter: String, _ value: String) throws {
        let error = try #require(throws: StrategyParseError.self) { try StrategyParser.parse(text) }
        guard case let .invalidValue(errorText, errorParameter, errorValue, _) = error else {
            Issue.record("expected invalidValue, got \(error)")
            return
        }
        #expect(errorText == text && errorParameter == parameter && errorValue == value)
        #expect(error.description.contains("'\(value)'") && error.description.contains(StrategyParseError.acceptedForms))
    }
}
