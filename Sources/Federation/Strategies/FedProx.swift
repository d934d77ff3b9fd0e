import TensorCore

/// FedProx (Li, Sahu, Zaheer, Sanjabi, Talwalkar & Smith 2020, "Federated optimization in
/// heterogeneous networks"): each hospital minimises its loss plus (μ/2)·‖w − w_global‖², which keeps
/// local models near the global one under heterogeneous data; the server aggregates like FedAvg (the
/// sample-weighted mean) and steps global += aggregate.
///
/// Contract: μ (``proximalMu``) is finite and ≥ 0 and is sent to the hospitals in
/// ``RoundSettings/proximalMu``; μ = 0 is FedAvg. Stateless. Name `fedprox:μ`, e.g. `fedprox:0.01`.
public struct FedProx: Strategy {
    /// μ, the proximal coefficient of the hospitals' local objective.
    public let proximalMu: Float

    /// - Precondition: `proximalMu` finite and ≥ 0.
    public init(proximalMu: Float) {
        precondition(proximalMu >= 0 && proximalMu.isFinite, "FedProx: proximal μ \(proximalMu) must be ≥ 0")
        self.proximalMu = proximalMu
    }

    public var name: String { "fedprox:\(proximalMu)" }
    public var combination: CombinationKind { .mean }

    public func combine(_ updates: [ClientUpdate]) -> Tensor {
        AggregationMath.weightedMean(updates)
    }

    public var foldRule: UpdateFold.Rule? { .weighted }

    public func combine(folded: UpdateFold) -> Tensor { folded.weightedMean() }
}
