import Dispatch
import Privacy
import TensorCore

/// A round's aggregate built one update at a time, as the updates arrive, so that the aggregator holds
/// one running sum instead of every hospital's update: the memory of a round is what is in flight,
/// not how many hospitals trained (a thousand 600 KB updates were 600 MB; the fold is one model).
///
/// Contract:
/// - ``add(_:)`` folds one validated update; the order of the calls is the order of the arithmetic, so
///   the engine folds in the federation's order and a seeded run stays bit-for-bit reproducible.
/// - `.weighted`: Σ wᵢ·uᵢ and Σ wᵢ in Double (wᵢ = the update's record count), read by
///   ``weightedMean()`` as Σ wᵢ·uᵢ / Σ wᵢ — FedAvg's sample-weighted mean (McMahan et al. 2017);
///   while every weight so far is 0, the plain sum too (the mean of updates that carry no weight).
/// - `.boundedWeighted(M)`: the same of each update first scaled to L2 norm at most M (norm bounding,
///   Sun et al. 2019).
/// - `.clippedSum(S)`: Σ clip(uᵢ, S) in Float32 and the count of updates already within S — DP-FedAvg's
///   sum before its noise (McMahan et al. 2018; ``ClientLevelDP``).
/// - The batch rules (``AggregationMath/weightedMean(_:weights:)``, ``ClientLevelDP/aggregate(_:using:)``)
///   are this fold over their updates, so folding as updates arrive gives exactly what combining
///   them at the end gives.
/// - Rules that must see every update at once (median, trimmed mean, Krum) have no fold: the engine
///   keeps their round's updates, as it must.
public struct UpdateFold: Sendable {
    public enum Rule: Sendable, Equatable {
        case weighted
        case boundedWeighted(maxNorm: Double)
        case clippedSum(clipNorm: Double)
    }

    public let rule: Rule
    public let parameters: Int
    /// Updates folded.
    public private(set) var count = 0
    /// Σ wᵢ.
    public private(set) var totalWeight = 0.0
    /// Updates already within the clip norm (`.clippedSum`).
    public private(set) var unclipped = 0
    private var weightedSum: [Double] = []
    /// Σ uᵢ while every weight so far is 0.
    private var plainSum: [Double]? = []
    private var floatSum: Tensor?

    public init(rule: Rule, parameters: Int) {
        self.rule = rule
        self.parameters = parameters
        switch rule {
        case .weighted, .boundedWeighted:
            weightedSum = [Double](repeating: 0, count: parameters)
            plainSum = []  // allocated by the first update without weight, if one comes before any with weight
        case .clippedSum:
            floatSum = Tensor(shape: [parameters])
            plainSum = nil
        }
    }

    /// Folds one update (of `parameters` values, finite, with a finite weight ≥ 0).
    public mutating func add(_ update: ClientUpdate) {
        add(update.delta, weight: Double(update.sampleCount), norm: update.norm)
    }

    /// Folds `deltas` in order, exactly as that many ``add(_:weight:norm:)`` calls would (bit for bit:
    /// each coordinate still sums the updates in the same order), with the coordinates split among
    /// the cores — for the updates a small round keeps whole and combines at its end.
    /// - Parameter norms: each delta's norm where known (nil entries, or nil: computed if needed).
    public mutating func add(contentsOf deltas: [Tensor], weights: [Double], norms: [Double?]? = nil) {
        precondition(deltas.count == weights.count && (norms == nil || norms!.count == deltas.count),
                     "UpdateFold.add(contentsOf:): \(deltas.count) deltas, \(weights.count) weights")
        let maxNorm: Double?
        switch rule {
        case .weighted: maxNorm = nil
        case .boundedWeighted(let m): maxNorm = m
        case .clippedSum:
            for k in deltas.indices { add(deltas[k], weight: weights[k], norm: norms?[k] ?? nil) }
            return
        }
        // The same bookkeeping as `add`, update by update; then the sums, coordinates in parallel.
        var weighted: [(delta: Tensor, w: Double)] = [], plain: [(delta: Tensor, scale: Double)] = []
        for (k, delta) in deltas.enumerated() {
            precondition(delta.count == parameters, "UpdateFold: an update of \(delta.count) values, expected \(parameters)")
            let weight = weights[k]
            precondition(weight >= 0 && weight.isFinite, "UpdateFold: weight \(weight) must be finite and ≥ 0")
            count += 1
            var scale = 1.0
            if let maxNorm {
                let norm = norms?[k] ?? delta.norm()
                if norm > maxNorm { scale = maxNorm / norm }
            }
            totalWeight += weight
            if weight > 0 { weighted.append((delta, weight * scale)) }
            if plainSum != nil {
                if totalWeight > 0 { plainSum = nil } else { plain.append((delta, scale)) }
            }
        }
        if plainSum == nil { plain = [] }  // a weighted update came: the plain sum is dropped, as `add` drops it
        if !plain.isEmpty, plainSum!.isEmpty { plainSum = [Double](repeating: 0, count: parameters) }
        let weightedTerms = weighted, plainTerms = plain
        let n = parameters, pieces = max(1, min(ComputePolicy.cores, n / 32_768))
        weightedSum.withUnsafeMutableBufferPointer { ws in
            let wsum = SendablePointer(ws.baseAddress!)
            var plainPointer: SendablePointer?
            var plainBuffer = plainSum ?? []
            plainBuffer.withUnsafeMutableBufferPointer { ps in
                if !plainTerms.isEmpty { plainPointer = SendablePointer(ps.baseAddress!) }
                let p = plainPointer
                DispatchQueue.concurrentPerform(iterations: pieces) { c in
                    let lo = c * n / pieces, hi = (c + 1) * n / pieces
                    for (delta, w) in weightedTerms {
                        delta.withUnsafeBufferPointer { u in for i in lo..<hi { wsum.value[i] += w * Double(u[i]) } }
                    }
                    if let p {
                        for (delta, scale) in plainTerms {
                            delta.withUnsafeBufferPointer { u in for i in lo..<hi { p.value[i] += scale * Double(u[i]) } }
                        }
                    }
                }
            }
            if plainSum != nil { plainSum = plainBuffer }
        }
    }

