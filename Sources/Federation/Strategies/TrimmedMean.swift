import TensorCore

/// Coordinate-wise β-trimmed mean (Yin, Chen, Ramchandran & Bartlett 2018, "Byzantine-robust
/// distributed learning: towards optimal statistical rates"): for each coordinate, the ⌊β·n⌋ largest
/// and ⌊β·n⌋ smallest values over the n updates are removed and the rest averaged, so up to ⌊β·n⌋
/// hospitals on either side cannot move it arbitrarily.
///
/// Contract: 0 ≤ β < 0.5 (β = 0 is the unweighted mean); unweighted like the median. ⌊β·n⌋ is taken
/// with a 10⁻⁹ allowance so that a product like 0.29·100 = 28.999… counts as 29. If 2⌊β·n⌋ ≥ n
/// nothing would be left, and the rule falls back to the coordinate-wise median; β < 0.5 keeps
/// 2⌊β·n⌋ < n, so only the allowance can reach this (β within 10⁻⁹/n of 0.5). Stateless; the server
/// step is global += aggregate. Name `trimmed:β`, e.g. `trimmed:0.2`.
public struct TrimmedMean: Strategy {
    /// β, the fraction trimmed from each end per coordinate.
    public let beta: Double

    /// - Precondition: 0 ≤ β < 0.5.
    public init(beta: Double) {
        precondition(beta >= 0 && beta < 0.5, "TrimmedMean: β \(beta) outside [0, 0.5)")
        self.beta = beta
    }

    public var name: String { "trimmed:\(beta)" }
    public var combination: CombinationKind { .robust }

    public func combine(_ updates: [ClientUpdate]) -> Tensor {
        AggregationMath.trimmedMean(updates.map(\.delta), beta: beta)
    }
}

extension AggregationMath {
    /// ⌊β·n⌋, the number of values trimmed from each end of a coordinate (with a 10⁻⁹ allowance for
    /// the rounding of β·n).
    public static func trimCount(beta: Double, count n: Int) -> Int {
        Int((beta * Double(n) + 1e-9).rounded(.down))
    }

    /// The coordinate-wise β-trimmed mean: per coordinate, the mean (in Double) of the sorted values
    /// left after removing ⌊β·n⌋ from each end; the coordinate-wise median when that leaves nothing.
    /// - Precondition: 0 ≤ β < 0.5.
    public static func trimmedMean(_ updates: [Tensor], beta: Double) -> Tensor {
        precondition(beta >= 0 && beta < 0.5, "AggregationMath.trimmedMean: β \(beta) outside [0, 0.5)")
        let n = updates.count, k = trimCount(beta: beta, count: n)
        guard 2 * k < n else { return coordinateMedian(updates) }
        let kept = Double(n - 2 * k)
        return perCoordinate(updates, "trimmedMean") { sorted in
            var sum = 0.0
            for i in k..<(n - k) { sum += Double(sorted[i]) }
            return Float(sum / kept)
        }
    }
}
