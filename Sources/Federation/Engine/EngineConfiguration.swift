/// Which differential privacy a run uses.
public enum PrivacyMode: String, Sendable, Codable, CaseIterable {
    /// None: the ε shown is ∞.
    case off
    /// DP-SGD inside each hospital (each hospital's own ε for its own records).
    case sample
    /// DP-FedAvg at the aggregator (the federation's ε for any one hospital's participation).
    case client
    /// Both.
    case both

    public var sampleLevel: Bool { self == .sample || self == .both }
    public var clientLevel: Bool { self == .client || self == .both }
}

/// How hospitals are chosen for a round.
public enum HospitalSelection: Sendable, Equatable, Codable, CustomStringConvertible {
    /// This many, uniformly at random without replacement, among those available.
    case count(Int)
    /// Each available hospital joins independently with probability q (Poisson sampling, as the
    /// client-level accountant assumes).
    case rate(Double)

    public var description: String {
        switch self {
        case .count(let k): "\(k) per round"
        case .rate(let q): "Poisson rate \(q)"
        }
    }
}

/// Everything the engine needs to know about a run besides its parts (model, hospitals, strategy).
public struct EngineConfiguration: Sendable {
    public var name: String
    public var dataset: String
    public var rounds: Int
    public var localEpochs: Int
    public var batchSize: Int
    public var learningRate: Float
    public var momentum: Float
    public var privacy: PrivacyMode
    /// Sample-level σ and C (DP-SGD in the hospitals).
    public var noiseMultiplier: Double
    public var clipNorm: Double
    public var delta: Double
    /// The ε budget of each hospital and of the federation (client-level DP).
    public var epsilonBudget: Double?
    public var selection: HospitalSelection
    /// The fewest valid updates a round may aggregate; fewer and the round fails with no aggregate.
    public var quorum: Int
    /// Seconds a round waits for updates (nil: until every selected hospital answers).
    public var deadline: Double?
    public var seed: UInt64
    /// Updates with a larger L2 norm are rejected before aggregation (nil: no bound).
    public var maxUpdateNorm: Double?
    /// The first round to run (after a resume, the one after the last checkpoint).
    public var startRound: Int
    /// Whether the DP noise is secure (false when seeded; every ε shown then says "seeded").
    public var secureNoise: Bool
    /// Secure aggregation (the aggregator sees only the sum of the updates), or nil.
    public var secureAggregation: SecureAggregationSettings?
    /// The facts every checkpoint carries about its model, signed with it (nil: the strategy only).
    public var provenance: ModelProvenance?
    /// Federated dropout (Caldas et al. 2018): the share of each hidden layer's units a round's sub-model
    /// keeps, in (0, 1] (nil or 1: every round trains the full model). See ``FederatedDropout``.
    public var federatedDropout: Double?

    public init(name: String, dataset: String, rounds: Int, localEpochs: Int, batchSize: Int, learningRate: Float,
                momentum: Float, privacy: PrivacyMode, noiseMultiplier: Double, clipNorm: Double, delta: Double,
                epsilonBudget: Double?, selection: HospitalSelection, quorum: Int, deadline: Double?, seed: UInt64,
                maxUpdateNorm: Double? = nil, startRound: Int = 1, secureNoise: Bool = true,
                secureAggregation: SecureAggregationSettings? = nil, provenance: ModelProvenance? = nil,
                federatedDropout: Double? = nil) {
        self.name = name
        self.dataset = dataset
        self.rounds = rounds
        self.localEpochs = localEpochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.momentum = momentum
        self.privacy = privacy
        self.noiseMultiplier = noiseMultiplier
        self.clipNorm = clipNorm
        self.delta = delta
        self.epsilonBudget = epsilonBudget
        self.provenance = provenance
        self.selection = selection
        self.quorum = quorum
        self.deadline = deadline
        self.seed = seed
        self.maxUpdateNorm = maxUpdateNorm
        self.startRound = startRound
        self.secureNoise = secureNoise
        self.secureAggregation = secureAggregation
        self.federatedDropout = federatedDropout
    }

    /// The first thing wrong with this configuration, or nil.
    public var problem: String? {
        if rounds < 1 { return "rounds must be ≥ 1, got \(rounds)" }
        if startRound < 1 { return "start round must be ≥ 1, got \(startRound)" }
        if quorum < 1 { return "quorum must be ≥ 1, got \(quorum)" }
        if let deadline, !(deadline > 0) { return "deadline must be > 0 seconds, got \(deadline)" }
        switch selection {
        case .count(let k) where k < 1: return "hospitals per round must be ≥ 1, got \(k)"
        case .rate(let q) where !(q > 0 && q <= 1): return "sample rate must be in (0, 1], got \(q)"
        default: break
        }
        if privacy.clientLevel, case .count = selection {
            return "client-level DP needs Poisson selection of hospitals (a sample rate), not a fixed count"
        }
        if privacy != .off, !(delta > 0 && delta < 1) { return "δ must be in (0, 1), got \(delta)" }
        if privacy != .off, epsilonBudget == nil { return "DP needs an ε budget" }
        if let e = epsilonBudget, !(e > 0) { return "ε budget must be > 0, got \(e)" }
        if let problem = secureAggregation?.problem { return problem }
        if let keep = federatedDropout, !(keep > 0 && keep <= 1) {
            return "federated dropout's kept fraction must be in (0, 1], got \(keep)"
        }
        let probe = RoundSettings(round: 1, localEpochs: localEpochs, batchSize: batchSize, learningRate: learningRate,
                                  momentum: momentum, samplePrivacy: privacy.sampleLevel
                                      ? .init(noiseMultiplier: noiseMultiplier, clipNorm: clipNorm) : nil)
        return probe.problem
    }
}
