import Datasets
import Dispatch
import Foundation
import Privacy
import TensorCore

/// Where the engine saves the global model after each round (a durable, signed checkpoint).
public protocol RoundCheckpointing: Sendable {
    /// Writes the model of `round` and the strategy's server state durably; returns the path written.
    /// Called from one background writer at a time (see ``CheckpointPipeline``).
    func write(model: Sequential, round: Int, serverState: [String: Tensor], metadata: [String: String]) throws -> String
}

/// The federation engine: runs rounds across hospitals on a background queue, publishes everything
/// that happens as ``EngineEvent``s on its ``bus``, and obeys ``EngineCommand``s at safe points.
///
/// Contract:
/// - The engine's state lives on one serial queue; hospital calls run on a concurrent queue (local
///   hospitals share the cores through a ``ComputeGate``). ``send(_:)`` and ``bus`` may be used from
///   any thread.
/// - One round (the README's design section): select (a count, or Poisson rate q under client-level DP)
///   → broadcast the settings → hospitals train (each writes its spend before its update leaves) →
///   collect until all answer or the deadline → validate → aggregate with the strategy (DP-FedAvg
///   wraps it; the federation's spend is written before the new model exists) → evaluate →
///   checkpoint → `roundCompleted`. A round with fewer valid updates than the quorum fails cleanly:
///   no aggregate, the global model unchanged.
/// - Commands are applied between rounds, or at once while paused; each is answered by an event.
/// - A hospital that refuses for its budget is not selected again; when fewer than the quorum can
///   still train, or the federation's budget cannot pay for a round, the run ends with
///   ``RunOutcome/budgetExhausted``.
/// - Determinism: with a seed and seeded noise, two runs give the same per-round metrics (updates
///   are aggregated in the federation's order, whatever order they arrive in).
public final class Engine: @unchecked Sendable {
    public let bus: EventBus
    public private(set) var configuration: EngineConfiguration
    let hospitals: [any Hospital]
    var strategy: any Strategy
    var model: Sequential
    let federationLedger: PrivacyLedger?
    let centralTest: Dataset?
    /// The background writer of round checkpoints, when the run has a store.
    let checkpoints: CheckpointPipeline?
    let validator: UpdateValidator
    let datasetName: String
    /// Binds every secure-aggregation session to this run (with the round and the roster).
    let sessionRunID = UUID().uuidString
    /// FedAvg's weight cap under secure aggregation: the largest hospital's training records.
    let secureWeightCap: Int
    /// The records each in-process hospital holds, read once at the start: they do not change during
    /// a run, and a summary costs a class count and an ε readout (twice a round per hospital, it
    /// showed in a small federation's profile). Nil for remote hospitals, which are asked each time
    /// (a reconnected hospital introduces itself again).
    private let localRecords: [(train: Int, test: Int)?]

    /// The training and test records of hospital `i`, or nil if it cannot say.
    func heldRecords(_ i: Int) -> (train: Int, test: Int)? {
        if let known = localRecords[i] { return known }
        return (try? hospitals[i].summary()).map { ($0.trainRecords, $0.testRecords) }
    }

    private let queue = DispatchQueue(label: "fedtop.engine")
    /// The threads hospitals are called on (more than the cores: see ``HospitalWorkers``).
    let workers: HospitalWorkers
    let startInstant: ContinuousClock.Instant
    private let finished = DispatchSemaphore(value: 0)

    // Commands, guarded by `inbox`.
    let inbox = NSCondition()
    private var pendingCommands: [EngineCommand] = []

    // Hospitals still busy with a round past its deadline, guarded by `inbox`.
    var inFlight: Set<Int> = []

    /// Attacks each round's global model beside the next round (the live audit), if set.
    let audits: AuditPipeline?

