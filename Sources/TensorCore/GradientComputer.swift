import Dispatch

/// The gradient of one batch: the sum over its samples, per-sample clipped when asked.
public struct BatchGradient: Sendable {
    /// Σᵢ gᵢ, or Σᵢ min(1, C/‖gᵢ‖)·gᵢ with clipping; flat, like ``Sequential/parameters``.
    public var gradient: Tensor
    /// Σᵢ ℓᵢ, the summed loss of the batch before the step.
    public var lossSum: Double
    /// Samples classified correctly before the step.
    public var correct: Int
    /// Samples in the batch.
    public var count: Int
    /// With clipping: samples whose gradient norm exceeded C (so were scaled down).
    public var clippedCount: Int
    /// With clipping: samples whose gradient was not finite (NaN or ∞), which contribute nothing to
    /// the gradient, the loss or the accuracy.
    public var droppedCount: Int = 0
    /// With clipping: each sample's unclipped gradient norm ‖gᵢ‖, in batch order; empty otherwise.
    public var perSampleNorms: [Float]

    public init(gradient: Tensor, lossSum: Double, correct: Int, count: Int, clippedCount: Int,
                droppedCount: Int = 0, perSampleNorms: [Float]) {
        self.gradient = gradient
        self.lossSum = lossSum
        self.correct = correct
        self.count = count
        self.clippedCount = clippedCount
        self.droppedCount = droppedCount
        self.perSampleNorms = perSampleNorms
    }

    /// The mean loss over the samples that were not dropped.
    public var meanLoss: Double { count - droppedCount <= 0 ? 0 : lossSum / Double(count - droppedCount) }
}

/// Computes batch gradients of a ``Sequential`` under softmax cross-entropy, on `workers` threads.
///
/// Contract:
/// - The batch is split into contiguous chunks, one per worker, each run through forward and
///   backward with its own workspaces; the chunks' sums are added. Per-sample clipping is exact
///   under any split, because every sample is clipped on its own.
/// - Clipping (DP-SGD, Abadi et al. 2016): each sample's whole-model gradient is scaled by
///   min(1, C/‖gᵢ‖); norms come from each layer's cheapest exact method (see ``Layer``), never from
///   one backward pass per sample. Noise is not added here: that is the Privacy module's job.
/// - OpenBLAS is kept single-threaded, so `workers` threads use `workers` cores (``BLAS``).
/// - One instance serves one training job at a time (it owns the workspaces); it is not shared
///   between threads.
public final class GradientComputer {
    public let workers: Int
    private var workspaces: [[LayerWorkspace]] = []
    /// Fewer samples than this per worker are not worth a thread.
    public static let minimumChunk = 8

    /// - Parameter workers: threads for one batch; defaults to the cores the process may use.
    public init(workers: Int = ComputePolicy.cores) {
        ComputePolicy.configureBLAS()
        self.workers = max(1, workers)
    }

    /// The summed gradient of `labels` on `inputs` (`[batch] + model.inputShape`), clipped per sample
    /// to `clipNorm` when it is given.
    public func compute(model: Sequential, inputs: Tensor, labels: [Int], clipNorm: Float? = nil) -> BatchGradient {
        let batch = inputs.shape[0]
        precondition(Array(inputs.shape.dropFirst()) == model.inputShape,
                     "GradientComputer: input shape \(inputs.shape) does not match [batch] + \(model.inputShape)")
        precondition(labels.count == batch, "GradientComputer: \(labels.count) labels for a batch of \(batch)")
        precondition(clipNorm.map { $0 > 0 } ?? true, "GradientComputer: clip norm must be positive")
        let chunks = max(1, min(workers, batch / GradientComputer.minimumChunk))
        while workspaces.count < chunks { workspaces.append(model.makeWorkspaces()) }
        for w in 0..<chunks where workspaces[w].count != model.layers.count { workspaces[w] = model.makeWorkspaces() }
        let bounds = (0...chunks).map { $0 * batch / chunks }
        var results = [BatchGradient?](repeating: nil, count: chunks)
        if chunks == 1 {
            results[0] = computeChunk(model: model, inputs: inputs, labels: labels[...], clipNorm: clipNorm,
                                      workspaces: workspaces[0])
        } else {
            let jobs = Jobs(model: model, inputs: inputs, labels: labels, clipNorm: clipNorm, bounds: bounds,
                            workspaces: workspaces, computer: self)
            results.withUnsafeMutableBufferPointer { out in
                let sink = UnsafeSendable(out)
                DispatchQueue.concurrentPerform(iterations: chunks) { w in
                    sink.value[w] = jobs.run(w)
                }
            }
        }
        var total = results[0]!
        for r in results.dropFirst() {
            let part = r!
            total.gradient.add(part.gradient, scaledBy: 1)
            total.lossSum += part.lossSum
            total.correct += part.correct
            total.count += part.count
            total.clippedCount += part.clippedCount
            total.droppedCount += part.droppedCount
            total.perSampleNorms += part.perSampleNorms
        }
        return total
    }

