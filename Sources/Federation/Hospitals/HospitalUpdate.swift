import Privacy
import TensorCore

/// What a hospital sends back after a round of local training: the update and aggregate metrics.
public struct HospitalUpdate: Sendable {
    public var hospital: String
    public var round: Int
    /// Local parameters minus the global parameters (flat, like ``Sequential/parameters``).
    public var delta: Tensor
    /// Records the update was trained on (the FedAvg weight).
    public var sampleCount: Int
    /// Mean training loss over the round's batches.
    public var trainLoss: Double
    /// The share of per-sample gradients that were clipped (DP-SGD), 0 without DP.
    public var clippedFraction: Double
    /// The spend written to the hospital's ledger for this round (sample-level DP), if any.
    public var spend: PrivacySegment?
    /// ε spent by the hospital after this round (sample-level DP), if any.
    public var epsilonSpent: Double?
    /// Whether the DP noise was secure.
    public var secureNoise: Bool
    /// Wall-clock seconds the hospital took.
    public var seconds: Double

    public init(hospital: String, round: Int, delta: Tensor, sampleCount: Int, trainLoss: Double,
                clippedFraction: Double, spend: PrivacySegment?, epsilonSpent: Double?, secureNoise: Bool,
                seconds: Double) {
        self.hospital = hospital
        self.round = round
        self.delta = delta
        self.sampleCount = sampleCount
        self.trainLoss = trainLoss
        self.clippedFraction = clippedFraction
        self.spend = spend
        self.epsilonSpent = epsilonSpent
        self.secureNoise = secureNoise
        self.seconds = seconds
    }
}

/// A model's loss and accuracy on one test set (and its AUC for two classes).
public struct EvaluationMetrics: Sendable, Equatable, Codable {
    public var count: Int
    public var loss: Double
    public var accuracy: Double
    /// Area under the ROC curve of the positive class (two classes only).
    public var auc: Double?

    public init(count: Int, loss: Double, accuracy: Double, auc: Double?) {
        self.count = count
        self.loss = loss
        self.accuracy = accuracy
        self.auc = auc
    }

    /// Why these metrics cannot be counted, or nil: a count outside 1…`testRecords` (what the hospital
    /// announced), a loss that is not a finite number ≥ 0, an accuracy or AUC outside [0, 1].
    public func problem(testRecords: Int?) -> String? {
        if count < 1 { return "\(count) records evaluated" }
        if let testRecords, count > testRecords { return "\(count) records evaluated; the hospital holds \(testRecords) test records" }
        if !(loss.isFinite && loss >= 0) { return "loss \(loss) is not a finite number ≥ 0" }
        if !(0...1).contains(accuracy) { return "accuracy \(accuracy) outside [0, 1]" }
        if let auc, !(0...1).contains(auc) { return "AUC \(auc) outside [0, 1]" }
        return nil
    }

    /// The test-size-weighted mean of several hospitals' metrics (the federated evaluation). AUC is
    /// averaged over those that report one; each hospital computes its own, so no score leaves it.
    public static func weighted(_ parts: [EvaluationMetrics]) -> EvaluationMetrics? {
        // Weights in Double: no count, however large, can overflow the sum.
        let total = parts.reduce(0.0) { $0 + Double(max(0, $1.count)) }
        guard total > 0 else { return nil }
        var loss = 0.0, accuracy = 0.0, auc = 0.0, aucWeight = 0.0
        for p in parts where p.count > 0 {
            loss += p.loss * Double(p.count)
            accuracy += p.accuracy * Double(p.count)
            if let a = p.auc { auc += a * Double(p.count); aucWeight += Double(p.count) }
        }
        return EvaluationMetrics(count: Int(min(total, Double(Int.max / 2))), loss: loss / total, accuracy: accuracy / total,
                                 auc: aucWeight > 0 ? auc / aucWeight : nil)
    }
}