    // Engine state: touched only on `queue`.
    var round = 0
    var paused = false
    var stepsAllowed = 0
    var stopRequested = false
    var dropped: Set<Int> = []
    var exhausted: Set<Int> = []
    var hospitalEpsilon: [String: Double] = [:]
    var completedRounds = 0
    /// Watches each round for non-finite or exploding losses, and rounds with every update rejected.
    var divergence: DivergenceGuard
    var divergenceResponse = DivergenceResponse.stop
    private var _outcome: RunOutcome?
    private var _phase = RoundPhase.idle
    /// The round of the last phase entered, for events published from other threads (guarded by `inbox`).
    private var _phaseRound = 0

    /// - Parameters:
    ///   - model: the initial global model (or the resumed one).
    ///   - federationLedger: the federation's ledger for client-level DP (required when it is on).
    ///   - centralTest: a central hold-out evaluated every round, when configured.
    public init(configuration: EngineConfiguration, model: Sequential, hospitals: [any Hospital], strategy: any Strategy,
                federationLedger: PrivacyLedger? = nil, centralTest: Dataset? = nil,
                checkpoint: RoundCheckpointing? = nil, bus: EventBus = EventBus(),
                auditor: (any RoundAuditor)? = nil) throws(FederationError) {
        if let problem = configuration.problem { throw .configuration(problem) }
        if let keep = configuration.federatedDropout {
            do { _ = try FederatedDropout(keep: keep, seed: configuration.seed).subModel(of: model, round: 1) } catch {
                throw .configuration("--federated-dropout: \(model.kind) cannot be thinned: \(error)")
            }
        }
        guard !hospitals.isEmpty else { throw .configuration("a federation needs at least one hospital") }
        let names = hospitals.map(\.name)
        if let dup = Dictionary(grouping: names, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw .configuration("two hospitals are named \(dup)")
        }
        if configuration.quorum > hospitals.count {
            throw .configuration("quorum \(configuration.quorum) exceeds the \(hospitals.count) hospitals")
        }
        if configuration.privacy.clientLevel {
            guard strategy.clientPrivacy != nil else { throw .configuration("client-level DP needs the strategy wrapped in DPFedAvg") }
            guard federationLedger != nil else { throw .configuration("client-level DP needs the federation's ledger") }
        }
        if let secure = configuration.secureAggregation {
            guard strategy.combination == .mean else {
                throw .configuration("secure aggregation hides every single update, so \(strategy.name) (which must see each one) "
                                     + "cannot run under it; use fedavg, fedprox, fedadam, fedyogi or fedadagrad, with "
                                     + "norm bounding (enforced by each hospital on its own update) for robustness")
            }
            if strategy.clientPrivacy?.mechanism.adaptive != nil {
                throw .configuration("adaptive clipping needs each hospital's clipped bit, which secure aggregation hides; use a fixed clip norm")
            }
            guard hospitals.count >= 2 else { throw .configuration("secure aggregation needs at least 2 hospitals") }
            if let h = hospitals.first(where: { !($0 is any SecureAggregationHospital) }) {
                throw .configuration("\(h.name) cannot take part in secure aggregation")
            }
            if case .count(let k) = configuration.selection, k < 2 {
                throw .configuration("secure aggregation needs at least 2 hospitals per round, got \(k)")
            }
            _ = secure
            if configuration.privacy.clientLevel, configuration.quorum < 1 {
                throw .configuration("distributed noise needs a quorum of at least 1")
            }
        }
        let summaries = hospitals.map { try? $0.summary() }
        secureWeightCap = max(1, summaries.compactMap { $0?.trainRecords }.max() ?? 1)
        localRecords = zip(hospitals, summaries).map { hospital, summary in
            hospital.location == .local ? summary.map { ($0.trainRecords, $0.testRecords) } : nil
        }
        self.configuration = configuration
        self.model = model
        self.hospitals = hospitals
        workers = HospitalWorkers(limit: HospitalWorkers.limit(remoteHospitals: hospitals.filter { $0.location != .local }.count))
        self.strategy = strategy
        self.federationLedger = federationLedger
        self.centralTest = centralTest
        self.bus = bus
        let started = ContinuousClock.now
        audits = auditor.map { auditor in
            AuditPipeline(auditor: auditor) { round, snapshot in
                bus.publish(round: round, kind: .membershipAudit(snapshot), since: started)
            }
        }
        checkpoints = checkpoint.map { target in
            CheckpointPipeline(target: target) { round, result in
                let kind: EngineEvent.Kind
                switch result {
                case .success(let path): kind = .checkpointWritten(path: path)
                case .failure(let error): kind = .warning("checkpoint of round \(round) not written: \(error)")
                }
                bus.publish(round: round, kind: kind, since: started)
            }
        }
        datasetName = configuration.dataset
        divergence = DivergenceGuard(classes: model.outputShape.reduce(1, *))
        validator = UpdateValidator(parameterCount: model.parameterCount, maxNorm: configuration.maxUpdateNorm)
        startInstant = started
    }