    /// Folds one update with its weight; `norm` is `delta.norm()` when the caller knows it (else it is
    /// computed here if the rule needs it).
    public mutating func add(_ delta: Tensor, weight: Double, norm knownNorm: Double? = nil) {
        precondition(delta.count == parameters, "UpdateFold: an update of \(delta.count) values, expected \(parameters)")
        precondition(weight >= 0 && weight.isFinite, "UpdateFold: weight \(weight) must be finite and ≥ 0")
        count += 1
        switch rule {
        case .weighted:
            accumulate(delta, scale: 1, weight: weight)
        case .boundedWeighted(let maxNorm):
            let norm = knownNorm ?? delta.norm()
            accumulate(delta, scale: norm > maxNorm ? maxNorm / norm : 1, weight: weight)
        case .clippedSum(let clipNorm):
            if ClientLevelDP.clip(delta, to: clipNorm, into: &floatSum!) { unclipped += 1 }
        }
    }

    private mutating func accumulate(_ delta: Tensor, scale: Double, weight: Double) {
        totalWeight += weight
        delta.withUnsafeBufferPointer { u in
            if weight > 0 {
                let w = weight * scale
                weightedSum.withUnsafeMutableBufferPointer { s in
                    for i in 0..<u.count { s[i] += w * Double(u[i]) }
                }
            }
            if plainSum != nil {
                if totalWeight > 0 {
                    plainSum = nil  // a weighted update has come: the plain mean is not needed
                } else {
                    if plainSum!.isEmpty { plainSum = [Double](repeating: 0, count: parameters) }
                    plainSum!.withUnsafeMutableBufferPointer { s in
                        for i in 0..<u.count { s[i] += scale * Double(u[i]) }
                    }
                }
            }
        }
    }

    /// Σ wᵢ·uᵢ / Σ wᵢ (the plain mean when every weight is 0), as Float32 of `shape`.
    /// - Precondition: a `.weighted` or `.boundedWeighted` fold of at least one update.
    public func weightedMean(shape: [Int]? = nil) -> Tensor {
        precondition(count > 0, "UpdateFold.weightedMean: no updates")
        precondition(floatSum == nil, "UpdateFold.weightedMean: a clipped-sum fold has no weighted mean")
        let values: [Double], scale: Double
        if totalWeight > 0 {
            values = weightedSum
            scale = 1 / totalWeight
        } else {
            values = plainSum!
            scale = 1 / Double(count)
        }
        return Tensor(shape: shape ?? [parameters]) { out in
            for i in 0..<values.count { out[i] = Float(values[i] * scale) }
        }
    }

    /// Σ clip(uᵢ, S) (`.clippedSum`).
    public var clippedSum: Tensor {
        precondition(floatSum != nil, "UpdateFold.clippedSum: not a clipped-sum fold")
        return floatSum!
    }
}

/// A pointer written by disjoint coordinate ranges from ``UpdateFold/add(contentsOf:weights:norms:)``'s pieces.
private struct SendablePointer: @unchecked Sendable {
    let value: UnsafeMutablePointer<Double>
    init(_ value: UnsafeMutablePointer<Double>) { self.value = value }
}
