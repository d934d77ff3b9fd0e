import TensorCore

/// The aggregation maths of the strategies as plain functions, each with its own tests.
///
/// Contract: every function takes at least one update, all of the same element count (a trap names
/// the counts otherwise: the engine validates updates before they reach a strategy), and returns a
/// tensor of the first update's shape. Sums are accumulated in Double; results are Float32.
/// The robust rules (coordinate-wise median, trimmed mean, Krum) are in the files of their strategies.
public enum AggregationMath {
    /// Σ wᵢ·uᵢ / Σ wᵢ, accumulated in Double: FedAvg's sample-weighted mean (McMahan et al. 2017).
    /// When every weight is 0 the unweighted mean is returned (no update carries any weight, so none
    /// is preferred). The ``UpdateFold`` the engine builds as updates arrive, over all of them at once.
    /// - Precondition: one weight per update, every weight finite and ≥ 0.
    public static func weightedMean(_ updates: [Tensor], weights: [Double]) -> Tensor {
        checkUpdates(updates, "weightedMean")
        precondition(weights.count == updates.count,
                     "AggregationMath.weightedMean: \(weights.count) weights for \(updates.count) updates")
        precondition(weights.allSatisfy { $0 >= 0 && $0.isFinite },
                     "AggregationMath.weightedMean: weights must be finite and ≥ 0, got \(weights)")
        return folding(updates, weights: weights, rule: .weighted).weightedMean(shape: updates[0].shape)
    }

    /// The fold of `rule` over `updates` with their weights, in order.
    static func folding(_ updates: [Tensor], weights: [Double], norms: [Double?]? = nil, rule: UpdateFold.Rule) -> UpdateFold {
        var fold = UpdateFold(rule: rule, parameters: updates[0].count)
        fold.add(contentsOf: updates, weights: weights, norms: norms)
        return fold
    }

    /// The fold of `rule` over client updates (weights = their record counts), in order.
    public static func folding(_ updates: [ClientUpdate], rule: UpdateFold.Rule) -> UpdateFold {
        checkUpdates(updates.map(\.delta), "folding")
        return folding(updates.map(\.delta), weights: updates.map { Double($0.sampleCount) }, norms: updates.map(\.norm), rule: rule)
    }

    /// The sample-weighted mean of client updates (weights = ``ClientUpdate/sampleCount``).
    public static func weightedMean(_ updates: [ClientUpdate]) -> Tensor {
        weightedMean(updates.map(\.delta), weights: updates.map { Double($0.sampleCount) })
    }

    /// The unweighted mean Σ uᵢ / n, accumulated in Double.
    public static func mean(_ updates: [Tensor]) -> Tensor {
        checkUpdates(updates, "mean")
        return folding(updates, weights: updates.map { _ in 0 }, rule: .weighted).weightedMean(shape: updates[0].shape)
    }

    /// `update` scaled by min(1, maxNorm / ‖update‖₂) so that its L2 norm is at most `maxNorm`
    /// (the norm is computed in Double); an update already within the bound is returned unchanged.
    /// - Precondition: `maxNorm` > 0 and finite.
    public static func clipped(_ update: Tensor, toNorm maxNorm: Double) -> Tensor {
        precondition(maxNorm > 0 && maxNorm.isFinite, "AggregationMath.clipped: norm bound \(maxNorm) must be > 0")
        let norm = update.norm()
        guard norm > maxNorm else { return update }
        var out = update
        out.scale(by: Float(maxNorm / norm))
        return out
    }

    // MARK: - Shared helpers

    /// Traps unless there is at least one update and all have the same element count.
    static func checkUpdates(_ updates: [Tensor], _ function: String) {
        precondition(!updates.isEmpty, "AggregationMath.\(function): no updates")
        let count = updates[0].count
        for u in updates where u.count != count {
            preconditionFailure("AggregationMath.\(function): updates of \(count) and \(u.count) scalars")
        }
    }

    /// Calls `body` once per coordinate j with the n updates' values at j sorted ascending (a scratch
    /// buffer, valid only during the call) and collects what it returns into a tensor of the first
    /// update's shape. The values are transposed once into a [count, n] buffer so that each
    /// coordinate's n values are contiguous and sorted in place, with no allocation per coordinate.
    static func perCoordinate(_ updates: [Tensor], _ function: String,
                              _ body: (UnsafeMutableBufferPointer<Float>) -> Float) -> Tensor {
        checkUpdates(updates, function)
        let n = updates.count, count = updates[0].count
        var columns = [Float](repeating: 0, count: n * count)
        columns.withUnsafeMutableBufferPointer { c in
            for (i, update) in updates.enumerated() {
                update.withUnsafeBufferPointer { u in
                    for j in 0..<count { c[j * n + i] = u[j] }
                }
            }
        }
        return Tensor(shape: updates[0].shape) { out in
            columns.withUnsafeMutableBufferPointer { c in
                for j in 0..<count {
                    var values = UnsafeMutableBufferPointer(rebasing: c[(j * n)..<(j * n + n)])
                    values.sort()
                    out[j] = body(values)
                }
            }
        }
    }
}
