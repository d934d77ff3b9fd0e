import Foundation
import Privacy
import SecureAggregation
import TensorCore
import Testing
@testable import Federation

@Suite("Federated dropout in the engine")
struct FederatedDropoutTests {
    /// Runs `rounds` rounds on a fresh WDBC fixture and returns the outcome, the events and the model after.
    func run(keep: Double?, rounds: Int = 1, privacy: PrivacyMode = .sample, secure: SecureAggregationSettings? = nil,
             strategy: any Strategy = MeanStrategy(), hospitals: Int = 3) throws -> (RunOutcome, [EngineEvent], before: Tensor, after: Tensor) {
        let fixture = try FederationFixture(hospitals: hospitals, privacy: privacy.sampleLevel)
        var configuration = fixture.configuration(rounds: rounds, privacy: privacy)
        configuration.federatedDropout = keep
        configuration.secureAggregation = secure
        let engine = try Engine(configuration: configuration, model: fixture.model, hospitals: fixture.hospitals, strategy: strategy)
        let (outcome, events) = FederationFixture.run(engine)
        return (outcome, events, fixture.model.parameters, engine.model.parameters)
    }

    /// Round `round`'s sub-model, as the engine of ``run`` draws it.
    func subModel(keep: Double, round: Int = 1) throws -> SubModel {
        let fixture = try FederationFixture(hospitals: 1, privacy: false)
        return try #require(try FederatedDropout(keep: keep, seed: fixture.configuration().seed).subModel(of: fixture.model, round: round))
    }

    /// Indices where two vectors differ.
    func moved(_ a: Tensor, _ b: Tensor) -> Set<Int> {
        Set((0..<a.count).filter { a[flat: $0] != b[flat: $0] })
    }

    @Test("a round sends and receives only the sub-model: the dropped units do not move, the kept ones do, and the bytes are 4 per parameter each way")
    func droppedUnitsStayPut() throws {
        let (outcome, events, before, after) = try run(keep: 0.5)
        #expect(outcome == .finished)
        let sub = try subModel(keep: 0.5)
        let kept = Set(sub.indices.map(Int.init))
        let changed = moved(before, after)
        #expect(changed.isSubset(of: kept), "\(changed.subtracting(kept).count) dropped coordinates moved")
        #expect(changed.count > kept.count / 2, "only \(changed.count) of \(kept.count) kept coordinates moved")
        let started = events.compactMap { if case .roundStarted(_, let s) = $0.kind { return s } else { return nil } }
        #expect(started.first?.subModel == sub.mask)
        let c = try #require(events.summaries.first?.communication)
        #expect(c.parameters == sub.indices.count && c.fullParameters == before.count)
        #expect(c.bytesDown == 4 * c.parameters * 3 && c.bytesUp == 4 * c.parameters * 3)
        #expect(abs(c.keptFraction - sub.parameterFraction) < 1e-12 && c.keptFraction < 0.6)
        // A different round draws a different mask.
        #expect(try subModel(keep: 0.5, round: 2).mask != sub.mask)
    }

    @Test("without federated dropout (or keeping everything) every round trains the full model")
    func fullModel() throws {
        for keep in [nil, 1.0] {
            let (outcome, events, before, _) = try run(keep: keep)
            #expect(outcome == .finished)
            let c = try #require(events.summaries.first?.communication)
            #expect(c.parameters == before.count && c.keptFraction == 1)
        }
    }

    @Test("sample-level DP: each hospital's ε is the same with and without federated dropout (the sub-model's gradient is clipped and noised as a whole)")
    func accountingUnchanged() throws {
        let plain = try run(keep: nil, rounds: 2).1.summaries.last?.hospitalEpsilon
        let dropout = try run(keep: 0.5, rounds: 2).1.summaries.last?.hospitalEpsilon
        #expect(plain != nil && plain == dropout)
    }

    @Test("client-level DP: the federation pays the same ε per round, and the dropped units stay put under the noise")
    func clientLevel() throws {
        func clientRun(keep: Double?) throws -> (RunOutcome, [EngineEvent], Tensor, Tensor) {
            let fixture = try FederationFixture(hospitals: 3, privacy: false)
            let ledger = try PrivacyLedger(path: fixture.directory + "/federation.ledger", budget: (100, 1e-5),
                                           seal: try LedgerSeal.loadOrCreate(directory: fixture.directory + ".fseal", name: "federation"))
            let dp = try DPFedAvg(wrapping: MeanStrategy(), mechanism: try ClientLevelDP(noiseMultiplier: 0.5, clipNorm: 1, expectedParticipants: 3),
                                  sampleRate: 1, noiseSeed: 1)
            var configuration = fixture.configuration(rounds: 2, privacy: .client, budget: 100, selection: .rate(1))
            configuration.federatedDropout = keep
            let engine = try Engine(configuration: configuration, model: fixture.model, hospitals: fixture.hospitals, strategy: dp,
                                    federationLedger: ledger)
            let (outcome, events) = FederationFixture.run(engine)
            return (outcome, events, fixture.model.parameters, engine.model.parameters)
        }
        let plain = try clientRun(keep: nil), dropout = try clientRun(keep: 0.5)
        #expect(plain.0 == .finished && dropout.0 == .finished)
        let e1 = try #require(plain.1.summaries.last?.federationEpsilon), e2 = try #require(dropout.1.summaries.last?.federationEpsilon)
        #expect(e1 == e2)
        let kept = Set(try subModel(keep: 0.5).indices.map(Int.init)).union(try subModel(keep: 0.5, round: 2).indices.map(Int.init))
        let changed = moved(dropout.2, dropout.3)
        #expect(changed.isSubset(of: kept) && changed.count < dropout.2.count)
    }

