import Datasets
import Foundation
import Privacy
import TensorCore

/// Where a run keeps what outlives it: its folder, its checkpoints, the seals of its ledgers (kept
/// outside the folder), and, for a resumed run, where it continues.
public struct RunStorage {
    /// The run folder (`ledgers/`, `metrics.csv`, `events.jsonl`, `audit.jsonl`, checkpoints).
    public var directory: String
    /// The run's signed checkpoints (nil: none written).
    public var checkpoints: CheckpointStore?
    /// The seal of the ledger of party `name` (`hospital-1`, `federation`).
    public var seal: (_ party: String) throws -> LedgerSeal
    /// The first round to run (1, or the round after a resumed checkpoint's).
    public var startRound: Int
    /// A resumed server's state (FedOpt's moments, an adaptive clip norm), by tensor name.
    public var serverState: [String: Tensor]

    public init(directory: String, checkpoints: CheckpointStore?, seal: @escaping (_ party: String) throws -> LedgerSeal,
                startRound: Int = 1, serverState: [String: Tensor] = [:]) {
        self.directory = directory
        self.checkpoints = checkpoints
        self.seal = seal
        self.startRound = startRound
        self.serverState = serverState
    }
}

/// A federation ready to run: its engine (not started), the recorder writing the run's files, its
/// hospitals, and what setting it up decided.
public struct BuiltFederation {
    public let engine: Engine
    public let recorder: RunRecorder
    /// Local and remote hospitals, in the engine's order.
    public let hospitals: [any SampleLevelAccounting]
    /// The simulated hospitals (also in ``hospitals``), for the audit.
    public let localHospitals: [LocalHospital]
    /// Sample-level σ the run starts with (calibrated unless the plan gave it; 0 without DP-SGD).
    public let noiseMultiplier: Double
    /// The strategy's name after any DP-FedAvg wrapper (`dp(fedavg)`).
    public let strategyName: String
    /// Client-level DP's distributed Skellam noise at z = 1 under secure aggregation, or nil.
    public let distributedNoise: DistributedSkellam?
    /// The federation's ledger path under client-level DP.
    public let federationLedgerPath: String?
    /// What opening the ledgers found worth telling the operator.
    public let notes: [String]
}

extension BuiltFederation {
    /// Runs to the end without printing (benchmarks, the audit); returns the outcome and the completed
    /// rounds, the run's files finished.
    public func runQuietly() -> (RunOutcome, [RoundSummary]) {
        let subscription = engine.bus.subscribe(capacity: 1 << 20)
        engine.start()
        let outcome = engine.wait()
        _ = recorder.finish()
        var rounds: [RoundSummary] = []
        while let e = subscription.next() {
            if case .roundCompleted(let s) = e.kind { rounds.append(s) }
        }
        return (outcome, rounds)
    }
}

