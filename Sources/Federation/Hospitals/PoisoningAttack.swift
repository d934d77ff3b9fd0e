import Datasets

/// What a malicious simulated hospital does in each round it trains: it replaces the records it
/// trains on with poisoned ones and may scale the update it sends.
///
/// Contract: ``poison(_:round:)`` returns records of the same feature shape and classes (any count);
/// labels stay in range. ``updateScale`` multiplies the update that leaves the hospital (1: none; the
/// model-replacement attack of Bagdasaryan et al. 2020, "How to backdoor federated learning", scales
/// by about the number of participants so its model survives averaging). The hospital's DP-SGD, clip
/// and ledger are unchanged: a malicious hospital still pays for its rounds.
public protocol PoisoningAttack: Sendable, CustomStringConvertible {
    /// A short name for the console and the run's files (`label-flip`, `backdoor`).
    var name: String { get }
    /// The records to train on this round instead of `train`.
    func poison(_ train: Dataset, round: Int) -> Dataset
    /// The factor applied to the update before it leaves the hospital.
    var updateScale: Float { get }
    /// Last changes to what leaves the hospital (forged values and counts; nothing by default).
    func forge(_ update: inout HospitalUpdate)
    /// Last changes to an evaluation before it leaves the hospital (nothing by default).
    func forge(_ metrics: inout EvaluationMetrics)
}

extension PoisoningAttack {
    public var updateScale: Float { 1 }
    public func forge(_ update: inout HospitalUpdate) {}
    public func forge(_ metrics: inout EvaluationMetrics) {}
    public var description: String { updateScale == 1 ? name : "\(name) ×\(updateScale)" }
}

/// Label flipping: every label y becomes classes − 1 − y (Biggio et al. 2012; the data-poisoning
/// baseline of Fang et al. 2020, "Local model poisoning attacks to Byzantine-robust federated
/// learning"). The attack the console's `x` key turns on.
public struct LabelFlipping: PoisoningAttack {
    public let name = "label-flip"
    public init() {}

    public func poison(_ train: Dataset, round: Int) -> Dataset {
        let classes = train.classNames.count
        return Dataset(name: train.name, features: train.features, labels: train.labels.map { classes - 1 - $0 },
                       classNames: train.classNames)
    }
}
