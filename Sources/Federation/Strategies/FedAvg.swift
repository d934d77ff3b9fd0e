import TensorCore

/// Federated averaging (McMahan, Moore, Ramage, Hampson & Agüera y Arcas 2017, "Communication-efficient
/// learning of deep networks from decentralized data"): the aggregate is the mean of the updates
/// weighted by their sample counts, and the server step is global += η·aggregate.
///
/// Contract: η (``serverLearningRate``) is finite and > 0; 1 is the paper's algorithm (the new global
/// model is the weighted mean of the local models). Stateless. Name `fedavg`, or `fedavg:η` when η ≠ 1.
public struct FedAvg: Strategy {
    /// η, the server learning rate applied to the aggregate (1 in the paper).
    public let serverLearningRate: Float

    /// - Precondition: `serverLearningRate` finite and > 0.
    public init(serverLearningRate: Float = 1) {
        precondition(serverLearningRate > 0 && serverLearningRate.isFinite,
                     "FedAvg: server learning rate \(serverLearningRate) must be > 0")
        self.serverLearningRate = serverLearningRate
    }

    public var name: String { serverLearningRate == 1 ? "fedavg" : "fedavg:\(serverLearningRate)" }
    public var combination: CombinationKind { .mean }

    public func combine(_ updates: [ClientUpdate]) -> Tensor {
        AggregationMath.weightedMean(updates)
    }

    public var foldRule: UpdateFold.Rule? { .weighted }

    public func combine(folded: UpdateFold) -> Tensor { folded.weightedMean() }

    public mutating func apply(_ aggregate: Tensor, to global: inout Tensor) {
        global.add(aggregate, scaledBy: serverLearningRate)
    }
}
