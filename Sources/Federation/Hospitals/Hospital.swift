import Datasets
import Privacy
import TensorCore

/// A party of the federation that holds records and trains on them when asked.
///
/// Contract:
/// - There is no call that returns records: what leaves a hospital is a model update (clipped and
///   noised under DP), aggregate metrics and its own ε spend. Raw data never leaves.
/// - ``train(globalModel:settings:progress:)`` trains on the hospital's own records from the given
///   global parameters and returns the difference. A hospital under sample-level DP writes its spend
///   to its own ledger (fsynced) *before* it returns the update, and refuses with
///   ``HospitalError/budgetExhausted(hospital:spent:next:budget:)`` when the round would take it past
///   its budget.
/// - Calls may block (a remote hospital waits on the network); the engine calls them from its worker
///   queue, never from its own serial queue, and never two `train` calls on one hospital at a time.
/// - Nothing here assumes the hospital is in this process: `RemoteHospital` (transport) conforms too.
public protocol Hospital: AnyObject, Sendable {
    /// The hospital's name, unique in the federation.
    var name: String { get }
    /// Where the hospital runs.
    var location: HospitalLocation { get }
    /// What it can do, and what it holds, without any record.
    func summary() throws(HospitalError) -> HospitalSummary
    /// One round of local training from `globalModel`.
    func train(globalModel: Tensor, settings: RoundSettings,
               progress: @escaping @Sendable (TrainingProgress) -> Void) throws(HospitalError) -> HospitalUpdate
    /// The global model's loss and accuracy (and AUC for two classes) on the hospital's test split.
    func evaluate(globalModel: Tensor) throws(HospitalError) -> EvaluationMetrics
    /// The hospital's current status, cheap enough to read every frame.
    var status: HospitalStatus { get }
    /// Whether the hospital is known to run an attack: only a simulated one is (the audit's and the
    /// demo's), so the engine can measure its influence; a real hospital says false.
    var isMalicious: Bool { get }
    /// Makes a simulated hospital malicious (label flipping) or honest again; false, changing
    /// nothing, for a hospital that cannot be (a real one).
    func setMalicious(_ on: Bool) -> Bool
}

extension Hospital {
    public var isMalicious: Bool { false }
    public func setMalicious(_ on: Bool) -> Bool { false }
}

/// Where a hospital runs.
public enum HospitalLocation: Sendable, Equatable, CustomStringConvertible {
    /// In this process, simulated.
    case local
    /// A `fedtop hospital` process at an address.
    case remote(address: String)

    public var description: String {
        switch self {
        case .local: "local"
        case .remote(let address): address
        }
    }
}

/// What a hospital tells the federation about itself: counts and budget, never records.
public struct HospitalSummary: Sendable, Equatable, Codable {
    public var name: String
    public var trainRecords: Int
    public var testRecords: Int
    /// Records per class in the training split (aggregate counts only).
    public var classCounts: [Int]
    /// The hospital's own ε budget and δ under sample-level DP (nil without DP).
    public var epsilonBudget: Double?
    public var delta: Double?
    /// ε spent so far under sample-level DP.
    public var epsilonSpent: Double
    /// Whether its DP noise is secure (false: seeded, for tests and reproducible runs).
    public var secureNoise: Bool
    /// What the hospital accepts (nil: it did not say, e.g. a hospital of an older version).
    public var policy: HospitalPolicy?
    /// Its own adversarial training (``AdversarialTraining``), announced for the console; nil: clean batches.
    public var adversarial: AdversarialTraining?

    public init(name: String, trainRecords: Int, testRecords: Int, classCounts: [Int], epsilonBudget: Double?,
                delta: Double?, epsilonSpent: Double, secureNoise: Bool, policy: HospitalPolicy? = nil,
                adversarial: AdversarialTraining? = nil) {
        self.name = name
        self.trainRecords = trainRecords
        self.testRecords = testRecords
        self.classCounts = classCounts
        self.epsilonBudget = epsilonBudget
        self.delta = delta
        self.epsilonSpent = epsilonSpent
        self.secureNoise = secureNoise
        self.policy = policy
        self.adversarial = adversarial
    }
}

/// A hospital's state as the console shows it.
public enum HospitalStatus: String, Sendable, Equatable, Codable {
    case idle
    case training
    case offline
    case failed
    /// Dropped by the operator; not selected until restored.
    case dropped
    /// Its privacy budget cannot pay for another round.
    case budgetExhausted = "budget-exhausted"
}

/// Progress inside a round, published so a screen moves between round ends.
public struct TrainingProgress: Sendable, Equatable {
    public var stepsDone: Int
    public var stepsTotal: Int

    public init(stepsDone: Int, stepsTotal: Int) {
        self.stepsDone = stepsDone
        self.stepsTotal = stepsTotal
    }
}

/// Why a hospital did not deliver. Its `description` is for the local log; what goes to a peer is
/// ``peerMessage``, which names no detail.
public enum HospitalError: Error, Equatable, CustomStringConvertible {
    /// The round would take the hospital past its ε budget; it refused and spent nothing.
    case budgetExhausted(hospital: String, spent: Double, next: Double, budget: Double)
    case offline(hospital: String)
    /// Training failed (a simulated failure, or a real one with its reason).
    case failed(hospital: String, reason: String)
    /// The round's settings were refused (out of bounds).
    case invalidSettings(hospital: String, reason: String)
    /// The hospital's ledger could not be written: it refuses to send an unpaid update.
    case ledger(hospital: String, reason: String)
    /// A secure-aggregation step failed or was refused (a misbehaving aggregator, a lost session).
    case secureAggregation(hospital: String, reason: String)
    /// The round breaks the hospital's own privacy policy (``HospitalPolicy``); nothing was touched.
    case policyRefused(hospital: String, rule: String)

    public var description: String {
        switch self {
        case let .budgetExhausted(h, spent, next, budget):
            "\(h): privacy budget exhausted (ε spent \(format(spent)), the round would reach \(format(next)) > budget \(format(budget)))"
        case .offline(let h): "\(h): offline"
        case let .failed(h, reason): "\(h): training failed: \(reason)"
        case let .invalidSettings(h, reason): "\(h): round settings refused: \(reason)"
        case let .ledger(h, reason): "\(h): privacy ledger not written, update withheld: \(reason)"
        case let .secureAggregation(h, reason): "\(h): \(reason)"
        case let .policyRefused(h, rule): "\(h): refused by its privacy policy: \(rule)"
        }
    }

    /// A generic message for a peer; details stay in the local log.
    public var peerMessage: String {
        switch self {
        case .budgetExhausted: "privacy budget exhausted"
        case .offline: "unavailable"
        case .failed, .ledger: "training failed"
        case .invalidSettings: "round settings refused"
        case .secureAggregation: "secure aggregation step refused"
        case .policyRefused: Self.policyPeerMessage
        }
    }

    /// What a peer is told when the hospital's policy refuses a round (no rule named).
    public static let policyPeerMessage = "refused by the hospital's privacy policy"

    private func format(_ x: Double) -> String { x.isFinite ? String(format: "%.3f", x) : "∞" }
}
