@testable import Federation
import Foundation
import TensorCore
import Testing

/// A run that blows up (every update refused, non-finite or exploding losses) must never end
/// "finished": headless it stops with ``RunOutcome/diverged``, on a console it pauses, and in both the
/// global model is the last good one.
@Suite("Divergence guard", .serialized)
struct DivergenceGuardTests {
    @Test("the verdicts: non-finite and exploding losses diverge, chance-level noise does not")
    func verdicts() {
        var g = DivergenceGuard(classes: 2)
        #expect(abs(g.chanceLoss - log(2)) < 1e-12)
        #expect(g.verdict(trainLoss: 0.9, evalLoss: 0.7) == nil)
        #expect(g.verdict(trainLoss: 3.0, evalLoss: 2.5) == nil)  // noisy, but not 10× chance
        #expect(g.verdict(trainLoss: .nan, evalLoss: 0.6)?.contains("not finite") == true)
        #expect(g.verdict(trainLoss: 0.5, evalLoss: .infinity)?.contains("not finite") == true)
        #expect(g.verdict(trainLoss: 0.5, evalLoss: 5_522)?.contains("exploded") == true)
        #expect(g.verdict(trainLoss: 3e14, evalLoss: 1)?.contains("training loss exploded") == true)
        let seven = DivergenceGuard(classes: 7)
        #expect(abs(seven.explosionThreshold - 10 * log(7)) < 1e-9)
        var below = seven, above = seven
        #expect(below.verdict(trainLoss: nil, evalLoss: 19) == nil)
        #expect(above.verdict(trainLoss: nil, evalLoss: 20) != nil)
        // The limit follows the best loss seen when that is above chance (a model still finding its feet).
        #expect(below.explosionThreshold == 190)
        #expect(DivergenceGuard.allRejected(answered: 3, rejected: 3) != nil)
        #expect(DivergenceGuard.allRejected(answered: 3, rejected: 2) == nil)
        #expect(DivergenceGuard.allRejected(answered: 0, rejected: 0) == nil)  // nobody answered: a failed round, not divergence
    }

    @Test("every hospital sends NaN: the first round diverges, the run stops with .diverged, the model is untouched")
    func allRejectedStops() throws {
        let f = try FederationFixture(hospitals: 3, privacy: false)
        for h in f.hospitals { h.attack = UpdateForgery(.nan) }
        let engine = try Engine(configuration: f.configuration(rounds: 4, privacy: .off), model: f.model,
                                hospitals: f.hospitals, strategy: MeanStrategy())
        let (outcome, events) = FederationFixture.run(engine)
        #expect(outcome == .diverged)
        #expect(events.summaries.isEmpty)
        let failures = events.compactMap { if case .roundFailed(let r) = $0.kind { r } else { nil } }
        #expect(failures.count == 1 && failures[0].hasPrefix("diverged: every update this round (3 of 3)"), "\(failures)")
        #expect(engine.globalModel.parameters == f.model.parameters)
        #expect(!events.contains { if case .runFinished(.finished) = $0.kind { true } else { false } })
    }

    @Test("an exploding learning rate: stopped with .diverged and the last good model, never finished")
    func explodingStops() throws {
        let f = try FederationFixture(hospitals: 3, privacy: false)
        var configuration = f.configuration(rounds: 6, privacy: .off)
        configuration.learningRate = 5_000
        let engine = try Engine(configuration: configuration, model: f.model, hospitals: f.hospitals, strategy: MeanStrategy())
        let (outcome, events) = FederationFixture.run(engine)
        #expect(outcome == .diverged)
        #expect(events.summaries.count < 6)
        #expect(engine.globalModel.parameters.isFinite)
        let failure = events.compactMap { if case .roundFailed(let r) = $0.kind { r } else { nil } }.last
        #expect(failure?.hasPrefix("diverged: ") == true, "\(String(describing: failure))")
    }

    @Test("on a console the diverging run pauses with a warning, and the operator can still stop it")
    func consolePauses() throws {
        let f = try FederationFixture(hospitals: 3, privacy: false)
        for h in f.hospitals { h.attack = UpdateForgery(.infinity) }
        let engine = try Engine(configuration: f.configuration(rounds: 4, privacy: .off), model: f.model,
                                hospitals: f.hospitals, strategy: MeanStrategy())
        let subscription = engine.bus.subscribe(capacity: 100_000)
        engine.start(onDivergence: .pause)
        var events: [EngineEvent] = []
        while let e = subscription.next() {
            events.append(e)
            if case .phaseChanged(.paused) = e.kind { break }
        }
        #expect(events.contains { if case .warning(let w) = $0.kind { w.contains("diverged in round 1") && w.contains("paused") } else { false } })
        #expect(engine.phase == .paused)
        engine.send(.stop)
        #expect(engine.wait() == .stopped)
        #expect(engine.globalModel.parameters == f.model.parameters)
    }

    @Test("a console run that diverges in its last round ends .diverged, not finished")
    func lastRoundOnConsole() throws {
        let f = try FederationFixture(hospitals: 3, privacy: false)
        for h in f.hospitals { h.attack = UpdateForgery(.nan) }
        let engine = try Engine(configuration: f.configuration(rounds: 1, privacy: .off), model: f.model,
                                hospitals: f.hospitals, strategy: MeanStrategy())
        engine.start(onDivergence: .pause)
        #expect(engine.wait() == .diverged)
    }

    @Test("one forged update alone in its round is a failed round, not a diverged run")
    func singleAnswer() throws {
        let f = try FederationFixture(hospitals: 3, privacy: false)
        f.hospitals[0].attack = UpdateForgery(.nan)
        let engine = try Engine(configuration: f.configuration(rounds: 2, privacy: .off, selection: .count(1), quorum: 1),
                                model: f.model, hospitals: [f.hospitals[0]], strategy: MeanStrategy())
        let (outcome, _) = FederationFixture.run(engine)
        #expect(outcome == .failed)
    }

    @Test("FedAdam's moments are put back with the model when a round diverges")
    func serverStateRestored() throws {
        let f = try FederationFixture(hospitals: 3, privacy: false)
        var configuration = f.configuration(rounds: 3, privacy: .off)
        configuration.learningRate = 5_000
        let engine = try Engine(configuration: configuration, model: f.model, hospitals: f.hospitals,
                                strategy: try StrategyParser.parse("fedadam"))
        let (outcome, events) = FederationFixture.run(engine)
        #expect(outcome == .diverged)
        // Round 1 diverged (its aggregate explodes at once): the model and the moments are those of no round.
        #expect(events.summaries.isEmpty)
        #expect(engine.globalModel.parameters == f.model.parameters)
        #expect(engine.strategy.serverState == (try StrategyParser.parse("fedadam")).serverState)
    }
}
