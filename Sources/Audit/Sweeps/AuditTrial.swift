import Datasets
import Federation
import Foundation
import Privacy
import TensorCore

/// One federation trained for the audit, and what the attacks measured on it.
///
/// The federation is a real one, built by the library (``FederationBuilder``: the engine, DP-SGD,
/// sealed ledgers, strategies) with a central hold-out taken out before the hospitals get their records. The
/// hold-out is cut in two: one half is the non-members of the membership-inference targets, the other
/// is the attacker's population for the shadow models (disjoint from every target). Members are drawn
/// from the hospitals' training records; non-members never left the hold-out.
///
/// Contract: membership inference is the loss-threshold attack (Yeom et al. 2018) and offline LiRA
/// (Carlini et al. 2022) on the global model and on the first honest hospital's last local model;
/// a backdoor's success is measured on the test half (for a clean run, the trigger's effect alone).
/// A setting that cannot be built throws ``AuditSweepError/setting(_:)``, one whose rounds all failed
/// ``AuditSweepError/training(_:)``, each naming the setting's label.
public struct AuditTrial {
    /// One federation's settings: the data, training, defences and attack.
    public struct Setting: Sendable {
        public var label: String
        public var dataset = "digits"
        public var hospitals = 5
        /// How records are split among the hospitals (``PartitionScheme``), and each one's test fraction.
        public var partition = "iid"
        public var testFraction = 0.2
        /// Fewest updates a round may aggregate (at most the hospitals).
        public var quorum = 2
        public var rounds = 30
        public var localEpochs = 1
        public var batchSize = 32
        public var learningRate: Float = 0.05
        public var momentum: Float = 0.9
        /// ε for sample-level DP-SGD in every hospital; nil: no sample-level DP.
        public var epsilon: Double?
        public var strategy = "fedavg"
        /// Client-level DP-FedAvg: (clip S, noise multiplier z); the federation's ε is reported, not targeted.
        public var clientDP: (clip: Double, noise: Double)?
        public var maxUpdateNorm: Double?
        /// The last `malicious` hospitals run `attack`.
        public var malicious = 0
        public var attack = AuditPoisoning.flip
        public var seed: UInt64 = 1
        /// Fraction of the records held out centrally before the split.
        public var holdout = 0.4
        /// Every hospital trains on adversarial examples (``AdversarialTraining``); nil: clean batches.
        public var adversarial: AdversarialTraining?
        /// Federated dropout's kept share of each hidden layer (``FederatedDropout``); nil: the full model.
        public var federatedDropout: Double?

        public init(label: String) { self.label = label }
    }

    /// What one trial measured, and the model and test records for further attacks.
    public struct Outcome {
        public var setting: Setting
        public var accuracy: Double
        public var sigma: Double?
        public var epsilonSpent: Double?
        public var federationEpsilon: Double?
        public var membership: [MembershipInferenceResult]
        public var attackSuccess: Double?
        public var model: Sequential
        /// The hold-out half the attacks use as non-members (and the evasion test set).
        public var test: Dataset
        public var seconds: Double
        /// Model bytes moved per completed round (sent and received, ``RoundCommunication``), mean over rounds.
        public var bytesPerRound: Double = 0
        /// The share of the model's parameters each hospital trained, mean over rounds.
        public var keptFraction: Double = 1
    }

    /// What to measure besides accuracy.
    public struct Measures: Sendable {
        public var membership = true
        public var shadows = 8
        public var targetLimit = 500

        public init(membership: Bool = true, shadows: Int = 8, targetLimit: Int = 500) {
            self.membership = membership
            self.shadows = shadows
            self.targetLimit = targetLimit
        }
    }