    // MARK: - Control

    /// What the engine does when a round diverges (``DivergenceGuard``).
    public enum DivergenceResponse: Sendable {
        /// End the run with ``RunOutcome/diverged`` (headless runs: nobody is watching to intervene).
        case stop
        /// Hold the run after a warning, for the operator to change the settings and resume (the console).
        case pause
    }

    /// Starts the run on the engine's queue and returns at once; a diverging round stops or pauses it.
    public func start(onDivergence: DivergenceResponse = .stop) {
        queue.async { [self] in
            divergenceResponse = onDivergence
            let outcome = runLoop()
            inbox.withLock { _outcome = outcome }
            bus.close()
            finished.signal()
        }
    }

    /// Waits for the run to end and returns how it ended.
    @discardableResult
    public func wait() -> RunOutcome {
        finished.wait()
        finished.signal()  // later waiters return too
        return inbox.withLock { _outcome! }
    }

    /// Queues a command; it takes effect at the next safe point (answered by an event).
    public func send(_ command: EngineCommand) {
        inbox.withLock {
            pendingCommands.append(command)
            inbox.broadcast()
        }
    }

    /// The current phase (for a status line; the console follows the events).
    public var phase: RoundPhase { inbox.withLock { _phase } }

    /// The global model's parameters now (safe from any thread once the run has ended).
    public var globalModel: Sequential { queue.sync { model } }

    // MARK: - Events

    /// Reports that a remote hospital's connection was lost or came back (its transport calls this);
    /// published as ``EngineEvent/Kind/hospitalConnection(hospital:connected:detail:)``.
    /// Safe from any thread, and published at once (the engine's queue may be busy with a round).
    public func reportConnection(hospital: String, connected: Bool, detail: String) {
        let round = inbox.withLock { _phaseRound }
        bus.publish(round: round, kind: .hospitalConnection(hospital: hospital, connected: connected, detail: detail), since: startInstant)
    }

    func publish(_ kind: EngineEvent.Kind, round: Int? = nil) {
        bus.publish(round: round ?? self.round, kind: kind, since: startInstant)
    }

    func enter(_ phase: RoundPhase) {
        inbox.withLock {
            _phase = phase
            _phaseRound = round
        }
        publish(.phaseChanged(phase))
    }

    // MARK: - The loop

