import Datasets
import Federation
import Foundation
import Privacy
import Testing
import TensorCore

@Suite("Engine: rounds, the state machine and events")
struct EngineTests {
    @Test("three hospitals on WDBC: every round completes, the loss falls, phases follow the state machine")
    func roundsComplete() throws {
        let f = try FederationFixture()
        let engine = try Engine(configuration: f.configuration(rounds: 4), model: f.model, hospitals: f.hospitals,
                                strategy: MeanStrategy())
        let (outcome, events) = FederationFixture.run(engine)
        #expect(outcome == .finished)
        let s = events.summaries
        #expect(s.map(\.round) == [1, 2, 3, 4])
        #expect(s.allSatisfy { $0.aggregated == 3 && $0.evaluation != nil })
        #expect(s.last!.evaluation!.loss < s.first!.evaluation!.loss)
        #expect(s.last!.evaluation!.accuracy > 0.85)
        #expect(s.last!.evaluation!.auc! > 0.9)
        // One round's phases, in order.
        let phases = events.phases
        let firstRound = Array(phases.drop { $0 != .selecting }.prefix { $0 != .selecting || true }.prefix(9))
        #expect(firstRound.first == .selecting && firstRound.contains(.broadcasting) && firstRound.contains(.aggregating))
        let order: [RoundPhase] = [.selecting, .broadcasting, .training(reported: 0, selected: 3), .training(reported: 3, selected: 3),
                                   .collecting, .aggregating, .evaluating]
        var i = phases.startIndex
        for p in order {
            guard let j = phases[i...].firstIndex(of: p) else { Issue.record("phase \(p) missing"); break }
            i = j
        }
        #expect(phases.last == .finished)
        // ε rises round by round for every hospital and is never above the budget.
        let eps = s.map { $0.hospitalEpsilon["h1"]! }
        #expect(zip(eps, eps.dropFirst()).allSatisfy { $0 < $1 } && eps.last! <= 50)
        #expect(events.first.map { if case .runStarted = $0.kind { true } else { false } } == true)
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.time <= $1.time })
    }

    @Test("with a seed and seeded noise, two runs give the same per-round metrics")
    func deterministic() throws {
        func once() throws -> [RoundSummary] {
            let f = try FederationFixture()
            let engine = try Engine(configuration: f.configuration(rounds: 3), model: f.model, hospitals: f.hospitals,
                                    strategy: MeanStrategy())
            return FederationFixture.run(engine).1.summaries
        }
        let a = try once(), b = try once()
        #expect(a.count == 3)
        #expect(a.map(\.trainLoss) == b.map(\.trainLoss))
        #expect(a.map { $0.evaluation!.loss } == b.map { $0.evaluation!.loss })
        #expect(a.map(\.hospitalEpsilon) == b.map(\.hospitalEpsilon))
    }

    @Test("failed hospitals below the quorum fail the round cleanly: no aggregate, the model unchanged")
    func quorumFailure() throws {
        let broken = SimulationKnobs(failureProbability: 1)
        let f = try FederationFixture(knobs: [broken, broken])
        let engine = try Engine(configuration: f.configuration(rounds: 2, quorum: 2), model: f.model, hospitals: f.hospitals,
                                strategy: MeanStrategy())
        let (outcome, events) = FederationFixture.run(engine)
        #expect(outcome == .failed)
        #expect(events.summaries.isEmpty)
        #expect(events.filter { if case .roundFailed = $0.kind { true } else { false } }.count == 2)
        #expect(events.filter { if case .hospitalDropped(_, let r) = $0.kind { r.contains("simulated failure") } else { false } }.count == 4)
        #expect(engine.globalModel.parameters.scalars == f.model.parameters.scalars)
    }

    @Test("a straggler past the deadline is dropped and the round completes with the rest")
    func deadline() throws {
        // Generous margins so a loaded machine cannot make the honest hospitals miss the deadline.
        let f = try FederationFixture(knobs: [SimulationKnobs(stragglerDelay: 120)])
        let engine = try Engine(configuration: f.configuration(rounds: 1, quorum: 2, deadline: 25), model: f.model,
                                hospitals: f.hospitals, strategy: MeanStrategy())
        let (outcome, events) = FederationFixture.run(engine)
        let problems = events.compactMap { e -> String? in
            switch e.kind {
            case .roundFailed(let reason): "round failed: \(reason)"
            case let .hospitalDropped(h, reason): "\(h) dropped: \(reason)"
            case let .updateRejected(h, reason): "\(h) rejected: \(reason)"
            default: nil
            }
        }
        #expect(outcome == .finished, "\(problems)")
        #expect(events.summaries.first?.aggregated == 2, "\(problems)")
        #expect(events.contains { if case .hospitalDropped("h1", let r) = $0 { r.contains("deadline") } else { false } })
        // The straggler wrote its spend before "sending": over-reported, never lost.
        let reopened = try PrivacyLedger(path: f.directory + "/h1.ledger", budget: nil, seal: try LedgerSeal.loadOrCreate(directory: f.directory + ".seal", name: "h1"))
        #expect(reopened.spentEpsilon > 0)
    }

    @Test("an invalid update is rejected with its reason, never aggregated")
    func invalidUpdate() throws {
        let f = try FederationFixture(privacy: false)
        let bad = PoisonedHospital(name: "evil", parameterCount: f.model.parameterCount)
        let engine = try Engine(configuration: f.configuration(rounds: 1, privacy: .off, selection: .count(4), quorum: 3), model: f.model,
                                hospitals: f.hospitals + [bad], strategy: MeanStrategy())
        let (outcome, events) = FederationFixture.run(engine)
        #expect(outcome == .finished)
        #expect(events.contains { if case .updateRejected("evil", let r) = $0 { r.contains("non-finite") } else { false } })
        #expect(events.summaries.first?.aggregated == 3)
        #expect(engine.globalModel.parameters.isFinite)
    }

    @Test("an update that names another hospital is rejected")
    func impostor() throws {
        let f = try FederationFixture(privacy: false)
        let impostor = PoisonedHospital(name: "evil", parameterCount: f.model.parameterCount, claims: "h1")
        let engine = try Engine(configuration: f.configuration(rounds: 1, privacy: .off, selection: .count(4), quorum: 3),
                                model: f.model, hospitals: f.hospitals + [impostor], strategy: MeanStrategy())
        let (_, events) = FederationFixture.run(engine)
        #expect(events.contains { if case .updateRejected("evil", let r) = $0 { r.contains("came from evil") } else { false } })
        #expect(events.summaries.first?.aggregated == 3)
    }

    @Test("hospitals refuse past their budget and the run stops at it (outcome budget exhausted)")
    func budgetStops() throws {
        let f = try FederationFixture(budget: 1.0)
        let engine = try Engine(configuration: f.configuration(rounds: 50, sigma: 3.0, budget: 1.0), model: f.model,
                                hospitals: f.hospitals, strategy: MeanStrategy())
        let (outcome, events) = FederationFixture.run(engine)
        #expect(outcome == .budgetExhausted)
        #expect(events.contains { if case .hospitalBudgetExhausted = $0 { true } else { false } })
        #expect(events.phases.last == .budgetExhausted)
        for h in f.hospitals {
            let ledger = try PrivacyLedger(path: f.directory + "/\(h.name).ledger", budget: nil,
                                           seal: try LedgerSeal.loadOrCreate(directory: f.directory + ".seal", name: h.name))
            #expect(ledger.spentEpsilon <= 1.0 && ledger.spentEpsilon > 0.5)
        }
        #expect(events.summaries.count >= 1 && events.summaries.count < 50)
    }
}

