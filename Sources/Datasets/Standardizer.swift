/// Per-feature standardisation, `(x − mean) / std`, fitted on a training set only so that no
/// statistic of the test data leaks into training.
///
/// Contract: `mean` and `std` have one entry per scalar of a record (the feature shape flattened);
/// `std` is the population standard deviation, floored at ``minimumStd`` so a constant feature maps to
/// 0 instead of NaN. Fitting an empty dataset gives mean 0 and std 1 (the identity). Sums are in
/// Double. `apply` requires a dataset with the same feature shape (a programmer error otherwise).
public struct Standardizer: Sendable, Equatable {
    /// The smallest standard deviation divided by; below it (a constant feature) 1 is used instead.
    public static let minimumStd: Float = 1e-6

    /// The per-scalar mean of the training features.
    public let mean: [Float]
    /// The per-scalar standard deviation used, never below ``minimumStd``.
    public let std: [Float]
    /// The feature shape this standardiser was fitted on.
    public let featureShape: [Int]

    /// A standardiser with the given statistics.
    /// - Precondition: `mean` and `std` have one entry per scalar of `featureShape`; every `std` is positive.
    public init(mean: [Float], std: [Float], featureShape: [Int]) {
        let width = Tensor.elementCount(featureShape)
        precondition(mean.count == width && std.count == width && std.allSatisfy { $0 > 0 },
                     "Standardizer: \(mean.count) means and \(std.count) stds for feature shape \(featureShape)")
        self.mean = mean
        self.std = std
        self.featureShape = featureShape
    }

    /// The per-feature mean and standard deviation of `train`.
    public static func fit(_ train: Dataset) -> Standardizer {
        let width = Tensor.elementCount(train.featureShape)
        let n = train.count
        guard n > 0 else {
            return Standardizer(mean: [Float](repeating: 0, count: width), std: [Float](repeating: 1, count: width),
                                featureShape: train.featureShape)
        }
        var sum = [Double](repeating: 0, count: width)
        var squares = [Double](repeating: 0, count: width)
        train.features.withUnsafeBufferPointer { x in
            for row in 0..<n {
                let base = row * width
                for j in 0..<width { sum[j] += Double(x[base + j]) }
            }
            for j in 0..<width { sum[j] /= Double(n) }
            for row in 0..<n {
                let base = row * width
                for j in 0..<width {
                    let d = Double(x[base + j]) - sum[j]
                    squares[j] += d * d
                }
            }
        }
        let std = squares.map { s -> Float in
            let value = Float((s / Double(n)).squareRoot())
            return value >= minimumStd ? value : 1
        }
        return Standardizer(mean: sum.map { Float($0) }, std: std, featureShape: train.featureShape)
    }

    /// `d` with every feature standardised by the fitted statistics.
    /// - Precondition: `d.featureShape` equals ``featureShape``.
    public func apply(_ d: Dataset) -> Dataset {
        precondition(d.featureShape == featureShape,
                     "Standardizer: fitted on feature shape \(featureShape), applied to \(d.featureShape)")
        let width = mean.count
        var features = d.features
        features.withUnsafeMutableBufferPointer { x in
            for row in 0..<d.count {
                let base = row * width
                for j in 0..<width { x[base + j] = (x[base + j] - mean[j]) / std[j] }
            }
        }
        return Dataset(name: d.name, features: features, labels: d.labels, classNames: d.classNames)
    }
}
