import Datasets
import Foundation
import Privacy
import TensorCore

/// A hospital as it runs in production: its records, DP-SGD on the shared cores, its own privacy
/// policy, its privacy ledger and budget, and its seat in secure rounds. It has no simulation switch:
/// `fedtop hospital` runs exactly this, and ``LocalHospital`` wraps it (speed, outages, attacks) for
/// simulated federations and `fedtop hospital --simulate` demos.
///
/// Contract (beyond ``Hospital``'s):
/// - Every request is checked before any record is touched: the round's settings, the model's size and
///   finiteness, the hospital's ``HospitalPolicy`` (training: DP-SGD, σ floor, clip norm, ε per round; evaluation:
///   the smallest test split and the evaluations one trained round pays for), then the budget.
/// - Under sample-level DP, a round is Poisson-subsampled DP-SGD (Abadi et al. 2016) with rate
///   q = batchSize / records for `localEpochs · round(1/q)` steps; the hospital refuses before
///   training when that segment would take its ledger past the budget, and writes the segment
///   (fsynced, into its sealed ``PrivacyLedger``) after training and before the update is returned
///   (write-ahead: a crash can over-report ε, never under-report it).
/// - Without sample-level DP (only if its policy allows it), a round is `localEpochs` passes of
///   shuffled minibatches.
/// - The delta returned is local − global parameters; the record count is the FedAvg weight.
/// - Training borrows a core from the shared ``ComputeGate``.
/// - A budget change asked for at open is held until ``commitBudget()`` (or the first spend), so a
///   start that fails after opening leaves the ledger as it was.
/// - Thread-safe: status may be read from any thread while it trains.
public final class HospitalTrainer: SampleLevelAccounting, @unchecked Sendable {
    public let name: String
    public let location = HospitalLocation.local

    /// The DP-SGD settings a hospital uses: its ledger, budget and noise source.
    public struct Privacy: Sendable {
        public var ledgerPath: String
        /// The budget asked for (nil: keep the one the ledger records; a new ledger then refuses).
        public var epsilonBudget: Double?
        public var delta: Double
        /// nil: noise keyed from the kernel (secure); a seed: reproducible, for tests only.
        public var noiseSeed: UInt64?
        /// The ledger's key and head record, kept outside the ledger's folder (``LedgerSeal``).
        public var seal: LedgerSeal
        /// Why `epsilonBudget` may exceed the ledger's recorded budget (nil: a higher budget is refused;
        /// a lower one is always recorded).
        public var raiseReason: String?
        /// Start an empty ledger although the seal records spends (the operator's `--new-ledger`).
        public var allowNewLedger: Bool

        public init(ledgerPath: String, epsilonBudget: Double?, delta: Double, noiseSeed: UInt64?, seal: LedgerSeal,
                    raiseReason: String? = nil, allowNewLedger: Bool = false) {
            self.ledgerPath = ledgerPath
            self.epsilonBudget = epsilonBudget
            self.delta = delta
            self.noiseSeed = noiseSeed
            self.seal = seal
            self.raiseReason = raiseReason
            self.allowNewLedger = allowNewLedger
        }
    }

    let data: HospitalData
    let architecture: Sequential
    private let gate: ComputeGate
    let seed: UInt64
    private let ledger: PrivacyLedger?
    let noiseSeed: UInt64?
    private let lock = NSLock()
    private var dpsgd: DPSGD?
    private var _status = HospitalStatus.idle
    /// Evaluations the hospital will still answer before its next trained round (``HospitalPolicy/evaluationsPerRound``).
    private var evaluationCredit: Int
    /// Its seat in secure rounds (``SecureAggregationHospital``).
    let secureSeat: SecureAggregationSeat
    /// What it accepts, checked on every request before any record is touched.
    public let policy: HospitalPolicy
    /// The ε budget its ledger held before this open (nil: a new ledger, or no ledger).
    public let budgetAtOpen: Double?
    /// Adversarial training in every round it trains, with or without DP-SGD (``AdversarialTraining``);
    /// the hospital's own choice, like its policy.
    public let adversarial: AdversarialTraining?

