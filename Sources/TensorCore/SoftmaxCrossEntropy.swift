/// Softmax cross-entropy over class logits, computed stably (max subtracted before exp, log-sum-exp).
///
/// Contract: `logits` is `[batch, classes]`, each label in `0..<classes`. The loss is per sample, and
/// the gradient row i is ∂ℓᵢ/∂logitsᵢ = softmax(logitsᵢ) − onehot(yᵢ): the gradient of the *sum* of
/// per-sample losses, as ``Layer/backward(_:parameters:workspace:mode:gradient:squaredNorms:needsInputGradient:)`` expects.
public enum SoftmaxCrossEntropy {
    /// Per-batch totals of one loss evaluation.
    public struct Result {
        /// Σᵢ ℓᵢ over the batch.
        public var lossSum: Double
        /// Samples whose largest logit is their label.
        public var correct: Int
        /// ∂(Σ ℓᵢ)/∂logits, `[batch, classes]` (only when asked for).
        public var gradient: Tensor?
        /// Each sample's loss ℓᵢ, in batch order (only when asked for with `perSample`; empty otherwise).
        /// ``lossSum`` is their sum, added in the same order.
        public var losses: [Double] = []
        /// Whether each sample's largest logit is its label (only with `perSample`; empty otherwise).
        public var isCorrect: [Bool] = []
    }

    /// The loss (and optionally its gradient, and the per-sample losses and verdicts) of `logits`
    /// against `labels`.
    public static func evaluate(logits: Tensor, labels: ArraySlice<Int>, computeGradient: Bool,
                                perSample: Bool = false) -> Result {
        precondition(logits.rank == 2 && logits.shape[0] == labels.count,
                     "SoftmaxCrossEntropy: logits \(logits.shape) for \(labels.count) labels")
        let classes = logits.shape[1]
        let gradient = computeGradient ? Tensor.uninitialized(shape: logits.shape) : nil
        let z = logits.pointer
        var lossSum = 0.0
        var correct = 0
        var losses: [Double] = [], isCorrect: [Bool] = []
        if perSample {
            losses.reserveCapacity(labels.count)
            isCorrect.reserveCapacity(labels.count)
        }
        for (i, label) in labels.enumerated() {
            precondition(label >= 0 && label < classes, "SoftmaxCrossEntropy: label \(label) not in 0..<\(classes)")
            let row = z + i * classes
            var maxValue = row[0], argmax = 0
            for c in 1..<classes where row[c] > maxValue { maxValue = row[c]; argmax = c }
            var sumExp: Float = 0
            for c in 0..<classes { sumExp += _expf(row[c] - maxValue) }
            let logSumExp = maxValue + _logf(sumExp)
            let loss = Double(logSumExp - row[label])
            lossSum += loss
            if argmax == label { correct += 1 }
            if perSample {
                losses.append(loss)
                isCorrect.append(argmax == label)
            }
            if let g = gradient?.mutablePointer {
                for c in 0..<classes { g[i * classes + c] = _expf(row[c] - logSumExp) }
                g[i * classes + label] -= 1
            }
        }
        return Result(lossSum: lossSum, correct: correct, gradient: gradient, losses: losses, isCorrect: isCorrect)
    }
}
