import RunConfiguration
import Audit
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
struct AuditTrial {
    struct Setting {
        var label: String
        var dataset = "digits"
        var hospitals = 5
        var rounds = 30
        var localEpochs = 1
        var batchSize = 32
        var learningRate: Float = 0.05
        var momentum: Float = 0.9
        /// ε for sample-level DP-SGD in every hospital; nil: no sample-level DP.
        var epsilon: Double?
        var strategy = "fedavg"
        /// Client-level DP-FedAvg: (clip S, noise multiplier z); the federation's ε is reported, not targeted.
        var clientDP: (clip: Double, noise: Double)?
        var maxUpdateNorm: Double?
        /// The last `malicious` hospitals run `attack`.
        var malicious = 0
        var attack = SimulationSpec.Malice.flip
        var seed: UInt64 = 1
        var holdout = 0.4
    }

    struct Outcome {
        var setting: Setting
        var accuracy: Double
        var sigma: Double?
        var epsilonSpent: Double?
        var federationEpsilon: Double?
        var membership: [MembershipInferenceResult]
        var attackSuccess: Double?
        var model: Sequential
        /// The hold-out half the attacks use as non-members (and the evasion test set).
        var test: Dataset
        var seconds: Double
    }

    /// What to measure besides accuracy.
    struct Measures {
        var membership = true
        var shadows = 8
        var targetLimit = 500
    }

    static func run(_ s: Setting, measures: Measures, scratch: String, log: (String) -> Void) throws -> Outcome {
        let started = ContinuousClock.now
        // A federation built from code (the library's builder), with the central hold-out taken out first.
        let layout: FederationLayout
        do {
            layout = try FederationLayout(dataset: s.dataset, localHospitals: s.hospitals, partition: RunOptions.defaults.string(.partition),
                                          testFraction: RunOptions.defaults.number(.testFraction), centralHoldout: s.holdout, featureClip: nil,
                                          model: nil, seed: s.seed, remoteFacts: nil)
        } catch { throw UsageError("\(s.label): \(error)") }
        let privacy: PrivacyMode = switch (s.epsilon, s.clientDP) {
        case (nil, nil): .off
        case (_?, nil): .sample
        case (nil, _?): .client
        case (_?, _?): .both
        }
        var simulations: [String: SimulatedHospital] = [:]
        for k in 0..<s.malicious {
            let name = "hospital-\(s.hospitals - k)"
            let spec = try SimulationSpec(parsing: "\(name):malicious=\(s.attack.rawValue)")
            simulations[name] = SimulatedHospital(knobs: spec.knobs, attack: try spec.attack(featureShape: layout.facts.featureShape,
                                                                                              hospitals: s.hospitals))
        }
        let plan = FederationPlan(
            name: s.label, rounds: s.rounds, localEpochs: s.localEpochs, batchSize: s.batchSize, learningRate: s.learningRate,
            momentum: s.momentum, strategy: s.strategy, privacy: privacy,
            // Client-level DP alone: z is given and the federation's ε reported, not targeted.
            epsilon: s.epsilon ?? (s.clientDP != nil ? 1e9 : nil), clientNoise: s.clientDP?.noise,
            clientClip: s.clientDP?.clip ?? RunOption.standardClientClip,
            selection: s.clientDP != nil ? .rate(1) : .count(s.hospitals), quorum: min(RunOptions.defaults.integer(.quorum), s.hospitals),
            maxUpdateNorm: s.maxUpdateNorm, seed: s.seed, simulations: simulations)
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
        } catch { throw UsageError("\(s.label): \(error)") }
        // The first honest hospital keeps its last local model for the local-model attack.
        setup.localHospitals.first { !$0.isMalicious }?.keepsSentModel = true
        let (_, summaries) = setup.runQuietly()
        let centralTest = layout.centralTest
        guard let last = summaries.last else {
            throw RunError("\(s.label): no round completed (every round failed: updates rejected by the norm limit, or fewer than the quorum)")
        }
        let model = setup.engine.globalModel
        guard let holdout = centralTest else { throw RunError("\(s.label): no hold-out") }
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
            if let first = setup.localHospitals.first(where: { !$0.isMalicious }), let sent = first.lastSentModel {
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
        return Outcome(setting: s, accuracy: accuracy,
                       sigma: s.epsilon != nil ? setup.engine.configuration.noiseMultiplier : nil,
                       epsilonSpent: s.epsilon != nil ? epsilons.max() : nil, federationEpsilon: last.federationEpsilon,
                       membership: results, attackSuccess: success, model: model, test: test,
                       seconds: Double((ContinuousClock.now - started).components.seconds))
    }
}
