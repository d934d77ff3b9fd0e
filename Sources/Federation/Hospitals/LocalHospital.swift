import Datasets
import Foundation
import Privacy
import TensorCore

/// A simulated hospital: a production ``HospitalTrainer`` (its records, DP-SGD, policy, ledger and
/// budget, unchanged) wrapped with what a demo or a test needs — slower hardware, a slow link, random
/// failures, outages, a poisoning or forging attack, and a copy of the model it sent for the audit.
/// Local federations are made of these; `fedtop hospital --simulate` serves one.
///
/// Contract (beyond ``Hospital``'s and ``HospitalTrainer``'s):
/// - An offline hospital (``setOnline(_:)``, or a round in ``SimulationKnobs/offlineRounds``) refuses
///   with ``HospitalError/offline(hospital:)`` before the trainer sees the request.
/// - Everything else is the trainer's round, in order: the policy and budget checks, then a simulated
///   failure (seeded per round), the attack's poisoned records, training, idling for slowness outside
///   the shared cores, the ledger's write-ahead, the straggler delay, then the attack's scaling and
///   forgery of what leaves. A malicious hospital still pays for its rounds.
/// - Thread-safe: status and knobs may be read and set from any thread while it trains.
public final class LocalHospital: SampleLevelAccounting, @unchecked Sendable {
    /// The settings a hospital's DP-SGD uses (the trainer's).
    public typealias Privacy = HospitalTrainer.Privacy

    /// The production hospital this one simulates around.
    public let trainer: HospitalTrainer
    public var name: String { trainer.name }
    public let location = HospitalLocation.local
    private let lock = NSLock()
    private var _knobs: SimulationKnobs
    private var _online = true
    /// Offline for the current round of ``SimulationKnobs/offlineRounds`` (until the next request).
    private var offlineThisRound = false
    private var _attack: (any PoisoningAttack)?
    private var _lastSentModel: Tensor?
    private var _keepsSentModel = false

    /// Wraps `trainer`.
    public init(trainer: HospitalTrainer, knobs: SimulationKnobs = .init()) throws(HospitalError) {
        if let problem = knobs.problem { throw .invalidSettings(hospital: trainer.name, reason: problem) }
        self.trainer = trainer
        _knobs = knobs
    }

