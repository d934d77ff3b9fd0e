import Datasets
import Foundation
import Privacy
import TensorCore

/// An in-process, simulated hospital: it holds its partition, trains with DP-SGD on the shared
/// cores, owns its privacy ledger and budget, and can be made slow, flaky, offline or malicious for
/// demos, tests and the audit.
///
/// Contract (beyond ``Hospital``'s):
/// - Under sample-level DP, a round is Poisson-subsampled DP-SGD (Abadi et al. 2016) with rate
///   q = batchSize / records for `localEpochs · round(1/q)` steps; the hospital refuses before
///   training when that segment would take its ledger past the budget, and writes the segment
///   (fsynced) after training and before the update is returned (write-ahead: a crash can
///   over-report ε, never under-report it).
/// - Without sample-level DP, a round is `localEpochs` passes of shuffled minibatches.
/// - The delta returned is local − global parameters; the record count is the FedAvg weight.
/// - Training borrows a core from the shared ``ComputeGate``; simulated slowness and straggling
///   idle outside it.
/// - Thread-safe: status and knobs may be read and set from any thread while it trains.
public final class LocalHospital: SampleLevelAccounting, @unchecked Sendable {
    public let name: String
    public let location = HospitalLocation.local
    /// The DP-SGD settings a hospital uses: its ledger, budget and noise source.
    public struct Privacy: Sendable {
        public var ledgerPath: String
        public var epsilonBudget: Double
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