    private func runLoop() -> RunOutcome {
        publish(.runStarted(describe()), round: configuration.startRound - 1)
        enter(.idle)
        round = configuration.startRound - 1
        var outcome = RunOutcome.finished
        while round < configuration.rounds {
            applyCommands()
            while paused && stepsAllowed == 0 && !stopRequested {
                if _phase != .paused {
                    checkpoints?.flush()  // a held run is durable
                    audits?.flush()  // and shows its last round's audit
                    enter(.paused)
                }
                waitForCommands()
                applyCommands()
            }
            if stopRequested { outcome = .stopped; break }
            if stepsAllowed > 0 { stepsAllowed -= 1 }
            round += 1
            switch runRound() {
            case .completed: completedRounds += 1
            case .failed: break
            case .budgetExhausted: outcome = .budgetExhausted
            case .diverged(let reason):
                switch divergenceResponse {
                case .stop:
                    _ = reason  // published with the round's failure
                    publish(.warning("the run diverged in round \(round); stopping with round \(round - 1)'s model"))
                    outcome = .diverged
                case .pause where round < configuration.rounds:
                    publish(.warning("the run diverged in round \(round) (\(reason)); paused with round \(round - 1)'s model: "
                                     + "lower the noise or the learning rate, then resume"))
                    paused = true
                    stepsAllowed = 0
                case .pause:
                    // The last round: nothing to resume into, and a run that diverged never ends "finished".
                    publish(.warning("the run diverged in its last round (\(reason)); it ends with round \(round - 1)'s model"))
                    outcome = .diverged
                }
            }
            if outcome == .budgetExhausted || outcome == .diverged { break }
        }
        if outcome == .finished, completedRounds == 0 { outcome = .failed }
        checkpoints?.flush()
        audits?.flush()
        switch outcome {
        case .finished, .stopped: enter(.finished)
        case .budgetExhausted: enter(.budgetExhausted)
        case .failed, .diverged: enter(.failed)
        }
        publish(.runFinished(outcome))
        return outcome
    }

    private func waitForCommands() {
        inbox.withLock {
            while pendingCommands.isEmpty { inbox.wait() }
        }
    }

    private func describe() -> RunDescription {
        let p = configuration.privacy
        let dp = strategy.clientPrivacy
        let privacy = RunPrivacy(mode: p,
                                 sampleNoise: p.sampleLevel ? configuration.noiseMultiplier : nil,
                                 sampleClip: p.sampleLevel ? configuration.clipNorm : nil,
                                 clientNoise: dp?.mechanism.noiseMultiplier, clientClip: dp?.mechanism.clipNorm,
                                 clientSampleRate: dp?.sampleRate)
        return RunDescription(name: configuration.name, dataset: datasetName, model: model.kind,
                              parameters: model.parameterCount, hospitals: hospitals.map(\.name),
                              rounds: configuration.rounds, strategy: strategy.name, privacy: privacy,
                              delta: configuration.delta, epsilonBudget: configuration.epsilonBudget,
                              secureNoise: configuration.secureNoise, startRound: configuration.startRound)
    }

    // MARK: - Commands (applied on the engine's queue, at safe points)

    private func applyCommands() {
        let commands = inbox.withLock { () -> [EngineCommand] in
            defer { pendingCommands.removeAll() }
            return pendingCommands
        }
        for c in commands {
            switch apply(c) {
            case .success(let effect): publish(.commandApplied(c, effect: effect))
            case .failure(let refusal): publish(.commandRefused(c, reason: refusal.reason))
            }
        }
    }

    struct Refusal: Error { var reason: String }

    private func hospitalIndex(_ name: String) throws(Refusal) -> Int {
        guard let i = hospitals.firstIndex(where: { $0.name == name }) else { throw Refusal(reason: "no hospital named \(name)") }
        return i
    }

    /// Refuses a live σ or C that a hospital's announced policy would refuse (its name, the rule, its
    /// policy): the operator hears it now, instead of every round failing at that hospital.
    private func checkPolicies(noiseMultiplier: Double, clipNorm: Double, round: Int) throws(Refusal) {
        var settings = roundSettings(round: round)
        settings.samplePrivacy = .init(noiseMultiplier: noiseMultiplier, clipNorm: clipNorm)
        // Dropped and exhausted hospitals do not train; a dropped one is checked again when restored.
        for (i, hospital) in hospitals.enumerated() where !dropped.contains(i) && !exhausted.contains(i) {
            if let (policy, rule) = HospitalPolicy.refusal(by: hospital, of: settings) {
                throw Refusal(reason: "\(hospital.name) would refuse it: \(rule) (its policy: \(policy.summary))")
            }
        }
    }

