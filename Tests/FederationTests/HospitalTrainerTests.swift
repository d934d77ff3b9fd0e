import Datasets
import Federation
import Foundation
import Privacy
import TensorCore
import Testing

/// The production hospital (``HospitalTrainer``) and its simulation wrapper (``LocalHospital``): the
/// trainer enforces its policy on training and evaluation alike, holds a budget change until the
/// start succeeds, and the wrapper only adds behaviour around the trainer's round.
@Suite("HospitalTrainer: the production hospital, and LocalHospital around it")
struct HospitalTrainerTests {
    struct Fixture {
        let directory: String
        let data: HospitalData
        let model: Sequential

        init(testFraction: Double = 0.2) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("fedtop-trainer-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let wdbc = try BuiltinDataset.named("wdbc")
            let share = try Partitioner.partition(wdbc, hospitals: 2, scheme: .iid, testFraction: testFraction, seed: 3)[0]
            let s = Standardizer.fit(share.train)
            data = HospitalData(train: s.apply(share.train), test: s.apply(share.test))
            model = try ModelZoo.mlp(inputShape: wdbc.featureShape, classes: 2, seed: 3)
        }

        func privacy(budget: Double = 5, raise: String? = nil) throws -> HospitalTrainer.Privacy {
            .init(ledgerPath: directory + "/ledgers/h.ledger", epsilonBudget: budget, delta: 1e-5, noiseSeed: 7,
                  seal: try LedgerSeal.loadOrCreate(directory: directory + "/seal", name: "h"), raiseReason: raise)
        }

        func trainer(policy: HospitalPolicy = HospitalPolicy(), budget: Double = 5, data: HospitalData? = nil,
                     adversarial: AdversarialTraining? = nil) throws -> HospitalTrainer {
            try FileManager.default.createDirectory(atPath: directory + "/ledgers", withIntermediateDirectories: true)
            return try HospitalTrainer(name: "h", data: data ?? self.data, architecture: model, privacy: privacy(budget: budget),
                                       policy: policy, seed: 9, gate: ComputeGate(slots: 1), adversarial: adversarial)
        }

        var ledgerBytes: Data { (try? Data(contentsOf: URL(fileURLWithPath: directory + "/ledgers/h.ledger"))) ?? Data() }

        func remove() { try? FileManager.default.removeItem(atPath: directory) }
    }

    static func settings(round: Int = 1, sigma: Double? = 1) -> RoundSettings {
        RoundSettings(round: round, localEpochs: 1, batchSize: 32, learningRate: 0.1, momentum: 0,
                      samplePrivacy: sigma.map { .init(noiseMultiplier: $0, clipNorm: 1) })
    }

    func isPolicyRefusal(_ error: HospitalError) -> Bool {
        if case .policyRefused = error { true } else { false }
    }

    @Test("the production default refuses a round without DP-SGD and below σ 0.5 before training; the ledger is untouched")
    func defaultPolicyRefusesBeforeTraining() throws {
        let f = try Fixture(); defer { f.remove() }
        let trainer = try f.trainer()
        let before = f.ledgerBytes
        for settings in [Self.settings(sigma: nil), Self.settings(sigma: 0.4)] {
            do {
                _ = try trainer.train(globalModel: f.model.parameters, settings: settings) { _ in Issue.record("trained") }
                Issue.record("a round against the policy was trained")
            } catch { #expect(isPolicyRefusal(error), "\(error)") }
        }
        #expect(f.ledgerBytes == before && trainer.epsilonSpent == 0 && trainer.status == .idle)
        let update = try trainer.train(globalModel: f.model.parameters, settings: Self.settings()) { _ in }
        #expect(update.epsilonSpent == trainer.epsilonSpent && trainer.epsilonSpent > 0)
    }

    @Test("attacker: a model with NaN or ∞ is refused for training and evaluation before any record is touched; the ledger is untouched")
    func nonFiniteModel() throws {
        let f = try Fixture(); defer { f.remove() }
        let trainer = try f.trainer()
        let before = f.ledgerBytes
        for bad in [Float.nan, .infinity, -.infinity] {
            var model = f.model.parameters
            model[flat: model.count / 2] = bad
            let poisoned = model
            #expect(throws: HospitalError.self) {
                _ = try trainer.train(globalModel: poisoned, settings: Self.settings()) { _ in Issue.record("trained") }
            }
            #expect(throws: HospitalError.self) { _ = try trainer.evaluate(globalModel: poisoned) }
        }
        #expect(f.ledgerBytes == before && trainer.epsilonSpent == 0 && trainer.status == .idle)
    }

    @Test("adversarial training inside DP-SGD: the ledger charges exactly what clean training charges; the update differs")
    func adversarialTrainingKeepsTheAccounting() throws {
        let clean = try Fixture(), robust = try Fixture(); defer { clean.remove(); robust.remove() }
        let a = try clean.trainer(), b = try robust.trainer(adversarial: AdversarialTraining(parsing: "pgd:0.3:3", ratio: 1))
        #expect(b.adversarial?.spec == "pgd:0.3:3")
        var model = clean.model.parameters
        for round in 1...2 {
            let u = try a.train(globalModel: model, settings: Self.settings(round: round)) { _ in }
            let v = try b.train(globalModel: model, settings: Self.settings(round: round)) { _ in }
            // The same Poisson batches and noise (seeded alike): only the examples differ.
            #expect(u.epsilonSpent == v.epsilonSpent && (u.epsilonSpent ?? 0) > 0)
            #expect(u.sampleCount == v.sampleCount && u.spend == v.spend && u.spend != nil)
            #expect(u.delta.scalars != v.delta.scalars, "adversarial examples changed nothing")
            model.add(u.delta, scaledBy: 1)
        }
        #expect(a.epsilonSpent == b.epsilonSpent)
        #expect(a.accountant?.segments == b.accountant?.segments)
    }