    /// Trains the federation of `s` (its run folder and ledger seals in `scratch`, removed after) and
    /// attacks it; `log` hears progress.
    public static func run(_ s: Setting, measures: Measures, scratch: String, log: (String) -> Void) throws -> Outcome {
        let started = ContinuousClock.now
        // A federation built from code (the library's builder), with the central hold-out taken out first.
        let layout: FederationLayout
        do {
            layout = try FederationLayout(dataset: s.dataset, localHospitals: s.hospitals, partition: s.partition,
                                          testFraction: s.testFraction, centralHoldout: s.holdout, featureClip: nil,
                                          model: nil, seed: s.seed, remoteFacts: nil)
        } catch { throw AuditSweepError.setting("\(s.label): \(error)") }
        let privacy: PrivacyMode = switch (s.epsilon, s.clientDP) {
        case (nil, nil): .off
        case (_?, nil): .sample
        case (nil, _?): .client
        case (_?, _?): .both
        }
        var simulations: [String: SimulatedHospital] = [:]
        for k in 0..<s.malicious {
            let name = "hospital-\(s.hospitals - k)"
            simulations[name] = try s.attack.simulatedHospital(name, featureShape: layout.facts.featureShape, hospitals: s.hospitals)
        }
        var plan = FederationPlan(
            name: s.label, rounds: s.rounds, localEpochs: s.localEpochs, batchSize: s.batchSize, learningRate: s.learningRate,
            momentum: s.momentum, strategy: s.strategy, privacy: privacy,
            // Client-level DP alone: z is given and the federation's ε reported, not targeted.
            epsilon: s.epsilon ?? (s.clientDP != nil ? 1e9 : nil), clientNoise: s.clientDP?.noise,
            selection: s.clientDP != nil ? .rate(1) : .count(s.hospitals), quorum: min(s.quorum, s.hospitals),
            maxUpdateNorm: s.maxUpdateNorm, seed: s.seed, simulations: simulations)
        if let clip = s.clientDP?.clip { plan.clientClip = clip }
        plan.adversarial = s.adversarial
        plan.federatedDropout = s.federatedDropout
        let folder = "\(scratch)/\(s.label.filter { $0.isLetter || $0.isNumber || $0 == "-" })-\(UInt32.random(in: .min ... .max))"
        defer {
            try? FileManager.default.removeItem(atPath: folder)
            try? FileManager.default.removeItem(atPath: folder + ".seal")
        }
        let setup: BuiltFederation
        do {
            setup = try FederationBuilder.build(
                plan, layout: layout, model: try layout.initialModel(seed: s.seed),
                storage: RunStorage(directory: folder, checkpoints: nil,
                                    seal: { try LedgerSeal.loadOrCreate(directory: folder + ".seal", name: $0) }))
        } catch { throw AuditSweepError.setting("\(s.label): \(error)") }
        // The first honest hospital keeps its last local model for the local-model attack.
        setup.localHospitals.first { !$0.isMalicious }?.keepsSentModel = true
        let (_, summaries) = setup.runQuietly()
        let centralTest = layout.centralTest
        guard let last = summaries.last else {
            throw AuditSweepError.training("\(s.label): no round completed (every round failed: updates rejected by the norm limit, or fewer than the quorum)")
        }
        let model = setup.engine.globalModel
        guard let holdout = centralTest else { throw AuditSweepError.training("\(s.label): no hold-out") }
        let (shadowPool, test) = holdout.split(testFraction: 0.5, seed: s.seed ^ 0x5ad0)
        let accuracy = last.centralEvaluation?.accuracy ?? ModelEvaluation.evaluate(model, features: test.features, labels: test.labels).accuracy

        var results: [MembershipInferenceResult] = []
        if measures.membership {
            let members = Dataset.concatenating(setup.localHospitals.filter { !$0.isMalicious }.map(\.auditRecords.train))
            let targets = try MembershipTargets.balanced(members: members, nonMembers: test, limit: measures.targetLimit, seed: s.seed)
            results.append(try LossThresholdAttack.run(model: model, targets: targets, target: "global"))
            var lira: LikelihoodRatioAttack?
            if measures.shadows >= 2 {
                log("\(s.label): training \(measures.shadows) shadow models")
                let c = setup.engine.configuration
                let settings = RoundSettings(round: 1, localEpochs: c.localEpochs, batchSize: c.batchSize, learningRate: c.learningRate,
                                             momentum: c.momentum,
                                             samplePrivacy: c.privacy.sampleLevel ? .init(noiseMultiplier: c.noiseMultiplier, clipNorm: c.clipNorm) : nil)
                let shadows = try ShadowTraining(architecture: model, rounds: c.rounds, settings: settings)
                    .train(population: shadowPool, count: measures.shadows, seed: s.seed ^ 0x11a, scratch: scratch)
                lira = try LikelihoodRatioAttack(shadowModels: shadows)
                results.append(try lira!.run(model: model, targets: targets, target: "global"))
            }
            // A hospital's local model as it left the hospital (what the aggregator could rebuild).
            // (Under federated dropout what left is a sub-model's; the attack needs the whole model.)
            if let first = setup.localHospitals.first(where: { !$0.isMalicious }), let sent = first.lastSentModel,
               sent.count == model.parameterCount {
                var local = model
                try local.setParameters(sent)
                let localTargets = try MembershipTargets.balanced(members: first.auditRecords.train, nonMembers: test,
                                                                  limit: measures.targetLimit, seed: s.seed ^ 1)
                results.append(try LossThresholdAttack.run(model: local, targets: localTargets, target: "\(first.name) local"))
                if let lira { results.append(try lira.run(model: local, targets: localTargets, target: "\(first.name) local")) }
            }
        }
        var success: Double?
        if let backdoor = setup.localHospitals.compactMap({ $0.attack as? PixelBackdoor }).first {
            success = backdoor.attackSuccessRate(model: model, features: test.features, labels: test.labels)
        } else if s.attack == .backdoor, s.malicious == 0, let probe = try? PixelBackdoor(featureShape: test.featureShape) {
            // The clean run's baseline: how often the trigger alone lands in the target class.
            success = probe.attackSuccessRate(model: model, features: test.features, labels: test.labels)
        }
        let epsilons = setup.localHospitals.map(\.epsilonSpent)
        var outcome = Outcome(setting: s, accuracy: accuracy,
                              sigma: s.epsilon != nil ? setup.engine.configuration.noiseMultiplier : nil,
                              epsilonSpent: s.epsilon != nil ? epsilons.max() : nil, federationEpsilon: last.federationEpsilon,
                              membership: results, attackSuccess: success, model: model, test: test,
                              seconds: Double((ContinuousClock.now - started).components.seconds))
        let exchanges = summaries.compactMap(\.communication)
        if !exchanges.isEmpty {
            outcome.bytesPerRound = exchanges.reduce(0.0) { $0 + Double($1.bytesDown + $1.bytesUp) } / Double(exchanges.count)
            outcome.keptFraction = exchanges.reduce(0.0) { $0 + $1.keptFraction } / Double(exchanges.count)
        }
        return outcome
    }
}