        public init(ledgerPath: String, epsilonBudget: Double, delta: Double, noiseSeed: UInt64?, seal: LedgerSeal,
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

    private let data: HospitalData
    let architecture: Sequential
    private let gate: ComputeGate
    private let seed: UInt64
    private let ledger: PrivacyLedger?
    let noiseSeed: UInt64?
    private let lock = NSLock()
    private var dpsgd: DPSGD?
    private var _status = HospitalStatus.idle
    private var _knobs: SimulationKnobs
    private var _online = true
    private var _attack: (any PoisoningAttack)?
    private var _lastSentModel: Tensor?
    private var _keepsSentModel = false
    /// Its seat in secure rounds (``SecureAggregationHospital``).
    let secureSeat: SecureAggregationSeat
    /// What it accepts, checked on every round before any record is touched.
    public let policy: HospitalPolicy
    /// The ε budget its ledger held before this open (nil: a new ledger, or no ledger).
    public let budgetAtOpen: Double?

    /// - Parameters:
    ///   - architecture: the model's layers (its parameters are replaced by the global model's).
    ///   - privacy: the ledger and budget for sample-level DP, or nil for a hospital that never
    ///     trains with DP-SGD (asked to, it refuses).
    ///   - policy: what it accepts (``HospitalPolicy``); a simulated hospital of a run without
    ///     sample-level DP takes ``HospitalPolicy/permissive``.
    public init(name: String, data: HospitalData, architecture: Sequential, privacy: Privacy?,
                policy: HospitalPolicy = .permissive, knobs: SimulationKnobs = .init(),
                seed: UInt64, gate: ComputeGate) throws(HospitalError) {
        if let problem = knobs.problem { throw .invalidSettings(hospital: name, reason: problem) }
        if let problem = policy.problem { throw .invalidSettings(hospital: name, reason: "privacy policy: \(problem)") }
        if policy.requiresDPSGD, privacy == nil {
            throw .invalidSettings(hospital: name, reason: "privacy policy requires DP-SGD but the hospital has no ledger")
        }
        self.policy = policy
        self.name = name
        self.data = data
        self.architecture = architecture
        self.gate = gate
        self.seed = seed
        secureSeat = SecureAggregationSeat(hospital: name)
        _knobs = knobs
        noiseSeed = privacy?.noiseSeed
        if let privacy {
            do {
                ledger = try PrivacyLedger(path: privacy.ledgerPath, budget: (privacy.epsilonBudget, privacy.delta), seal: privacy.seal,
                                           raiseReason: privacy.raiseReason, allowNew: privacy.allowNewLedger)
            } catch {
                throw .ledger(hospital: name, reason: "\(error)")
            }
        } else {
            ledger = nil
        }
        budgetAtOpen = ledger?.recordedBudget?.epsilon
        if let ledger, ledger.spentEpsilon >= ledger.budget.epsilon { _status = .budgetExhausted }
    }

    // MARK: - Simulation and operator controls

    public var knobs: SimulationKnobs {
        get { lock.withLock { _knobs } }
        set { lock.withLock { _knobs = newValue } }
    }

    /// Takes the hospital off the network, or brings it back.
    public func setOnline(_ online: Bool) {
        lock.withLock {
            _online = online
            if !online { _status = .offline } else if _status == .offline { _status = .idle }
        }
    }

    /// The poisoning attack this hospital runs when it trains (nil: honest).
    public var attack: (any PoisoningAttack)? {
        get { lock.withLock { _attack } }
        set { lock.withLock { _attack = newValue } }
    }

    /// Whether the hospital is malicious; setting it true makes it flip its labels (``LabelFlipping``)
    /// unless it already runs an attack, false makes it honest.
    public var isMalicious: Bool {
        get { lock.withLock { _attack != nil } }
        set { lock.withLock { _attack = newValue ? (_attack ?? LabelFlipping()) : nil } }
    }

    /// Whether the hospital keeps ``lastSentModel`` (off by default: a copy of the model per hospital).
    public var keepsSentModel: Bool {
        get { lock.withLock { _keepsSentModel } }
        set { lock.withLock { _keepsSentModel = newValue } }
    }

    /// The local model its last update describes (global + the update it sent, noise and scaling
    /// included): what the aggregator, or anyone reading the wire, could rebuild. For the audit's
    /// membership inference on a hospital's local model; kept only when ``keepsSentModel`` is set.
    public var lastSentModel: Tensor? { lock.withLock { _lastSentModel } }

    /// The hospital's records, for the audit of a simulated federation only (membership inference
    /// needs to know who the members are). Nothing in the engine or the transport calls this: the
    /// ``Hospital`` interface still has no call that returns records.
    public var auditRecords: HospitalData { data }

    public var status: HospitalStatus { lock.withLock { _status } }

    private func setStatus(_ s: HospitalStatus) { lock.withLock { _status = s } }

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
                            secureNoise: noiseSeed == nil, policy: policy)
        }
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
        let started = ContinuousClock.now
        let knobs = self.knobs
        let (online, attack) = lock.withLock { (_online, _attack) }
        if !online || knobs.offlineRounds?.contains(settings.round) == true {
            setStatus(.offline)
            throw .offline(hospital: name)
        }
        if let problem = settings.problem { throw .invalidSettings(hospital: name, reason: problem) }
        guard globalModel.count == architecture.parameterCount else {
            throw .invalidSettings(hospital: name, reason: "model has \(globalModel.count) parameters, expected \(architecture.parameterCount)")
        }
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
        var draw = SeededGenerator(seed: seed, stream: 0x6661_696c_0000_0000 | UInt64(settings.round))
        if knobs.failureProbability > 0, draw.nextUnitDouble() < knobs.failureProbability {
            setStatus(.failed)
            throw .failed(hospital: name, reason: "simulated failure (probability \(knobs.failureProbability))")
        }
        setStatus(.training)
        var model = architecture
        do { try model.setParameters(globalModel) } catch {
            setStatus(.failed)
            throw .invalidSettings(hospital: name, reason: "\(error)")
        }
        let train = attack?.poison(data.train, round: settings.round) ?? data.train
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
        let slowdown = seconds(computeStarted.duration(to: .now)) * (1 / knobs.speed - 1)
        if slowdown > 0 { Thread.sleep(forTimeInterval: slowdown) }

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
        if knobs.stragglerDelay > 0 { Thread.sleep(forTimeInterval: knobs.stragglerDelay) }
        var delta = model.parameters
        delta.add(globalModel, scaledBy: -1)
        if let scale = attack?.updateScale, scale != 1 { delta.scale(by: scale) }
        if keepsSentModel {
            var sent = globalModel
            sent.add(delta, scaledBy: 1)
            lock.withLock { _lastSentModel = sent }
        }
        lock.withLock {
            _status = ledger.map { $0.spentEpsilon >= $0.budget.epsilon } == true ? .budgetExhausted : .idle
        }
        var update = HospitalUpdate(hospital: name, round: settings.round, delta: delta, sampleCount: data.train.count,
                                    trainLoss: outcome.loss, clippedFraction: outcome.clippedFraction,
                                    spend: settings.samplePrivacy == nil ? nil : spend, epsilonSpent: epsilon,
                                    secureNoise: noiseSeed == nil, seconds: seconds(started.duration(to: .now)))
        attack?.forge(&update)
        return update
    }

    /// The hospital's one DP-SGD state for the whole run (its noise streams never repeat), with
    /// this round's settings.
    private func dpState(settings: DPSGDSettings) throws -> DPSGD {
        try lock.withLock {
            var state = try dpsgd ?? DPSGD(settings: settings, seed: noiseSeed)
            state.settings = settings
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
                    var g = computer.compute(model: model, inputs: features.gathering(batch), labels: batch.map { labels[$0] })
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

    public func evaluate(globalModel: Tensor) throws(HospitalError) -> EvaluationMetrics {
        try evaluate(architecture: architecture, globalModel: globalModel)
    }

    /// The loss and accuracy of `architecture` with the parameters `globalModel` on the test split.
    public func evaluate(architecture: Sequential, globalModel: Tensor) throws(HospitalError) -> EvaluationMetrics {
        var model = architecture
        do { try model.setParameters(globalModel) } catch {
            throw .invalidSettings(hospital: name, reason: "\(error)")
        }
        var metrics = gate.withSlot { _ in ModelEvaluation.evaluate(model, features: data.test.features, labels: data.test.labels) }
        attack?.forge(&metrics)
        return metrics
    }
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}
