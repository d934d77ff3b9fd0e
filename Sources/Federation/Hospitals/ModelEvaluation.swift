import TensorCore

/// Loss, accuracy and AUC of a model on a test set: what a hospital computes on its own test split
/// and the engine on a central hold-out.
public enum ModelEvaluation {
    /// Evaluates `model` on `features`/`labels`; the AUC (of class 1's probability) only for two
    /// classes with both present.
    public static func evaluate(_ model: Sequential, features: Tensor, labels: [Int]) -> EvaluationMetrics {
        guard !labels.isEmpty else { return EvaluationMetrics(count: 0, loss: 0, accuracy: 0, auc: nil) }
        let logits = model.logits(for: features)
        let result = SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels[...], computeGradient: false)
        var auc: Double?
        if logits.shape.count == 2, logits.shape[1] == 2 {
            // softmax(z)₁ is monotone in z₁ − z₀, which ranks exactly like the probability.
            let margins = logits.withUnsafeBufferPointer { p in (0..<labels.count).map { Double(p[2 * $0 + 1] - p[2 * $0]) } }
            auc = areaUnderROC(scores: margins, positives: labels.map { $0 == 1 })
        }
        let n = Double(labels.count)
        return EvaluationMetrics(count: labels.count, loss: result.lossSum / n, accuracy: Double(result.correct) / n, auc: auc)
    }

    /// The area under the ROC curve: the probability that a random positive scores above a random
    /// negative, ties counting one half (the Mann–Whitney U statistic divided by n₊·n₋). Nil when
    /// either class is absent.
    public static func areaUnderROC(scores: [Double], positives: [Bool]) -> Double? {
        precondition(scores.count == positives.count, "areaUnderROC: \(scores.count) scores, \(positives.count) labels")
        let nPos = positives.filter { $0 }.count, nNeg = positives.count - nPos
        guard nPos > 0, nNeg > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        // Average ranks over ties, then U = Σ ranks of positives − n₊(n₊+1)/2.
        var rankSum = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count, scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let rank = Double(i + j + 2) / 2  // ranks are 1-based
            for k in i...j where positives[order[k]] { rankSum += rank }
            i = j + 1
        }
        let u = rankSum - Double(nPos) * Double(nPos + 1) / 2
        return u / (Double(nPos) * Double(nNeg))
    }
}
