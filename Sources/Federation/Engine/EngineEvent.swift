import Foundation

/// Something that happened in the engine: typed, immutable, timestamped. The console, the recorder,
/// the metrics writer and the audit log all read the same events.
public struct EngineEvent: Sendable, Codable, Equatable {
    /// Seconds since the run started (monotonic clock).
    public let time: Double
    /// Wall-clock time (seconds since 1970), for logs.
    public let wallTime: Double
    public let round: Int
    public let kind: Kind

    public init(time: Double, wallTime: Double, round: Int, kind: Kind) {
        self.time = time
        self.wallTime = wallTime
        self.round = round
        self.kind = kind
    }

    /// What happened.
    public enum Kind: Sendable, Codable, Equatable {
        case runStarted(RunDescription)
        case phaseChanged(RoundPhase)
        case roundStarted(selected: [String], settings: RoundSettings)
        /// Steps done inside a round by one hospital (may be coalesced for a slow subscriber).
        case progress(hospital: String, stepsDone: Int, stepsTotal: Int)
        case updateReceived(hospital: String, trainLoss: Double, clippedFraction: Double, epsilon: Double?, seconds: Double)
        case updateRejected(hospital: String, reason: String)
        /// A selected hospital that did not deliver: failure, offline, deadline, budget.
        case hospitalDropped(hospital: String, reason: String)
        /// A remote hospital's connection was lost (it is offline until it answers again) or came back.
        case hospitalConnection(hospital: String, connected: Bool, detail: String)
        /// A hospital's budget cannot pay for another round.
        case hospitalBudgetExhausted(hospital: String, spent: Double, budget: Double)
        /// A secure round moved to a new phase (or finished, or aborted below the threshold).
        case secureAggregation(SecureAggregationStatus)
        case roundCompleted(RoundSummary)
        /// Leave-one-out influence of each update in a round where a malicious hospital took part.
        case influence([HospitalInfluence])
        /// The live membership-inference attack on the new global model (simulated federations).
        case membershipAudit(MembershipAuditSnapshot)
        /// No aggregate this round (quorum not met); the global model is unchanged.
        case roundFailed(reason: String)
        case commandApplied(EngineCommand, effect: String)
        case commandRefused(EngineCommand, reason: String)
        /// The federation's client-level budget is spent.
        case federationBudgetExhausted(spent: Double, budget: Double)
        case checkpointWritten(path: String)
        case warning(String)
        case runFinished(RunOutcome)
    }

    /// Whether the event reports progress inside a round (the only kind a slow subscriber may lose
    /// to coalescing).
    public var isProgress: Bool {
        if case .progress = kind { return true }
        return false
    }
}

/// The configuration a run starts with, as events and the audit log record it.
public struct RunDescription: Sendable, Codable, Equatable {
    public var name: String
    public var dataset: String
    public var model: String
    public var parameters: Int
    public var hospitals: [String]
    public var rounds: Int
    public var strategy: String
    /// Which DP and its settings at the start, typed (a screen reads σ from here, never from text).
    public var privacy: RunPrivacy
    public var delta: Double
    public var epsilonBudget: Double?
    /// False when DP noise is seeded: any ε shown is then labelled "seeded".
    public var secureNoise: Bool
    public var startRound: Int

    public init(name: String, dataset: String, model: String, parameters: Int, hospitals: [String], rounds: Int,
                strategy: String, privacy: RunPrivacy, delta: Double, epsilonBudget: Double?, secureNoise: Bool,
                startRound: Int) {
        self.name = name
        self.dataset = dataset
        self.model = model
        self.parameters = parameters
        self.hospitals = hospitals
        self.rounds = rounds
        self.strategy = strategy
        self.privacy = privacy
        self.delta = delta
        self.epsilonBudget = epsilonBudget
        self.secureNoise = secureNoise
        self.startRound = startRound
    }
}

/// What one completed round produced.
public struct RoundSummary: Sendable, Codable, Equatable {
    public var round: Int
    public var selected: Int
    public var aggregated: Int
    /// Mean training loss over the aggregated updates (weighted by records).
    public var trainLoss: Double
    /// Federated evaluation (test-size weighted over the selected hospitals).
    public var evaluation: EvaluationMetrics?
    /// Evaluation on the central hold-out, when configured.
    public var centralEvaluation: EvaluationMetrics?
    /// ε spent by each hospital (sample-level DP), by name.
    public var hospitalEpsilon: [String: Double]
    /// ε spent by the federation (client-level DP).
    public var federationEpsilon: Double?
    public var noiseMultiplier: Double?
    public var clipNorm: Double?
    public var seconds: Double
    /// Seconds the hospitals spent training (the longest in the round).
    public var trainingSeconds: Double
    public var aggregationSeconds: Double
    /// Updates refused by validation this round (nil in recordings made before it was counted).
    public var rejected: Int?
    /// The model exchange's size, with federated dropout's kept fraction (nil in older recordings).
    public var communication: RoundCommunication?

    public init(round: Int, selected: Int, aggregated: Int, trainLoss: Double, evaluation: EvaluationMetrics?,
                centralEvaluation: EvaluationMetrics?, hospitalEpsilon: [String: Double], federationEpsilon: Double?,
                noiseMultiplier: Double?, clipNorm: Double?, seconds: Double, trainingSeconds: Double,
                aggregationSeconds: Double, rejected: Int? = 0, communication: RoundCommunication? = nil) {
        self.rejected = rejected
        self.communication = communication
        self.round = round
        self.selected = selected
        self.aggregated = aggregated
        self.trainLoss = trainLoss
        self.evaluation = evaluation
        self.centralEvaluation = centralEvaluation
        self.hospitalEpsilon = hospitalEpsilon
        self.federationEpsilon = federationEpsilon
        self.noiseMultiplier = noiseMultiplier
        self.clipNorm = clipNorm
        self.seconds = seconds
        self.trainingSeconds = trainingSeconds
        self.aggregationSeconds = aggregationSeconds
    }
}

/// How a run ended; the headless exit status follows it (0, 0, 3, 1, 4).
public enum RunOutcome: String, Sendable, Codable, Equatable {
    /// All rounds done.
    case finished
    /// Stopped by an operator.
    case stopped
    /// Stopped at the privacy budget.
    case budgetExhausted = "budget-exhausted"
    case failed
    /// Stopped because the model diverged (``DivergenceGuard``): non-finite or exploding losses, or a
    /// round with every update rejected.
    case diverged
}