/// A hospital that sends NaN: what validation must catch.
final class PoisonedHospital: Hospital, @unchecked Sendable {
    let name: String
    let location = HospitalLocation.remote(address: "test")
    let parameterCount: Int
    /// The name it puts on its update (another hospital's, to impersonate it), and whether it sends NaN.
    let claims: String?
    init(name: String, parameterCount: Int, claims: String? = nil) {
        self.name = name
        self.parameterCount = parameterCount
        self.claims = claims
    }
    func summary() throws(HospitalError) -> HospitalSummary {
        HospitalSummary(name: name, trainRecords: 10, testRecords: 0, classCounts: [5, 5], epsilonBudget: nil, delta: nil,
                        epsilonSpent: 0, secureNoise: true)
    }
    func train(globalModel: Tensor, settings: RoundSettings,
               progress: @escaping @Sendable (TrainingProgress) -> Void) throws(HospitalError) -> HospitalUpdate {
        var delta = Tensor(shape: [parameterCount])
        if claims == nil { delta.withUnsafeMutableBufferPointer { $0[0] = .nan } }
        return HospitalUpdate(hospital: claims ?? name, round: settings.round, delta: delta, sampleCount: 10, trainLoss: 0,
                              clippedFraction: 0, spend: nil, epsilonSpent: nil, secureNoise: true, seconds: 0)
    }
    func evaluate(globalModel: Tensor) throws(HospitalError) -> EvaluationMetrics {
        EvaluationMetrics(count: 0, loss: 0, accuracy: 0, auc: nil)
    }
    var status: HospitalStatus { .idle }
}

