import Privacy

/// A federation's settings after defaults: what ``FederationBuilder`` makes a running federation
/// from. A library user fills one in code; `fedtop run` fills one from its options.
///
/// Contract: the values are taken as given (the command line and run files check each option's
/// range); ``FederationBuilder`` refuses a combination that cannot run with
/// ``FederationError/configuration(_:)``.
public struct FederationPlan: Sendable {
    /// The run's name (the engine's events and the run folder carry it).
    public var name: String
    public var rounds: Int
    public var localEpochs: Int
    /// Expected batch size (Poisson batches under DP-SGD).
    public var batchSize: Int
    public var learningRate: Float
    public var momentum: Float
    /// The aggregation strategy as ``StrategyParser`` reads it (`fedavg`, `trimmed:0.2`, …).
    public var strategy: String
    public var privacy: PrivacyMode
    /// Each hospital's ε budget (and the federation's under client-level DP); nil without DP.
    public var epsilon: Double?
    public var delta: Double
    /// Sample-level σ; nil: calibrated so that every hospital ends the planned rounds within its budget.
    public var noise: Double?
    /// Sample-level per-sample clip norm C.
    public var clip: Double
    /// Client-level z; nil: calibrated to the budget.
    public var clientNoise: Double?
    /// Client-level update clip norm S.
    public var clientClip: Double
    /// Client-level adaptive clipping (Andrew et al. 2021).
    public var adaptiveClip: Bool
    /// Why a budget above the ledgers' is allowed (recorded in them); nil: a higher budget is refused.
    public var budgetReason: String?
    public var selection: HospitalSelection
    public var quorum: Int
    /// Seconds a round waits for updates (nil: no deadline).
    public var deadline: Double?
    /// Updates with a larger L2 norm are rejected (tightens the default bound).
    public var maxUpdateNorm: Double?
    /// Seed for the split, initialisation, selection and batches.
    public var seed: UInt64
    /// Seeded DP noise (reproducible, not secure); nil: noise keyed from the kernel.
    public var noiseSeed: UInt64?
    public var secureAggregation: SecureAggregationSettings?
    /// Simulated misbehaviour of local hospitals, by name (`hospital-2`).
    public var simulations: [String: SimulatedHospital]
    /// Local hospitals train on adversarial examples (``AdversarialTraining``); nil: clean batches.
    public var adversarial: AdversarialTraining?
    /// Federated dropout: the share of each hidden layer's units a round's sub-model keeps (``FederatedDropout``);
    /// nil: the full model every round.
    public var federatedDropout: Double?

    /// A plan on fedtop's defaults: 30 rounds of FedAvg, DP-SGD with ε = 3 at δ = 1e-5, 2 hospitals
    /// per round at least.
    public init(name: String, rounds: Int = 30, localEpochs: Int = 1, batchSize: Int = 64, learningRate: Float = 0.05,
                momentum: Float = 0.9, strategy: String = "fedavg", privacy: PrivacyMode = .sample, epsilon: Double? = 3,
                delta: Double = 1e-5, noise: Double? = nil, clip: Double = 1, clientNoise: Double? = nil, clientClip: Double = 1,
                adaptiveClip: Bool = false, budgetReason: String? = nil, selection: HospitalSelection, quorum: Int = 2,
                deadline: Double? = nil, maxUpdateNorm: Double? = nil, seed: UInt64 = 1, noiseSeed: UInt64? = nil,
                secureAggregation: SecureAggregationSettings? = nil, simulations: [String: SimulatedHospital] = [:],
                adversarial: AdversarialTraining? = nil, federatedDropout: Double? = nil) {
        self.name = name
        self.rounds = rounds
        self.localEpochs = localEpochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.momentum = momentum
        self.strategy = strategy
        self.privacy = privacy
        self.epsilon = privacy == .off ? nil : epsilon
        self.delta = delta
        self.noise = noise
        self.clip = clip
        self.clientNoise = clientNoise
        self.clientClip = clientClip
        self.adaptiveClip = adaptiveClip
        self.budgetReason = budgetReason
        self.selection = selection
        self.quorum = quorum
        self.deadline = deadline
        self.maxUpdateNorm = maxUpdateNorm
        self.seed = seed
        self.noiseSeed = noiseSeed
        self.secureAggregation = secureAggregation
        self.simulations = simulations
        self.adversarial = adversarial
        self.federatedDropout = federatedDropout
    }

    /// The defaults of ``init(name:rounds:localEpochs:batchSize:learningRate:momentum:strategy:privacy:epsilon:delta:noise:clip:clientNoise:clientClip:adaptiveClip:budgetReason:selection:quorum:deadline:maxUpdateNorm:seed:noiseSeed:secureAggregation:simulations:adversarial:federatedDropout:)``,
    /// where they are declared: fedtop's option table shows and applies these.
    public static let defaults = FederationPlan(name: "", selection: .count(1))
}

/// How a simulated local hospital misbehaves: its knobs and the attack it runs (nil: honest).
public struct SimulatedHospital: Sendable {
    public var knobs: SimulationKnobs
    public var attack: (any PoisoningAttack)?

    public init(knobs: SimulationKnobs = .init(), attack: (any PoisoningAttack)? = nil) {
        self.knobs = knobs
        self.attack = attack
    }
}
