import TensorCore

/// Norm bounding (Sun, Kairouz, Suresh & McMahan 2019, "Can you really backdoor federated
/// learning?"): each update is scaled down to L2 norm at most M, then the clipped updates are averaged
/// with sample weights as in FedAvg, which limits how far one boosted (backdoor) update can pull the
/// model.
///
/// Contract: M > 0 and finite; an update with ‖Δ‖ ≤ M is used as is, a longer one is scaled by
/// M/‖Δ‖ (norms in Double). A mean of clipped updates, so ``combination`` is `.mean`. Stateless; the
/// server step is global += aggregate. Name `normbound:M`, e.g. `normbound:1.5`.
public struct NormBounding: Strategy {
    /// M, the bound on each update's L2 norm.
    public let maxNorm: Double

    /// - Precondition: `maxNorm` finite and > 0.
    public init(maxNorm: Double) {
        precondition(maxNorm > 0 && maxNorm.isFinite, "NormBounding: norm bound M \(maxNorm) must be > 0")
        self.maxNorm = maxNorm
    }

    public var name: String { "normbound:\(maxNorm)" }
    public var combination: CombinationKind { .mean }

    public func combine(_ updates: [ClientUpdate]) -> Tensor {
        AggregationMath.folding(updates, rule: .boundedWeighted(maxNorm: maxNorm)).weightedMean(shape: updates[0].delta.shape)
    }

    public var foldRule: UpdateFold.Rule? { .boundedWeighted(maxNorm: maxNorm) }

    public func combine(folded: UpdateFold) -> Tensor { folded.weightedMean() }

    /// The hospitals whose updates were longer than M and were scaled down (for the audit).
    public static func clippedHospitals(_ updates: [ClientUpdate], maxNorm: Double) -> [String] {
        updates.filter { ($0.norm ?? $0.delta.norm()) > maxNorm }.map(\.hospital)
    }
}