    /// - Parameters:
    ///   - architecture: the model's layers (its parameters are replaced by the global model's).
    ///   - privacy: the ledger and budget for sample-level DP, or nil for a hospital that never
    ///     trains with DP-SGD (asked to, it refuses).
    ///   - policy: what it accepts (``HospitalPolicy``).
    ///   - adversarial: train on adversarial examples (``AdversarialTraining``), or nil for clean batches.
    public init(name: String, data: HospitalData, architecture: Sequential, privacy: Privacy?,
                policy: HospitalPolicy, seed: UInt64, gate: ComputeGate, adversarial: AdversarialTraining? = nil) throws(HospitalError) {
        if let problem = policy.problem { throw .invalidSettings(hospital: name, reason: "privacy policy: \(problem)") }
        if policy.requiresDPSGD, privacy == nil {
            throw .invalidSettings(hospital: name, reason: "privacy policy requires DP-SGD but the hospital has no ledger")
        }
        self.policy = policy
        self.adversarial = adversarial
        self.name = name
        self.data = data
        self.architecture = architecture
        self.gate = gate
        self.seed = seed
        secureSeat = SecureAggregationSeat(hospital: name)
        evaluationCredit = policy.evaluationsPerRound ?? 0
        noiseSeed = privacy?.noiseSeed
        if let privacy {
            do {
                ledger = try PrivacyLedger(path: privacy.ledgerPath, budget: privacy.epsilonBudget.map { ($0, privacy.delta) },
                                           seal: privacy.seal,
                                           raiseReason: privacy.raiseReason, allowNew: privacy.allowNewLedger,
                                           holdBudgetChange: true)
            } catch {
                throw .ledger(hospital: name, reason: "\(error)")
            }
        } else {
            ledger = nil
        }
        budgetAtOpen = ledger?.recordedBudget?.epsilon
        if let ledger, ledger.spentEpsilon >= ledger.budget.epsilon { _status = .budgetExhausted }
    }

    // MARK: - State

    public var status: HospitalStatus { lock.withLock { _status } }

    func setStatus(_ s: HospitalStatus) { lock.withLock { _status = s } }

    /// The spend recorded so far (sample-level DP): for calibrating σ to what is left of the budget.
    public var accountant: RDPAccountant? { lock.withLock { ledger?.accountant } }

    /// Records in the training split (the DP-SGD sampling population).
    public var trainRecords: Int { data.train.count }

    /// What opening the ledger found worth telling the operator (a recovered torn record, a budget
    /// change, an upgrade), for the hospital's log.
    public var ledgerNotes: [String] { lock.withLock { ledger?.notes ?? [] } }

    /// The hospital's ledger (sample-level DP), for the console's per-hospital ε.
    public var epsilonSpent: Double { lock.withLock { ledger?.spentEpsilon ?? 0 } }

    public var epsilonBudget: Double? { lock.withLock { ledger?.budget.epsilon } }

    public func summary() throws(HospitalError) -> HospitalSummary {
        lock.withLock {
            HospitalSummary(name: name, trainRecords: data.train.count, testRecords: data.test.count,
                            classCounts: data.train.classCounts, epsilonBudget: ledger?.budget.epsilon,
                            delta: ledger?.budget.delta, epsilonSpent: ledger?.spentEpsilon ?? 0,
                            secureNoise: noiseSeed == nil, policy: policy, adversarial: adversarial)
        }
    }

    /// Writes the budget change asked for at open (lowered, or raised with its reason) into the
    /// ledger; nothing when there is none or it is written already. Call once the start has succeeded;
    /// the first spend writes it anyway.
    public func commitBudget() throws(HospitalError) {
        guard let ledger else { return }
        lock.lock()
        defer { lock.unlock() }
        do { try ledger.commitBudget() } catch { throw .ledger(hospital: name, reason: "\(error)") }
    }