    /// One worker's share of a batch.
    private struct Jobs: @unchecked Sendable {
        let model: Sequential, inputs: Tensor, labels: [Int], clipNorm: Float?, bounds: [Int]
        let workspaces: [[LayerWorkspace]], computer: GradientComputer
        func run(_ w: Int) -> BatchGradient {
            let range = bounds[w]..<bounds[w + 1]
            return computer.computeChunk(model: model, inputs: inputs.slice(range), labels: labels[range],
                                         clipNorm: clipNorm, workspaces: workspaces[w])
        }
    }

    private func computeChunk(model: Sequential, inputs: Tensor, labels: ArraySlice<Int>, clipNorm: Float?,
                              workspaces: [LayerWorkspace]) -> BatchGradient {
        let batch = inputs.shape[0]
        let logits = model.forward(inputs, workspaces: workspaces)
        let loss = SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels, computeGradient: true)
        var gradient = Tensor(shape: [model.parameterCount])
        var squaredNorms = [Double](repeating: 0, count: batch)
        var norms: [Float] = []
        var clipped = 0
        model.parameters.withUnsafeBufferPointer { p in
            gradient.withUnsafeMutableBufferPointer { g in
                squaredNorms.withUnsafeMutableBufferPointer { sq in
                    var dy = loss.gradient!
                    for l in model.layers.indices.reversed() {
                        let range = model.parameterRanges[l]
                        let needsInputGradient = model.layers[..<l].contains { $0.parameterCount > 0 }
                        guard let dx = model.layers[l].backward(
                            dy, parameters: UnsafeBufferPointer(rebasing: p[range]), workspace: workspaces[l],
                            mode: clipNorm == nil ? .batchSum : .perSampleNorms,
                            gradient: UnsafeMutableBufferPointer(rebasing: g[range]),
                            squaredNorms: sq, needsInputGradient: needsInputGradient) else { break }
                        dy = dx
                    }
                }
                guard let c = clipNorm else { return }
                let exactNorms = squaredNorms.map { $0.squareRoot() }
                norms = exactNorms.map { Float($0) }
                if exactNorms.contains(where: { !$0.isFinite }) { return }  // handled below, without those samples
                let factors = exactNorms.map { GradientComputer.clipFactor(norm: $0, clipNorm: c) }
                clipped = exactNorms.reduce(0) { $0 + ($1 > Double(c) ? 1 : 0) }
                factors.withUnsafeBufferPointer { f in
                    for l in model.layers.indices where model.layers[l].parameterCount > 0 {
                        let range = model.parameterRanges[l]
                        model.layers[l].accumulateClippedGradient(
                            factors: f, parameters: UnsafeBufferPointer(rebasing: p[range]),
                            workspace: workspaces[l], into: UnsafeMutableBufferPointer(rebasing: g[range]))
                    }
                }
            }
        }
        if let clipNorm, norms.contains(where: { !$0.isFinite }) {
            return droppingNonFinite(model: model, inputs: inputs, labels: labels, clipNorm: clipNorm,
                                     norms: norms, workspaces: workspaces)
        }
        return BatchGradient(gradient: gradient, lossSum: loss.lossSum, correct: loss.correct, count: batch,
                             clippedCount: clipped, perSampleNorms: norms)
    }

    /// The clipped sum of a chunk in which some samples' gradients are not finite (NaN or ∞): those
    /// samples are dropped (they contribute nothing). Recomputed without them, because inside the
    /// batch's weight-gradient product a zero clip factor times an ∞ activation is still NaN.
    private func droppingNonFinite(model: Sequential, inputs: Tensor, labels: ArraySlice<Int>, clipNorm: Float,
                                   norms: [Float], workspaces: [LayerWorkspace]) -> BatchGradient {
        let keep = norms.indices.filter { norms[$0].isFinite }
        let dropped = norms.count - keep.count
        guard !keep.isEmpty else {
            return BatchGradient(gradient: Tensor(shape: [model.parameterCount]), lossSum: 0, correct: 0,
                                 count: norms.count, clippedCount: 0, droppedCount: dropped, perSampleNorms: norms)
        }
        let base = labels.startIndex
        var kept = computeChunk(model: model, inputs: inputs.gathering(keep), labels: keep.map { labels[base + $0] }[...],
                                clipNorm: clipNorm, workspaces: workspaces)
        kept.count = norms.count
        kept.droppedCount += dropped
        kept.perSampleNorms = norms
        return kept
    }
}

extension GradientComputer {
    /// min(1, C/‖g‖), rounded down so that factor·‖g‖ ≤ C holds in floating point too: the bound
    /// the accountant assumes is never exceeded by a rounding step.
    public static func clipFactor(norm: Double, clipNorm: Float) -> Float {
        let c = Double(clipNorm)
        guard norm > c else { return 1 }
        var f = Float(c / norm)
        while Double(f) * norm > c { f = f.nextDown }
        return f
    }
}

/// A value handed to concurrent workers that write disjoint parts of it.
@usableFromInline
struct UnsafeSendable<Value>: @unchecked Sendable {
    @usableFromInline var value: Value
    @usableFromInline init(_ value: Value) { self.value = value }
}
