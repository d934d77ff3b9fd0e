import TensorCore

/// Coordinate-wise median (Yin, Chen, Ramchandran & Bartlett 2018, "Byzantine-robust distributed
/// learning: towards optimal statistical rates"): each coordinate of the aggregate is the median of
/// that coordinate over the updates, so fewer than half of the hospitals cannot move it arbitrarily.
///
/// Contract: unweighted (sample counts are ignored: a weight would let one hospital claim a majority);
/// for an even number of updates the median is the mean of the two middle values. Stateless; the
/// server step is global += aggregate. Name `median`.
public struct CoordinateMedian: Strategy {
    public init() {}

    public var name: String { "median" }
    public var combination: CombinationKind { .robust }

    public func combine(_ updates: [ClientUpdate]) -> Tensor {
        AggregationMath.coordinateMedian(updates.map(\.delta))
    }
}

extension AggregationMath {
    /// The coordinate-wise median of the updates (the mean of the two middle values when n is even).
    public static func coordinateMedian(_ updates: [Tensor]) -> Tensor {
        perCoordinate(updates, "coordinateMedian") { sorted in median(ofSorted: sorted) }
    }

    /// The median of values sorted ascending (mean of the two middle ones, in Double, when even).
    static func median(ofSorted values: UnsafeMutableBufferPointer<Float>) -> Float {
        let n = values.count, middle = n / 2
        if n % 2 == 1 { return values[middle] }
        return Float((Double(values[middle - 1]) + Double(values[middle])) / 2)
    }
}