    /// Raises (or lowers) the hospital's budget: an explicit decision, recorded in its ledger.
    public func setBudget(epsilon: Double, reason: String) throws(HospitalError) {
        guard let ledger else { throw .invalidSettings(hospital: name, reason: "no privacy ledger") }
        lock.lock()
        defer { lock.unlock() }
        do {
            try ledger.setBudget(epsilon: epsilon, reason: reason)
        } catch {
            throw .ledger(hospital: name, reason: "\(error)")
        }
        if _status == .budgetExhausted, ledger.spentEpsilon < epsilon { _status = .idle }
    }

    // MARK: - Training

    /// The DP-SGD segment one round with `settings` costs this hospital.
    public func plannedSpend(_ settings: RoundSettings) -> PrivacySegment? {
        guard let p = settings.samplePrivacy else { return nil }
        let (q, steps) = roundSampling(batchSize: settings.batchSize, localEpochs: settings.localEpochs)
        return try? PrivacySegment(sampleRate: q, noiseMultiplier: p.noiseMultiplier, steps: steps)
    }

    public func train(globalModel: Tensor, settings: RoundSettings,
                      progress: @escaping @Sendable (TrainingProgress) -> Void) throws(HospitalError) -> HospitalUpdate {
        try train(architecture: architecture, globalModel: globalModel, settings: settings, progress: progress)
    }

    /// One round of local training of `architecture` (its parameters replaced by `globalModel`): for a
    /// hospital process, which learns the architecture from each signed request (a model-zoo name it
    /// builds itself) rather than at start.
    public func train(architecture: Sequential, globalModel: Tensor, settings: RoundSettings,
                      progress: @escaping @Sendable (TrainingProgress) -> Void) throws(HospitalError) -> HospitalUpdate {
        try train(architecture: architecture, globalModel: globalModel, settings: settings, simulation: nil, progress: progress)
    }

