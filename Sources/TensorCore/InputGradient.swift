extension Sequential {
    /// The gradient of each sample's softmax cross-entropy with respect to that sample's *input*,
    /// ∂ℓᵢ/∂xᵢ: what evasion attacks (FGSM, Goodfellow et al. 2015; PGD, Madry et al. 2018) step along.
    ///
    /// Contract:
    /// - `inputs` is `[batch] + inputShape`, `labels` has one class index in `0..<classes` per sample.
    /// - `gradient` has the shape of `inputs`; row i is ∂ℓᵢ/∂xᵢ. One backward pass of the batch's summed
    ///   loss gives it exactly, because ℓⱼ does not depend on xᵢ for j ≠ i (no layer mixes samples).
    /// - `losses[i]` is ℓᵢ and `correct[i]` says whether sample i's largest logit is its label, both as
    ///   ``SoftmaxCrossEntropy`` computes them on the logits of ``logits(for:chunkSize:)``.
    /// - The model is not changed, and neither is any other gradient: the parameter gradients the
    ///   backward pass computes on the way (mode `.batchSum`) go to a scratch buffer that is discarded.
    ///   Every layer, the first included, is asked for its input gradient.
    /// - Samples are processed `chunkSize` at a time, so memory is bounded by one chunk's activations.
    public func inputGradient(_ inputs: Tensor, labels: [Int], chunkSize: Int = 256)
        -> (gradient: Tensor, losses: [Double], correct: [Bool]) {
        precondition(Array(inputs.shape.dropFirst()) == inputShape,
                     "Sequential \(kind): input shape \(inputs.shape) does not match [batch] + \(inputShape)")
        let n = inputs.shape[0]
        precondition(labels.count == n, "Sequential \(kind): \(labels.count) labels for a batch of \(n)")
        precondition(chunkSize > 0, "Sequential \(kind): chunk size must be positive, got \(chunkSize)")
        guard n > 0 else { return (Tensor(shape: inputs.shape), [], []) }
        let workspaces = makeWorkspaces()
        var discardedGradient = [Float](repeating: 0, count: parameterCount)
        var squaredNorms = [Double](repeating: 0, count: min(n, chunkSize))  // unused in `.batchSum`
        var parts: [Tensor] = []
        var losses: [Double] = [], correct: [Bool] = []
        losses.reserveCapacity(n)
        correct.reserveCapacity(n)
        var start = 0
        while start < n {
            let end = min(n, start + chunkSize)
            let chunk = (start == 0 && end == n) ? inputs : inputs.slice(start..<end)
            let logits = forward(chunk, workspaces: workspaces)
            let loss = SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels[start..<end],
                                                    computeGradient: true, perSample: true)
            losses += loss.losses
            correct += loss.isCorrect
            guard var dy = loss.gradient else { preconditionFailure("SoftmaxCrossEntropy returned no gradient") }
            parameters.withUnsafeBufferPointer { p in
                discardedGradient.withUnsafeMutableBufferPointer { g in
                    squaredNorms.withUnsafeMutableBufferPointer { sq in
                        for l in layers.indices.reversed() {
                            let range = parameterRanges[l]
                            guard let dx = layers[l].backward(
                                dy, parameters: UnsafeBufferPointer(rebasing: p[range]), workspace: workspaces[l],
                                mode: .batchSum, gradient: UnsafeMutableBufferPointer(rebasing: g[range]),
                                squaredNorms: sq, needsInputGradient: true)
                            else {
                                preconditionFailure("layer \(layers[l].name) returned no input gradient although asked for one")
                            }
                            dy = dx
                        }
                    }
                }
            }
            precondition(dy.count == chunk.count,
                         "Sequential \(kind): input gradient of \(dy.shape) for inputs of \(chunk.shape)")
            parts.append(dy.reshaped(chunk.shape))
            start = end
        }
        let gradient = parts.count == 1 ? parts[0] : Tensor.concatenating(parts)
        return (gradient, losses, correct)
    }
}