@Suite("Engine: commands at safe points")
struct EngineCommandTests {
    /// Waits until the subscription shows `phase`, collecting events.
    func waitFor(_ phase: RoundPhase, on s: EventSubscription, into events: inout [EngineEvent]) -> Bool {
        while let e = s.next(timeout: 60) {
            events.append(e)
            if case .phaseChanged(let p) = e.kind, p == phase { return true }
        }
        return false
    }

    @Test("pause holds before the next round, step runs exactly one, a σ change reaches the ledger as a new segment, stop ends")
    func pauseStepNoiseStop() throws {
        let f = try FederationFixture()
        let engine = try Engine(configuration: f.configuration(rounds: 20, sigma: 1.0), model: f.model, hospitals: f.hospitals,
                                strategy: MeanStrategy())
        let s = engine.bus.subscribe(capacity: 100_000)
        var events: [EngineEvent] = []
        engine.send(.pause)
        engine.start()
        var reached = waitFor(.paused, on: s, into: &events)
        #expect(reached)
        #expect(events.summaries.isEmpty)
        engine.send(.setSampleNoise(try SampleNoiseMultiplier(2.5)))
        engine.send(.step)
        reached = waitFor(.paused, on: s, into: &events)
        #expect(reached)
        #expect(events.summaries.map(\.round) == [1])
        #expect(events.summaries.first?.noiseMultiplier == 2.5)
        #expect(events.contains { if case .commandApplied(.setSampleNoise(let s), let effect) = $0, s.value == 2.5 { effect.contains("segment") } else { false } })
        engine.send(.setSampleNoise(try SampleNoiseMultiplier(1.5)))
        engine.send(.step)
        reached = waitFor(.paused, on: s, into: &events)
        #expect(reached)
        #expect(events.summaries.map(\.round) == [1, 2])
        engine.send(.resume)  // refused commands are answered too
        engine.send(.resume)
        engine.send(.stop)
        #expect(engine.wait() == .stopped)
        while let e = s.next() { events.append(e) }
        #expect(events.contains { if case .commandRefused(.resume, _) = $0 { true } else { false } })
        #expect(events.summaries.count < 20)
        // Each σ is its own segment in every hospital's ledger.
        let ledger = try String(contentsOfFile: f.directory + "/h1.ledger", encoding: .utf8)
        let spends = ledger.split(separator: "\n").filter { $0.hasPrefix("spend ") }.map { $0.split(separator: " ")[2] }
        #expect(spends.prefix(2) == ["2.5", "1.5"])
    }