    /// A round, with what a simulation wrapper (``LocalHospital``) inserts into it; nil in production.
    func train(architecture: Sequential, globalModel: Tensor, settings: RoundSettings, simulation: SimulatedBehaviour?,
               progress: @escaping @Sendable (TrainingProgress) -> Void) throws(HospitalError) -> HospitalUpdate {
        let started = ContinuousClock.now
        if let problem = settings.problem { throw .invalidSettings(hospital: name, reason: problem) }
        // Federated dropout: the round trains the sub-model the mask names, thinned from the hospital's own
        // architecture (the mask is checked against it; the sent parameters must fit the sub-model).
        var architecture = architecture
        if let mask = settings.subModel {
            do { architecture = try architecture.subModel(mask).model } catch {
                throw .invalidSettings(hospital: name, reason: "\(error)")
            }
        }
        guard globalModel.count == architecture.parameterCount else {
            throw .invalidSettings(hospital: name, reason: "model has \(globalModel.count) parameters, expected \(architecture.parameterCount)")
        }
        // A model with NaN or ∞ would train into a useless update and still cost ε: refused before the budget is touched.
        guard globalModel.isFinite else { throw .invalidSettings(hospital: name, reason: "model has non-finite values (NaN or ∞)") }
        let spend = plannedSpend(settings)
        if let rule = policy.violation(of: settings, spend: spend, delta: lock.withLock({ ledger?.budget.delta })) {
            throw .policyRefused(hospital: name, rule: rule)
        }
        if settings.samplePrivacy != nil {
            guard let ledger, let spend else {
                throw .invalidSettings(hospital: name, reason: "sample-level DP asked of a hospital without a ledger")
            }
            let (spent, next, budget) = lock.withLock { (ledger.spentEpsilon, ledger.epsilon(after: spend), ledger.budget.epsilon) }
            if next > budget {
                setStatus(.budgetExhausted)
                throw .budgetExhausted(hospital: name, spent: spent, next: next, budget: budget)
            }
        }
        do throws(HospitalError) { try simulation?.beforeTraining(settings.round) } catch {
            setStatus(.failed)
            throw error
        }
        setStatus(.training)
        var model = architecture
        do { try model.setParameters(globalModel) } catch {
            setStatus(.failed)
            throw .invalidSettings(hospital: name, reason: "\(error)")
        }
        let train = simulation?.trainingRecords(data.train, settings.round) ?? data.train
        var dp: DPSGD?
        if let p = settings.samplePrivacy, let spend {
            do {
                dp = try dpState(settings: try DPSGDSettings(noiseMultiplier: p.noiseMultiplier, clipNorm: p.clipNorm,
                                                             sampleRate: spend.sampleRate))
            } catch {
                setStatus(.failed)
                throw .failed(hospital: name, reason: "DP-SGD cannot start: \(error)")
            }
        }
        let computeStarted = ContinuousClock.now
        let outcome = gate.withSlot { computer in
            localTraining(model: &model, train: train, settings: settings, dp: &dp, computer: computer, progress: progress)
        }
        if let dp { lock.withLock { dpsgd = dp } }
        simulation?.afterCompute(computeStarted.duration(to: .now) / .seconds(1))

        // Write-ahead: the spend is durable before the update exists outside this function.
        var epsilon: Double?
        if settings.samplePrivacy != nil, let ledger, let spend {
            lock.lock()
            do {
                try ledger.record(spend, round: settings.round)
                lock.unlock()
            } catch {
                lock.unlock()
                setStatus(.failed)
                throw .ledger(hospital: name, reason: "\(error)")
            }
            epsilon = lock.withLock { ledger.spentEpsilon }
        }
        simulation?.afterLedger()
        var delta = (consume model).parameters  // the trained copy itself, not a second one
        delta.add(globalModel, scaledBy: -1)
        lock.withLock {
            _status = ledger.map { $0.spentEpsilon >= $0.budget.epsilon } == true ? .budgetExhausted : .idle
            if let perRound = policy.evaluationsPerRound { evaluationCredit = perRound }
        }
        var update = HospitalUpdate(hospital: name, round: settings.round, delta: delta, sampleCount: data.train.count,
                                    trainLoss: outcome.loss, clippedFraction: outcome.clippedFraction,
                                    spend: settings.samplePrivacy == nil ? nil : spend, epsilonSpent: epsilon,
                                    secureNoise: noiseSeed == nil, seconds: started.duration(to: .now) / .seconds(1))
        simulation?.finish(&update, globalModel)
        return update
    }

    /// The hospital's one DP-SGD state for the whole run (its noise streams never repeat), with
    /// this round's settings.
    private func dpState(settings: DPSGDSettings) throws -> DPSGD {
        try lock.withLock {
            var state = try dpsgd ?? DPSGD(settings: settings, seed: noiseSeed)
            state.settings = settings
            state.adversarial = adversarial
            return state
        }
    }

    private func localTraining(model: inout Sequential, train: Dataset, settings: RoundSettings, dp: inout DPSGD?,
                               computer: GradientComputer,
                               progress: @Sendable (TrainingProgress) -> Void) -> (loss: Double, clippedFraction: Double) {
        var optimizer = ProximalSGD(base: SGD(learningRate: settings.learningRate, momentum: settings.momentum),
                                    mu: settings.proximalMu, anchor: model.parameters)
        var lossSum = 0.0, seen = 0, clipped = 0
        let features = train.features, labels = train.labels
        if var state = dp, let steps = plannedSpend(settings)?.steps {
            for step in 1...steps {
                let g = state.step(model: &model, features: features, labels: labels, optimizer: &optimizer, computer: computer)
                lossSum += g.lossSum
                seen += g.count - g.droppedCount
                clipped += g.clippedCount
                progress(TrainingProgress(stepsDone: step, stepsTotal: steps))
            }
            dp = state
        } else {
            let n = train.count
            let batchesPerEpoch = (n + settings.batchSize - 1) / settings.batchSize
            let total = batchesPerEpoch * settings.localEpochs
            var order = SeededGenerator(seed: seed, stream: UInt64(settings.round))
            var done = 0
            for _ in 0..<settings.localEpochs {
                var indices = Array(0..<n)
                indices.shuffle(using: &order)
                for start in stride(from: 0, to: n, by: settings.batchSize) {
                    let batch = Array(indices[start..<min(start + settings.batchSize, n)])
                    let batchLabels = batch.map { labels[$0] }
                    var inputs = features.gathering(batch)
                    if let adversarial {
                        inputs = adversarial.mix(model: model, inputs: inputs, labels: batchLabels,
                                                 seed: seed ^ (UInt64(settings.round) << 32 | UInt64(done)))
                    }
                    var g = computer.compute(model: model, inputs: inputs, labels: batchLabels)
                    lossSum += g.lossSum
                    seen += g.count
                    g.gradient.scale(by: 1 / Float(g.count))
                    optimizer.step(parameters: &model.parameters, gradient: g.gradient)
                    done += 1
                    progress(TrainingProgress(stepsDone: done, stepsTotal: total))
                }
            }
        }
        return (seen > 0 ? lossSum / Double(seen) : .nan, seen > 0 ? Double(clipped) / Double(seen) : 0)
    }