    @Test("evaluations: the policy's number per trained round, then refused until the next round; refused outright on a small test split")
    func evaluationRules() throws {
        let f = try Fixture(); defer { f.remove() }
        let trainer = try f.trainer(policy: HospitalPolicy(evaluationsPerRound: 2, minEvaluationRecords: 10))
        let model = f.model.parameters
        _ = try trainer.evaluate(globalModel: model)
        _ = try trainer.evaluate(globalModel: model)
        do { _ = try trainer.evaluate(globalModel: model); Issue.record("a third evaluation was answered") } catch {
            #expect(isPolicyRefusal(error) && error.description.contains("per trained round"), "\(error)")
        }
        _ = try trainer.train(globalModel: model, settings: Self.settings()) { _ in }
        let metrics = try trainer.evaluate(globalModel: model)
        #expect(metrics.count == f.data.test.count)
        _ = try trainer.evaluate(globalModel: model)
        #expect(throws: HospitalError.self) { try trainer.evaluate(globalModel: model) }

        // A test split below the minimum never reports metrics.
        let g = try Fixture(); defer { g.remove() }
        let tiny = HospitalData(train: g.data.train, test: g.data.test.subset(Array(0..<5)))
        let small = try g.trainer(policy: HospitalPolicy(minEvaluationRecords: 10), data: tiny)
        do { _ = try small.evaluate(globalModel: model); Issue.record("metrics on 5 records were reported") } catch {
            #expect(isPolicyRefusal(error) && error.description.contains("5 records"), "\(error)")
        }
        // "any" evaluations: no limit.
        let open = try g.trainer(policy: HospitalPolicy(evaluationsPerRound: nil, minEvaluationRecords: 0), data: tiny)
        for _ in 0..<5 { _ = try open.evaluate(globalModel: model) }
    }

    @Test("concurrent evaluations cannot overdraw the credit: of 8 at once, exactly the policy's 3 are answered")
    func evaluationCreditIsAtomic() throws {
        let f = try Fixture(); defer { f.remove() }
        let trainer = try f.trainer(policy: HospitalPolicy(evaluationsPerRound: 3))
        let answered = ResultCounter()
        let model = f.model.parameters
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            if (try? trainer.evaluate(globalModel: model)) != nil { answered.add() }
        }
        #expect(answered.value == 3)
    }

    @Test("a budget lowered at start is enforced at once, written only by commitBudget (or the first spend)")
    func heldBudget() throws {
        let f = try Fixture(); defer { f.remove() }
        do { _ = try f.trainer(budget: 5) }
        let before = f.ledgerBytes
        do {
            let lowered = try f.trainer(budget: 2)
            #expect(lowered.epsilonBudget == 2 && lowered.budgetAtOpen == 5)
        }
        #expect(f.ledgerBytes == before)
        let lowered = try f.trainer(budget: 2)
        try lowered.commitBudget()
        #expect(String(decoding: f.ledgerBytes, as: UTF8.self).contains("lowered at open"))
        #expect(try f.trainer(budget: 2).budgetAtOpen == 2)
    }

    @Test("LocalHospital: an offline hospital refuses before its trainer sees the round (nothing spent); it keeps the trainer's policy")
    func wrapperOffline() throws {
        let f = try Fixture(); defer { f.remove() }
        let local = try LocalHospital(trainer: f.trainer(), knobs: SimulationKnobs(offlineRounds: 2...2))
        _ = try local.train(globalModel: f.model.parameters, settings: Self.settings(round: 1)) { _ in }
        let spent = local.epsilonSpent, before = f.ledgerBytes
        #expect(throws: HospitalError.offline(hospital: "h")) {
            try local.train(globalModel: f.model.parameters, settings: Self.settings(round: 2)) { _ in }
        }
        #expect(local.status == .offline && local.epsilonSpent == spent && f.ledgerBytes == before)
        _ = try local.train(globalModel: f.model.parameters, settings: Self.settings(round: 3)) { _ in }
        #expect(local.status == .idle)
        // The wrapper cannot loosen the trainer's policy.
        #expect(throws: HospitalError.self) {
            try local.train(globalModel: f.model.parameters, settings: Self.settings(round: 4, sigma: nil)) { _ in }
        }
        #expect(local.policy == local.trainer.policy)
    }

    @Test("LocalHospital: a forging attack changes only what leaves; the trainer's ledger pays for the round")
    func wrapperForges() throws {
        let f = try Fixture(); defer { f.remove() }
        let local = try LocalHospital(trainer: f.trainer())
        local.attack = UpdateForgery(.scale(1000))
        local.keepsSentModel = true
        let update = try local.train(globalModel: f.model.parameters, settings: Self.settings()) { _ in }
        #expect(local.epsilonSpent > 0 && update.epsilonSpent == local.epsilonSpent)
        #expect(update.delta.norm() > 100)
        var sent = f.model.parameters
        sent.add(update.delta, scaledBy: 1)
        #expect(local.lastSentModel == sent)
    }
}

/// A counter written from concurrent workers.
final class ResultCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