    @Test("a live σ below a hospital's policy floor, or a C above its ceiling, is refused naming the hospital and the rule; σ and C stay")
    func liveChangesRespectPolicies() throws {
        let policy = HospitalPolicy(requiresDPSGD: true, minNoiseMultiplier: 0.8, maxClipNorm: 2, evaluationsPerRound: nil,
                                    minEvaluationRecords: 0)
        let f = try FederationFixture(policy: policy)
        let engine = try Engine(configuration: f.configuration(rounds: 5, sigma: 1.0), model: f.model, hospitals: f.hospitals,
                                strategy: MeanStrategy())
        let s = engine.bus.subscribe(capacity: 100_000)
        var events: [EngineEvent] = []
        engine.send(.pause)
        engine.start()
        #expect(waitFor(.paused, on: s, into: &events))
        engine.send(.setSampleNoise(try SampleNoiseMultiplier(0.5)))
        engine.send(.setSampleClip(try ClipNorm(3)))
        engine.send(.setSampleNoise(try SampleNoiseMultiplier(0.9)))
        engine.send(.step)
        #expect(waitFor(.paused, on: s, into: &events))
        engine.send(.stop)
        #expect(engine.wait() == .stopped)
        while let e = s.next() { events.append(e) }
        let refusals = events.compactMap { e -> String? in
            if case .commandRefused(_, let reason) = e.kind { return reason } else { return nil }
        }
        #expect(refusals.count == 2, "\(refusals)")
        #expect(refusals.first?.contains("h1 would refuse it") == true && refusals.first?.contains("floor 0.8") == true)
        #expect(refusals.last?.contains("clip norm C 3.0 is above the policy's maximum 2.0") == true)
        #expect(events.summaries.map(\.noiseMultiplier) == [0.9])
        #expect(events.summaries.allSatisfy { $0.aggregated == 3 })
    }

    @Test("dropped hospitals do not hold back a live σ; restoring one whose policy refuses the run's σ is refused")
    func droppedHospitalsAndPolicies() throws {
        let policy = HospitalPolicy(requiresDPSGD: true, minNoiseMultiplier: 0.8, evaluationsPerRound: nil, minEvaluationRecords: 0)
        let f = try FederationFixture(policy: policy)
        let engine = try Engine(configuration: f.configuration(rounds: 5, sigma: 1.0), model: f.model, hospitals: f.hospitals,
                                strategy: MeanStrategy())
        let s = engine.bus.subscribe(capacity: 100_000)
        var events: [EngineEvent] = []
        engine.send(.pause)
        engine.start()
        #expect(waitFor(.paused, on: s, into: &events))
        for h in ["h1", "h2", "h3"] { engine.send(.dropHospital(h)) }
        engine.send(.setSampleNoise(try SampleNoiseMultiplier(0.5)))
        engine.send(.restoreHospital("h1"))
        engine.send(.setSampleNoise(try SampleNoiseMultiplier(0.9)))
        engine.send(.restoreHospital("h2"))
        engine.send(.stop)
        #expect(engine.wait() == .stopped)
        while let e = s.next() { events.append(e) }
        let applied = events.compactMap { e -> EngineCommand? in if case .commandApplied(let c, _) = e.kind { c } else { nil } }
        let refused = events.compactMap { e -> (EngineCommand, String)? in if case .commandRefused(let c, let r) = e.kind { (c, r) } else { nil } }
        #expect(applied.contains(.setSampleNoise(try SampleNoiseMultiplier(0.5))), "\(applied)")
        #expect(refused.contains { $0.0 == .restoreHospital("h1") && $0.1.contains("floor 0.8") }, "\(refused)")
        #expect(applied.contains(.restoreHospital("h2")), "\(applied)")
    }

    @Test("drop and restore change who is selected; a malicious hospital flips its labels; unknown names are refused")
    func dropRestoreMalicious() throws {
        let f = try FederationFixture(privacy: false)
        let engine = try Engine(configuration: f.configuration(rounds: 3, privacy: .off, quorum: 1), model: f.model,
                                hospitals: f.hospitals, strategy: MeanStrategy())
        engine.send(.dropHospital("h2"))
        engine.send(.setMalicious("h3", true))
        engine.send(.dropHospital("nobody"))
        let (outcome, events) = FederationFixture.run(engine)
        #expect(outcome == .finished)
        let selected = events.compactMap { if case .roundStarted(let s, _) = $0.kind { s } else { nil } }
        #expect(selected.allSatisfy { !$0.contains("h2") })
        #expect(f.hospitals[2].isMalicious)
        #expect(events.contains { if case .commandRefused(.dropHospital("nobody"), _) = $0 { true } else { false } })
    }
}
