import Foundation
import TensorCore

/// Per-record signals a membership-inference attack reads from a model's outputs.
///
/// Contract: `features` is `[n] + model.inputShape`, `labels` has n entries in range. Values are
/// finite for finite logits.
public enum ModelScores {
    /// The softmax cross-entropy of each record (Yeom et al. 2018's signal).
    public static func losses(model: Sequential, features: Tensor, labels: [Int]) -> [Double] {
        precondition(features.shape.first == labels.count, "ModelScores: \(labels.count) labels for features \(features.shape)")
        guard !labels.isEmpty else { return [] }
        return SoftmaxCrossEntropy.evaluate(logits: model.logits(for: features), labels: labels[...], computeGradient: false,
                                            perSample: true).losses
    }

    /// The logit-scaled confidence φ = log(p_y / (1 − p_y)) = z_y − log Σ_{j≠y} e^{z_j}, computed
    /// from the logits without forming p (Carlini et al. 2022, "Membership inference attacks from
    /// first principles", §IV-B: φ of the true-class confidence is close to Gaussian across models,
    /// which the likelihood-ratio test assumes).
    public static func scaledConfidences(model: Sequential, features: Tensor, labels: [Int]) -> [Double] {
        perRecord(model: model, features: features, labels: labels) { z, y in
            var others = z
            others.remove(at: y)
            return Double(z[y]) - logSumExp(others)
        }
    }

    private static func perRecord(model: Sequential, features: Tensor, labels: [Int],
                                  _ score: ([Float], Int) -> Double) -> [Double] {
        precondition(features.shape.first == labels.count, "ModelScores: \(labels.count) labels for features \(features.shape)")
        guard !labels.isEmpty else { return [] }
        let logits = model.logits(for: features)
        let classes = logits.shape[1]
        return logits.withUnsafeBufferPointer { p in
            labels.enumerated().map { i, y in
                precondition(y >= 0 && y < classes, "ModelScores: label \(y) not in 0..<\(classes)")
                return score(Array(p[(i * classes)..<((i + 1) * classes)]), y)
            }
        }
    }

    /// log Σ e^{z_j}, stably (max subtracted); −∞ for an empty list.
    static func logSumExp(_ z: [Float]) -> Double {
        guard let m = z.max() else { return -.infinity }
        let top = Double(m)
        return top + log(z.reduce(0.0) { $0 + exp(Double($1) - top) })
    }
}