/// Builds a federation from a ``FederationPlan``: local hospitals on the layout's shares (each a
/// ``LocalHospital`` around a production ``HospitalTrainer`` with its own sealed ledger), the remote
/// hospitals given, σ calibrated so that every hospital ends the planned rounds within its own budget,
/// the strategy wrapped in DP-FedAvg under client-level DP (z, or distributed Skellam noise under
/// secure aggregation, calibrated on the federation's ledger), the engine and the run's recorder.
///
/// Contract: budgets are the ledgers' own (a lower ε is recorded, a higher one needs the plan's
/// `budgetReason`); every change is written only once everything else has been set up, and audited.
/// A run that a hospital's announced policy would refuse is refused here, naming the hospital and the
/// rule. Throws ``FederationError/configuration(_:)`` for a plan that cannot run and
/// ``FederationError/runFile(path:reason:)`` for a run folder that cannot be continued.
public enum FederationBuilder {
    public static func build(_ plan: FederationPlan, layout: FederationLayout, model: Sequential,
                             remotes: [any SampleLevelAccounting] = [], storage: RunStorage,
                             auditor: (any RoundAuditor)? = nil) throws -> BuiltFederation {
        if plan.privacy != .off, plan.epsilon == nil {
            throw FederationError.configuration("--dp \(plan.privacy.rawValue) needs an ε budget (FederationPlan.epsilon)")
        }
        var strategy: any Strategy
        do { strategy = try StrategyParser.parse(plan.strategy) } catch { throw FederationError.configuration("--strategy: \(error)") }
        do { try FileManager.default.createDirectory(atPath: storage.directory + "/ledgers", withIntermediateDirectories: true) } catch {
            throw FederationError.runFile(path: storage.directory, reason: "cannot create the run folder: \(error.localizedDescription)")
        }

        // Hospitals: each standardised its own records with its own statistics (nothing leaves).
        let gate = ComputeGate()
        var locals: [LocalHospital] = []
        for (i, share) in layout.shares.enumerated() {
            let name = "hospital-\(i + 1)"
            let privacy = plan.privacy.sampleLevel
                ? HospitalTrainer.Privacy(ledgerPath: "\(storage.directory)/ledgers/\(name).ledger", epsilonBudget: plan.epsilon!,
                                          delta: plan.delta, noiseSeed: plan.noiseSeed.map { $0 &+ UInt64(i) &* 1_000_003 },
                                          seal: try storage.seal(name), raiseReason: plan.budgetReason)
                : nil
            let simulation = plan.simulations[name] ?? SimulatedHospital()
            do {
                let hospital = try LocalHospital(name: name, data: share, architecture: model, privacy: privacy,
                                                 policy: .simulated(requiresDPSGD: plan.privacy.sampleLevel),
                                                 knobs: simulation.knobs, seed: plan.seed &+ UInt64(i + 1) &* 7919, gate: gate,
                                                 adversarial: plan.adversarial)
                hospital.attack = simulation.attack
                locals.append(hospital)
            } catch { throw FederationError.configuration("\(error)") }
        }
        let hospitals: [any SampleLevelAccounting] = locals + remotes
        var names = Set<String>()
        for h in hospitals where !names.insert(h.name).inserted {
            throw FederationError.configuration("two hospitals are named '\(h.name)' (local hospitals are hospital-1 … "
                                                + "hospital-\(locals.count); remote ones are named by their certificates)")
        }
        if plan.privacy.sampleLevel, let r = remotes.first(where: { $0.accountant == nil }) {
            throw FederationError.configuration("--hospital \(r.location): \(r.name) does not train with DP-SGD, which --dp "
                                                + "\(plan.privacy.rawValue) needs")
        }

        let sigma = try sampleNoise(plan, hospitals: hospitals, startRound: storage.startRound)
        try checkPolicies(hospitals, plan: plan, noiseMultiplier: sigma, firstRound: storage.startRound)

        // Client-level DP: DP-FedAvg wraps the strategy; the federation owns a ledger.
        var federationLedger: PrivacyLedger?
        let distributed = try distributedNoise(plan, parameters: model.parameterCount, hospitals: hospitals.count)
        if plan.privacy.clientLevel {
            guard case .rate(let q) = plan.selection else { throw FederationError.configuration("client-level DP needs --sample-rate") }
            let ledger: PrivacyLedger
            do {
                ledger = try PrivacyLedger(path: storage.directory + "/ledgers/federation.ledger", budget: (plan.epsilon!, plan.delta),
                                           seal: try storage.seal("federation"), raiseReason: plan.budgetReason,
                                           holdBudgetChange: true)
            } catch { throw FederationError.configuration("\(error)") }
            federationLedger = ledger
            let z = try clientNoise(plan, sampleRate: q, ledger: ledger, distributed: distributed, startRound: storage.startRound)
            var feasibility = ClientNoiseFeasibility(noiseMultiplier: z, clipNorm: plan.clientClip, sampleRate: q, hospitals: hospitals.count,
                                                     parameters: model.parameterCount, rounds: plan.rounds - storage.startRound + 1,
                                                     budget: ledger.budget.epsilon, delta: ledger.budget.delta,
                                                     spent: ledger.accountant)
            feasibility.gaussianRounds = distributed == nil
            if let refusal = feasibility.refusal { throw FederationError.configuration(refusal) }
            let expected = q * Double(hospitals.count)
            let adaptive = plan.adaptiveClip ? try ClientLevelDP.AdaptiveClipping(countNoise: max(expected / 20, z)) : nil
            let mechanism = try ClientLevelDP(noiseMultiplier: z, clipNorm: plan.clientClip, expectedParticipants: expected,
                                              adaptive: adaptive)
            strategy = try DPFedAvg(wrapping: strategy, mechanism: mechanism, sampleRate: q, noiseSeed: plan.noiseSeed.map { $0 ^ 0xfed })
        }

        // A resumed server continues exactly: FedOpt's moments, an adaptive clip norm.
        do { try strategy.restoreServerState(storage.serverState) } catch {
            throw FederationError.runFile(path: storage.directory, reason: "the checkpoint does not fit --strategy \(strategy.name): \(error)")
        }

        let configuration = EngineConfiguration(
            name: plan.name, dataset: layout.facts.name, rounds: plan.rounds, localEpochs: plan.localEpochs, batchSize: plan.batchSize,
            learningRate: plan.learningRate, momentum: plan.momentum, privacy: plan.privacy, noiseMultiplier: sigma,
            clipNorm: plan.clip, delta: plan.delta, epsilonBudget: plan.epsilon, selection: plan.selection,
            quorum: plan.quorum, deadline: plan.deadline, seed: plan.seed, maxUpdateNorm: plan.maxUpdateNorm,
            startRound: storage.startRound, secureNoise: plan.noiseSeed == nil, secureAggregation: plan.secureAggregation,
            provenance: ModelProvenance(run: plan.name, dataset: layout.facts.name, classNames: layout.facts.classNames,
                                        featureClip: layout.featureClip, featureNames: layout.featureNames, privacy: plan.privacy.rawValue,
                                        epsilonBudget: plan.privacy == .off ? nil : plan.epsilon, delta: plan.delta),
            federatedDropout: plan.federatedDropout)
        let bus = EventBus()
        let engine = try Engine(configuration: configuration, model: model, hospitals: hospitals, strategy: strategy,
                                federationLedger: federationLedger, centralTest: layout.centralTest, checkpoint: storage.checkpoints,
                                bus: bus, auditor: auditor)
        let recorder = try RunRecorder(directory: storage.directory, bus: bus)

        // The start has succeeded: only now are budget changes written to the ledgers (a refused start leaves them
        // as they were), and each is audited.
        var changes: [(party: String, from: Double, to: Double)] = []
        for h in locals {
            try h.commitBudget()
            if let from = h.budgetAtOpen, let to = h.epsilonBudget, from != to { changes.append((h.name, from, to)) }
        }
        if let ledger = federationLedger {
            try ledger.commitBudget()
            if let from = ledger.recordedBudget?.epsilon, from != ledger.budget.epsilon { changes.append(("federation", from, ledger.budget.epsilon)) }
        }
        for change in changes {
            try recorder.audit.append(AuditLog.entry("budget-changed", details: [
                "party": change.party, "from": String(change.from), "to": String(change.to),
                "reason": change.to > change.from ? plan.budgetReason ?? "" : "lowered at open"]))
        }
        try recorder.audit.sync()
        return BuiltFederation(engine: engine, recorder: recorder, hospitals: hospitals, localHospitals: locals, noiseMultiplier: sigma,
                               strategyName: strategy.name, distributedNoise: distributed,
                               federationLedgerPath: federationLedger?.path,
                               notes: locals.flatMap(\.ledgerNotes) + (federationLedger?.notes ?? []))
    }