    private func apply(_ command: EngineCommand) -> Result<String, Refusal> {
        do throws(Refusal) {
            let next = round + 1
            switch command {
            case .pause:
                paused = true
                stepsAllowed = 0
                return .success("paused after round \(round)")
            case .resume:
                guard paused else { throw Refusal(reason: "not paused") }
                paused = false
                return .success("resumed at round \(next)")
            case .step:
                guard paused else { throw Refusal(reason: "step works while paused") }
                stepsAllowed = 1
                return .success("stepping one round (\(next))")
            case .stop:
                stopRequested = true
                return .success("stopping after round \(round)")
            case .setSampleNoise(let sigma):
                guard configuration.privacy.sampleLevel else { throw Refusal(reason: "σ is sample-level DP-SGD's, which is off in this run") }
                try checkPolicies(noiseMultiplier: sigma.value, clipNorm: configuration.clipNorm, round: next)
                configuration.noiseMultiplier = sigma.value
                return .success(String(format: "σ %.3f from round %d (a new accountant segment)", sigma.value, next))
            case .setClientNoise(let z):
                guard strategy.clientPrivacy != nil else { throw Refusal(reason: "z is client-level DP-FedAvg's, which is off in this run") }
                do { try strategy.setClientNoise(z) } catch { throw Refusal(reason: error.description) }
                return .success(String(format: "z %.3f from round %d (a new accountant segment)", z.value, next))
            case .setSampleClip(let c):
                guard configuration.privacy.sampleLevel else { throw Refusal(reason: "C is sample-level DP-SGD's, which is off in this run") }
                try checkPolicies(noiseMultiplier: configuration.noiseMultiplier, clipNorm: c.value, round: next)
                configuration.clipNorm = c.value
                return .success(String(format: "C %.3f from round %d", c.value, next))
            case .setClientClip(let s):
                guard strategy.clientPrivacy != nil else { throw Refusal(reason: "S is client-level DP-FedAvg's, which is off in this run") }
                do { try strategy.setClientClip(s) } catch { throw Refusal(reason: error.description) }
                return .success(String(format: "S %.3f from round %d", s.value, next))
            case .setLearningRate(let r):
                guard r > 0, r.isFinite else { throw Refusal(reason: "learning rate must be > 0, got \(r)") }
                configuration.learningRate = Float(r)
                return .success(String(format: "learning rate %.4g from round %d", r, next))
            case .setHospitalsPerRound(let k):
                guard case .count = configuration.selection else {
                    throw Refusal(reason: "hospitals are Poisson-sampled with rate q (client-level DP); the count is not fixed")
                }
                guard k >= 1, k <= hospitals.count else { throw Refusal(reason: "hospitals per round must be in 1…\(hospitals.count)") }
                guard k >= configuration.quorum else { throw Refusal(reason: "\(k) per round is below the quorum \(configuration.quorum)") }
                configuration.selection = .count(k)
                return .success("\(k) hospitals per round from round \(next)")
            case .dropHospital(let name):
                let i = try hospitalIndex(name)
                guard !dropped.contains(i) else { throw Refusal(reason: "\(name) is already dropped") }
                dropped.insert(i)
                return .success("\(name) dropped from round \(next)")
            case .restoreHospital(let name):
                let i = try hospitalIndex(name)
                guard dropped.contains(i) else { throw Refusal(reason: "\(name) is not dropped") }
                if configuration.privacy.sampleLevel, let (policy, rule) = HospitalPolicy.refusal(by: hospitals[i], of: roundSettings(round: next)) {
                    throw Refusal(reason: "\(name) would refuse the run's settings: \(rule) (its policy: \(policy.summary))")
                }
                dropped.remove(i)
                return .success("\(name) restored from round \(next)")
            case let .setMalicious(name, on):
                let i = try hospitalIndex(name)
                guard hospitals[i].setMalicious(on) else {
                    throw Refusal(reason: "\(name) is remote; only simulated hospitals can be made malicious")
                }
                return .success("\(name) \(on ? "flips its labels (malicious)" : "is honest again") from round \(next)")
            }
        } catch {
            return .failure(error)
        }
    }
}