    /// A simulated hospital on its own trainer.
    /// - Parameters:
    ///   - architecture: the model's layers (its parameters are replaced by the global model's).
    ///   - privacy: the ledger and budget for sample-level DP, or nil for a hospital that never
    ///     trains with DP-SGD (asked to, it refuses).
    ///   - policy: what it accepts (``HospitalPolicy``); a simulated hospital of a run without
    ///     sample-level DP takes ``HospitalPolicy/permissive``.
    ///   - adversarial: train on adversarial examples (``AdversarialTraining``).
    public convenience init(name: String, data: HospitalData, architecture: Sequential, privacy: Privacy?,
                            policy: HospitalPolicy = .permissive, knobs: SimulationKnobs = .init(),
                            seed: UInt64, gate: ComputeGate, adversarial: AdversarialTraining? = nil) throws(HospitalError) {
        if let problem = knobs.problem { throw .invalidSettings(hospital: name, reason: problem) }
        try self.init(trainer: HospitalTrainer(name: name, data: data, architecture: architecture, privacy: privacy,
                                               policy: policy, seed: seed, gate: gate, adversarial: adversarial),
                      knobs: knobs)
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
            if online { offlineThisRound = false }
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

    /// Makes it malicious (label flipping) or honest: always possible for a simulated hospital.
    public func setMalicious(_ on: Bool) -> Bool {
        isMalicious = on
        return true
    }

    /// Whether the hospital keeps ``lastSentModel`` (off by default: a copy of the model per hospital).
    public var keepsSentModel: Bool {
        get { lock.withLock { _keepsSentModel } }
        set { lock.withLock { _keepsSentModel = newValue } }
    }

    /// The local model its last update describes (global + the update it sent, noise and scaling
    /// included): what the aggregator, or anyone reading the wire, could rebuild. For the audit's
    /// membership inference on a hospital's local model; kept only when ``keepsSentModel`` is set. Under
    /// federated dropout it is the sub-model's (shorter than the full model; the audit then skips the attack).
    public var lastSentModel: Tensor? { lock.withLock { _lastSentModel } }

    /// The hospital's records, for the audit of a simulated federation only (membership inference
    /// needs to know who the members are). Nothing in the engine or the transport calls this: the
    /// ``Hospital`` interface still has no call that returns records.
    public var auditRecords: HospitalData { trainer.data }

    // MARK: - The trainer's state

    public var status: HospitalStatus {
        lock.withLock { !_online || offlineThisRound } ? .offline : trainer.status
    }

    public var policy: HospitalPolicy { trainer.policy }
    public var budgetAtOpen: Double? { trainer.budgetAtOpen }
    public var accountant: RDPAccountant? { trainer.accountant }
    public var trainRecords: Int { trainer.trainRecords }
    public var ledgerNotes: [String] { trainer.ledgerNotes }
    public var epsilonSpent: Double { trainer.epsilonSpent }
    public var epsilonBudget: Double? { trainer.epsilonBudget }
    var architecture: Sequential { trainer.architecture }
    var noiseSeed: UInt64? { trainer.noiseSeed }
    var secureSeat: SecureAggregationSeat { trainer.secureSeat }

    public func summary() throws(HospitalError) -> HospitalSummary { try trainer.summary() }
    public func commitBudget() throws(HospitalError) { try trainer.commitBudget() }
    public func setBudget(epsilon: Double, reason: String) throws(HospitalError) { try trainer.setBudget(epsilon: epsilon, reason: reason) }
    public func plannedSpend(_ settings: RoundSettings) -> PrivacySegment? { trainer.plannedSpend(settings) }

    // MARK: - Training

    public func train(globalModel: Tensor, settings: RoundSettings,
                      progress: @escaping @Sendable (TrainingProgress) -> Void) throws(HospitalError) -> HospitalUpdate {
        try train(architecture: architecture, globalModel: globalModel, settings: settings, progress: progress)
    }

    /// One round of the trainer's (see ``HospitalTrainer/train(architecture:globalModel:settings:progress:)``)
    /// with this hospital's simulated behaviour.
    public func train(architecture: Sequential, globalModel: Tensor, settings: RoundSettings,
                      progress: @escaping @Sendable (TrainingProgress) -> Void) throws(HospitalError) -> HospitalUpdate {
        let behaviour = try simulatedBehaviour(round: settings.round)
        return try trainer.train(architecture: architecture, globalModel: globalModel, settings: settings,
                                 simulation: behaviour, progress: progress)
    }

    public func evaluate(globalModel: Tensor) throws(HospitalError) -> EvaluationMetrics {
        try evaluate(architecture: architecture, globalModel: globalModel)
    }

    /// The trainer's evaluation (policy-checked), forged by the attack if it forges metrics.
    public func evaluate(architecture: Sequential, globalModel: Tensor) throws(HospitalError) -> EvaluationMetrics {
        let attack = self.attack
        var behaviour = SimulatedBehaviour.none
        behaviour.finishEvaluation = { metrics in attack?.forge(&metrics) }
        return try trainer.evaluate(architecture: architecture, globalModel: globalModel, simulation: behaviour)
    }

    /// This round's behaviour, or the offline refusal.
    func simulatedBehaviour(round: Int) throws(HospitalError) -> SimulatedBehaviour {
        let knobs = self.knobs
        let (online, attack, keeps) = lock.withLock { (_online, _attack, _keepsSentModel) }
        let offline = !online || knobs.offlineRounds?.contains(round) == true
        lock.withLock { offlineThisRound = offline && online }
        if offline { throw .offline(hospital: name) }
        let name = self.name, seed = trainer.seed
        return SimulatedBehaviour(
            beforeTraining: { round throws(HospitalError) in
                var draw = SeededGenerator(seed: seed, stream: 0x6661_696c_0000_0000 | UInt64(round))
                if knobs.failureProbability > 0, draw.nextUnitDouble() < knobs.failureProbability {
                    throw .failed(hospital: name, reason: "simulated failure (probability \(knobs.failureProbability))")
                }
            },
            trainingRecords: { train, round in attack?.poison(train, round: round) ?? train },
            afterCompute: { computeSeconds in
                let slowdown = computeSeconds * (1 / knobs.speed - 1)
                if slowdown > 0 { Thread.sleep(forTimeInterval: slowdown) }
            },
            afterLedger: {
                if knobs.stragglerDelay > 0 { Thread.sleep(forTimeInterval: knobs.stragglerDelay) }
            },
            finish: { [weak self] update, globalModel in
                if let scale = attack?.updateScale, scale != 1 { update.delta.scale(by: scale) }
                if keeps, let self {
                    var sent = globalModel
                    sent.add(update.delta, scaledBy: 1)
                    self.lock.withLock { self._lastSentModel = sent }
                }
                attack?.forge(&update)
            },
            finishEvaluation: { metrics in attack?.forge(&metrics) })
    }
}

extension SimulatedBehaviour {
    /// No simulated behaviour: the production round.
    static var none: SimulatedBehaviour {
        SimulatedBehaviour(beforeTraining: { _ throws(HospitalError) in }, trainingRecords: { train, _ in train },
                           afterCompute: { _ in }, afterLedger: {}, finish: { _, _ in }, finishEvaluation: { _ in })
    }
}