    /// Sample-level σ: the plan's, or calibrated so that every hospital ends the planned rounds within
    /// its budget (the run's, or a remote hospital's own tighter one): the largest σ any hospital needs.
    public static func sampleNoise(_ plan: FederationPlan, hospitals: [any SampleLevelAccounting], startRound: Int) throws -> Double {
        guard plan.privacy.sampleLevel else { return plan.noise ?? 0 }
        if let noise = plan.noise { return noise }
        var sigma = 0.0
        // Hospitals with equal shares and nothing spent yet need the same σ: calibrate each case once
        // (a thousand hospitals are a few distinct cases).
        var calibrated: [String: Double] = [:]
        for h in hospitals {
            let (q, perRound) = h.roundSampling(batchSize: plan.batchSize, localEpochs: plan.localEpochs)
            let steps = (plan.rounds - startRound + 1) * perRound
            let spent = h.accountant ?? RDPAccountant()
            let target = min(plan.epsilon!, h.epsilonBudget ?? plan.epsilon!)
            let key = "\(q):\(steps):\(target)"
            if spent.segments.isEmpty, let s = calibrated[key] {
                sigma = max(sigma, s)
                continue
            }
            guard let s = try Calibration.noiseMultiplier(targetEpsilon: target, sampleRate: q, steps: steps,
                                                          delta: plan.delta, spent: spent) else {
                throw FederationError.configuration("no noise multiplier keeps \(h.name) within ε = \(target) over \(plan.rounds) rounds "
                                                    + "(already spent \(String(format: "%.3f", h.epsilonSpent)))")
            }
            if spent.segments.isEmpty { calibrated[key] = s }
            sigma = max(sigma, s)
        }
        return sigma
    }