    @Test("with secure aggregation the sub-model's sum is the plain sum (within the quantisation bound), and the dropped units stay put in both")
    func secureAggregation() throws {
        let secure = SecureAggregationSettings(bits: 24, clipRange: 4, phaseTimeout: 30)
        let plain = try run(keep: 0.5, privacy: .off)
        let masked = try run(keep: 0.5, privacy: .off, secure: secure)
        #expect(plain.0 == .finished && masked.0 == .finished)
        let kept = Set(try subModel(keep: 0.5).indices.map(Int.init))
        #expect(moved(plain.before, plain.after).isSubset(of: kept))
        #expect(moved(masked.before, masked.after).isSubset(of: kept))
        let q = try Quantizer(clipRange: 4, bits: 24)
        var worst: Float = 0
        for i in 0..<plain.after.count { worst = max(worst, abs(plain.after[flat: i] - masked.after[flat: i])) }
        #expect(worst <= Float(3 / q.scale) + 1e-5, "largest difference \(worst)")
        let c = try #require(masked.1.summaries.first?.communication)
        #expect(c.parameters == kept.count)
    }

    @Test("robust strategies combine sub-model updates coordinate by coordinate", arguments: ["median", "trimmed:0.2", "krum:1"])
    func robust(name: String) throws {
        let (outcome, _, before, after) = try run(keep: 0.5, strategy: try StrategyParser.parse(name), hospitals: 5)
        #expect(outcome == .finished)
        let kept = Set(try subModel(keep: 0.5).indices.map(Int.init))
        let changed = moved(before, after)
        #expect(changed.isSubset(of: kept) && !changed.isEmpty)
    }

    @Test("FedAdam and FedYogi: a unit dropped in round 2 keeps its round-1 value and its moments; the kept ones move", arguments: ["fedadam", "fedyogi"])
    func adaptiveServer(name: String) throws {
        func engine(rounds: Int) throws -> Engine {
            let fixture = try FederationFixture(hospitals: 3, privacy: false)
            var configuration = fixture.configuration(rounds: rounds, privacy: .off)
            configuration.federatedDropout = 0.5
            let engine = try Engine(configuration: configuration, model: fixture.model, hospitals: fixture.hospitals,
                                    strategy: try StrategyParser.parse(name))
            #expect(FederationFixture.run(engine).0 == .finished)
            return engine
        }
        let one = try engine(rounds: 1), two = try engine(rounds: 2)
        let kept2 = Set(try subModel(keep: 0.5, round: 2).indices.map(Int.init))
        let dropped2 = (0..<one.model.parameterCount).filter { !kept2.contains($0) }
        let kept1 = Set(try subModel(keep: 0.5, round: 1).indices.map(Int.init))
        // Coordinates trained in round 1 and dropped in round 2 have moments ≠ 0: an unrestricted step would move them.
        #expect(dropped2.contains { kept1.contains($0) })
        for i in dropped2 { #expect(two.model.parameters[flat: i] == one.model.parameters[flat: i], "parameter \(i)") }
        for key in ["server.fedopt.m", "server.fedopt.v"] {
            let m1 = try #require(one.strategy.serverState[key]), m2 = try #require(two.strategy.serverState[key])
            for i in dropped2 { #expect(m2[flat: i] == m1[flat: i], "\(key)[\(i)]") }
        }
        #expect(moved(one.model.parameters, two.model.parameters).isSubset(of: kept2))
    }

    @Test("a hospital refuses a mask that does not fit its model, or a model that does not fit the mask, before any record is touched or ε spent")
    func hospitalRefuses() throws {
        let fixture = try FederationFixture(hospitals: 1)
        let hospital = fixture.hospitals[0]
        let model = fixture.model
        var settings = RoundSettings(round: 1, localEpochs: 1, batchSize: 32, learningRate: 0.1, momentum: 0,
                                     samplePrivacy: .init(noiseMultiplier: 1, clipNorm: 1))
        let good = SubModelMask.random(for: model, keep: 0.5, seed: 1)
        let bad: [SubModelMask] = [SubModelMask(keptUnits: [[0, 64]]), SubModelMask(keptUnits: [[3, 1]]), SubModelMask(keptUnits: [[]]),
                                   SubModelMask(keptUnits: [[0], [1]]),
                                   SubModelMask(keptUnits: Array(repeating: [0], count: SubModelMask.maxLayers + 1))]
        for mask in bad {
            settings.subModel = mask
            #expect(throws: HospitalError.self) { try hospital.train(globalModel: model.parameters, settings: settings) { _ in } }
        }
        // The full model's parameters sent with a sub-model's mask.
        settings.subModel = good
        #expect(throws: HospitalError.self) { try hospital.train(globalModel: model.parameters, settings: settings) { _ in } }
        #expect(hospital.epsilonSpent == 0)
        // And the right size trains, returning an update of the sub-model's size.
        let sub = try model.subModel(good)
        let update = try hospital.train(globalModel: sub.model.parameters, settings: settings) { _ in }
        #expect(update.delta.count == sub.indices.count && hospital.epsilonSpent > 0)
    }

    @Test("round figures from a recording are shown only when sane")
    func communicationBounds() {
        var c = RoundCommunication(parameters: 10, fullParameters: 20, selected: 2, delivered: 1)
        #expect(c.problem == nil && c.bytesDown == 80 && c.bytesUp == 40 && c.keptFraction == 0.5)
        c.bytesUp = Int.max
        #expect(c.problem != nil)
        c = RoundCommunication(parameters: 30, fullParameters: 20, selected: 2, delivered: 1)
        #expect(c.problem != nil)
    }
}
