import Datasets
import TensorCore

/// A malicious hospital that trains honestly (and pays for it in its ledger) but forges what it sends:
/// an update of NaN or ∞, one scaled by K, or record counts of 2^63 − 1 (`--simulate
/// NAME:malicious=nan|inf|scale=K|counts`, for local hospitals and `fedtop hospital` alike). It exists
/// to show, across machines too, that the console refuses each one and the run goes on: the
/// validation of ``UpdateValidator`` and ``UpdateNormBound``, and the transport's range checks.
public struct UpdateForgery: PoisoningAttack {
    public enum Mode: Sendable, Equatable {
        /// Every value of the update, and the training and evaluation losses, NaN.
        case nan
        /// Every value of the update +∞.
        case infinity
        /// The update multiplied by K (finite: only a norm bound catches it).
        case scale(Float)
        /// The update's record count and the evaluation's count forged to 2^63 − 1.
        case wrongCounts
    }

    public let mode: Mode

    public init(_ mode: Mode) { self.mode = mode }

    public var name: String {
        switch mode {
        case .nan: "forge-nan"
        case .infinity: "forge-inf"
        case .scale: "forge-scale"
        case .wrongCounts: "forge-counts"
        }
    }

    public func poison(_ train: Dataset, round: Int) -> Dataset { train }

    public var updateScale: Float {
        if case .scale(let k) = mode { return k }
        return 1
    }

    public func forge(_ update: inout HospitalUpdate) {
        switch mode {
        case .nan:
            update.delta = Tensor(shape: update.delta.shape, repeating: .nan)
            update.trainLoss = .nan
        case .infinity:
            update.delta = Tensor(shape: update.delta.shape, repeating: .infinity)
        case .scale:
            break
        case .wrongCounts:
            update.sampleCount = Int.max
        }
    }

    public func forge(_ metrics: inout EvaluationMetrics) {
        switch mode {
        case .nan:
            metrics.loss = .nan
            metrics.accuracy = .nan
        case .wrongCounts:
            metrics.count = Int.max
        case .infinity, .scale:
            break
        }
    }
}