    /// Refuses a run that a hospital's announced policy (``HospitalPolicy``) would refuse round by
    /// round: one line naming the hospital and the rule. The hospital checks again on every request.
    static func checkPolicies(_ hospitals: [any SampleLevelAccounting], plan: FederationPlan, noiseMultiplier: Double,
                              firstRound: Int) throws(FederationError) {
        let settings = RoundSettings(
            round: firstRound, localEpochs: plan.localEpochs, batchSize: plan.batchSize, learningRate: plan.learningRate,
            momentum: plan.momentum,
            samplePrivacy: plan.privacy.sampleLevel ? .init(noiseMultiplier: noiseMultiplier, clipNorm: plan.clip) : nil)
        for h in hospitals {
            if let (policy, rule) = HospitalPolicy.refusal(by: h, of: settings) {
                throw .configuration("--hospital \(h.location): \(h.name) refuses this run: \(rule) (its policy: \(policy.summary))")
            }
        }
    }

    /// Client-level z: the plan's, or calibrated on the federation's ledger — on the Skellam accountant
    /// under distributed noise, on the RDP accountant otherwise.
    static func clientNoise(_ plan: FederationPlan, sampleRate q: Double, ledger: PrivacyLedger, distributed: DistributedSkellam?,
                            startRound: Int) throws -> Double {
        if let z = plan.clientNoise { return z }
        let rounds = plan.rounds - startRound + 1
        if let noise = distributed {
            guard let variance = try Calibration.skellamVariance(targetEpsilon: plan.epsilon!, sampleRate: q,
                                                                 l1Sensitivity: noise.l1Sensitivity, l2Sensitivity: noise.l2Sensitivity,
                                                                 steps: rounds, delta: plan.delta, spent: ledger.accountant) else {
                throw FederationError.configuration("no distributed noise keeps the federation within ε = \(plan.epsilon!) over \(plan.rounds) rounds")
            }
            return DistributedSkellam.noiseMultiplier(variance: variance, l2Sensitivity: noise.l2Sensitivity)
        }
        guard let z = try Calibration.noiseMultiplier(targetEpsilon: plan.epsilon!, sampleRate: q, steps: rounds,
                                                      delta: plan.delta, spent: ledger.accountant) else {
            throw FederationError.configuration("no client-level noise keeps the federation within ε = \(plan.epsilon!) over \(plan.rounds) rounds")
        }
        return z
    }

    /// Client-level DP's distributed Skellam noise at z = 1 under secure aggregation (its sensitivities and
    /// contributors, as the engine derives them each round), or nil.
    public static func distributedNoise(_ plan: FederationPlan, parameters: Int, hospitals: Int) throws -> DistributedSkellam? {
        guard let secure = plan.secureAggregation, plan.privacy.clientLevel, case .rate(let q) = plan.selection else { return nil }
        do {
            return try DistributedSkellam(
                noiseMultiplier: 1, clipNorm: plan.clientClip, sampleRate: q, bits: secure.bits, parameters: parameters,
                contributors: DistributedSkellam.minimumContributors(quorum: plan.quorum, expectedParticipants: q * Double(hospitals)))
        } catch { throw FederationError.configuration("\(error)") }
    }
}
