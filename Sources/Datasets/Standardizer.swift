/// Per-feature standardisation, `(x − mean) / std`, fitted on a training set only so that no
/// statistic of the test data leaks into training; optionally winsorised, each standardised value
/// clamped to `±clip` standard deviations.
///
/// Contract: `mean` and `std` have one entry per scalar of a record (the feature shape flattened);
/// `std` is the population standard deviation, floored at ``minimumStd`` so a constant feature maps to
/// 0 instead of NaN. Fitting an empty dataset gives mean 0 and std 1 (the identity). Sums are in
/// Double. `apply` requires a dataset with the same feature shape (a programmer error otherwise).
///
/// Why the clamp: a feature that is rare in one hospital's few hundred records (a pixel lit in two of
/// them) gets a tiny std, and a record lighting it maps hundreds of standard deviations out, which
/// dominates its gradient before DP-SGD clips it and saturates the model at test time. Bounding the
/// standardised features (winsorisation, a data-independent bound) keeps every record within ±clip.
public struct Standardizer: Sendable, Equatable {
    /// The smallest standard deviation divided by; below it (a constant feature) 1 is used instead.
    public static let minimumStd: Float = 1e-6

    /// The per-scalar mean of the training features.
    public let mean: [Float]
    /// The per-scalar standard deviation used, never below ``minimumStd``.
    public let std: [Float]
    /// The feature shape this standardiser was fitted on.
    public let featureShape: [Int]
    /// The bound, in standard deviations, every standardised value is clamped to (nil: none).
    public let clip: Float?

    /// A standardiser with the given statistics.
    /// - Precondition: `mean` and `std` have one entry per scalar of `featureShape`; every `std` is
    ///   positive; `clip`, if given, is positive and finite.
    public init(mean: [Float], std: [Float], featureShape: [Int], clip: Float? = nil) {
        let width = Tensor.elementCount(featureShape)
        precondition(mean.count == width && std.count == width && std.allSatisfy { $0 > 0 },
                     "Standardizer: \(mean.count) means and \(std.count) stds for feature shape \(featureShape)")
        precondition(clip.map { $0 > 0 && $0.isFinite } ?? true, "Standardizer: clip \(clip!) must be positive and finite")
        self.mean = mean
        self.std = std
        self.featureShape = featureShape
        self.clip = clip
    }

    /// Whether `bound` can be a standardiser's clip: positive and finite.
    public static func isValidClip(_ bound: Double) -> Bool { bound > 0 && bound.isFinite }

    /// The per-feature mean and standard deviation of `train`; standardised values clamped to
    /// `±clip` standard deviations when `clip` is given (precondition: ``isValidClip(_:)``).
    public static func fit(_ train: Dataset, clip: Float? = nil) -> Standardizer {
        let width = Tensor.elementCount(train.featureShape)
        let n = train.count
        guard n > 0 else {
            return Standardizer(mean: [Float](repeating: 0, count: width), std: [Float](repeating: 1, count: width),
                                featureShape: train.featureShape, clip: clip)
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
        return Standardizer(mean: sum.map { Float($0) }, std: std, featureShape: train.featureShape, clip: clip)
    }

    /// `d` with every feature standardised by the fitted statistics (and clamped to ±``clip``).
    /// When the caller hands over the only reference to `d`'s records (`apply(consume d)`), they are
    /// standardised in place: no second copy of a hospital's share is made.
    /// - Precondition: `d.featureShape` equals ``featureShape``.
    public func apply(_ d: consuming Dataset) -> Dataset {
        precondition(d.featureShape == featureShape,
                     "Standardizer: fitted on feature shape \(featureShape), applied to \(d.featureShape)")
        let width = mean.count, count = d.count
        let name = d.name, labels = d.labels, classNames = d.classNames
        var features = d.features
        _ = consume d  // so that `features` may be the only reference, and be written in place
        let bound = clip ?? .infinity
        features.withUnsafeMutableBufferPointer { x in
            for row in 0..<count {
                let base = row * width
                for j in 0..<width { x[base + j] = min(max((x[base + j] - mean[j]) / std[j], -bound), bound) }
            }
        }
        return Dataset(name: name, features: features, labels: labels, classNames: classNames)
    }
}