    // MARK: - Evaluation

    public func evaluate(globalModel: Tensor) throws(HospitalError) -> EvaluationMetrics {
        try evaluate(architecture: architecture, globalModel: globalModel)
    }

    /// The loss and accuracy of `architecture` with the parameters `globalModel` on the test split,
    /// if the policy allows one more evaluation (``HospitalPolicy/evaluationViolation(testRecords:credit:)``).
    public func evaluate(architecture: Sequential, globalModel: Tensor) throws(HospitalError) -> EvaluationMetrics {
        try evaluate(architecture: architecture, globalModel: globalModel, simulation: nil)
    }

    func evaluate(architecture: Sequential, globalModel: Tensor, simulation: SimulatedBehaviour?) throws(HospitalError) -> EvaluationMetrics {
        guard globalModel.count == architecture.parameterCount else {
            throw .invalidSettings(hospital: name, reason: "model has \(globalModel.count) parameters, expected \(architecture.parameterCount)")
        }
        guard globalModel.isFinite else { throw .invalidSettings(hospital: name, reason: "model has non-finite values (NaN or ∞)") }
        var model = architecture
        do { try model.setParameters(globalModel) } catch {
            throw .invalidSettings(hospital: name, reason: "\(error)")
        }
        // Checked and paid for in one step, so concurrent requests cannot overdraw the credit.
        let rule: String? = lock.withLock {
            if let rule = policy.evaluationViolation(testRecords: data.test.count, credit: evaluationCredit) { return rule }
            if policy.evaluationsPerRound != nil { evaluationCredit -= 1 }
            return nil
        }
        if let rule { throw .policyRefused(hospital: name, rule: rule) }
        var metrics = gate.withSlot { _ in ModelEvaluation.evaluate(model, features: data.test.features, labels: data.test.labels) }
        simulation?.finishEvaluation(&metrics)
        return metrics
    }
}

/// What a simulation wrapper (``LocalHospital``) inserts into a production round of
/// ``HospitalTrainer``: a simulated failure, poisoned records, slower hardware, a slow link, and
/// changes to what leaves. Internal: the production type offers no simulation switch.
struct SimulatedBehaviour {
    /// Before anything is touched, after the policy and budget checks; a throw fails the round.
    var beforeTraining: (_ round: Int) throws(HospitalError) -> Void
    /// The records trained on this round instead of the hospital's own.
    var trainingRecords: (_ train: Dataset, _ round: Int) -> Dataset
    /// After the compute, off the shared cores, with the seconds it took.
    var afterCompute: (_ computeSeconds: Double) -> Void
    /// After the spend is durable, before the update is built.
    var afterLedger: () -> Void
    /// The last change to the update before it leaves, with the global model it started from.
    var finish: (_ update: inout HospitalUpdate, _ globalModel: Tensor) -> Void
    /// The last change to an evaluation before it leaves.
    var finishEvaluation: (_ metrics: inout EvaluationMetrics) -> Void
}
