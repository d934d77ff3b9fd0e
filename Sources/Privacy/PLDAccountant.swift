/// A tight accountant for Poisson-subsampled Gaussian histories: privacy loss distributions composed
/// by FFT, for add-or-remove adjacency (the larger ε of the two directions).
///
/// Contract: ε is an upper bound of the true ε (see ``PrivacyLossDistribution``), tighter than RDP's;
/// it agrees with Google's dp_accounting 0.6.0 PLDAccountant (connect-the-dots, h = 1e-4). It costs
/// an FFT composition per segment, so the console reads the RDP accountant every frame and this one
/// for reports and calculators.
public struct PLDAccountant: Sendable {
    /// The loss grid step h.
    public let interval: Double
    public private(set) var segments: [PrivacySegment] = []

    public init(interval: Double = 1e-4) {
        precondition(interval > 0, "PLDAccountant: the grid step must be positive")
        self.interval = interval
    }

    public mutating func compose(_ segment: PrivacySegment) {
        guard segment.steps > 0 else { return }
        segments.append(segment)
    }

    /// ε at `delta` (+∞ when some segment has σ = 0).
    public func epsilon(delta: Double) -> Double {
        precondition(delta > 0 && delta < 1, "PLDAccountant: δ must be in (0, 1), got \(delta)")
        var worst = 0.0
        for direction in [PrivacyLossDistribution.Direction.remove, .add] {
            var total: PrivacyLossDistribution?
            for segment in segments where segment.sampleRate > 0 {
                if segment.noiseMultiplier == 0 { return .infinity }
                let step = PrivacyLossDistribution.subsampledGaussian(
                    sampleRate: segment.sampleRate, noiseMultiplier: segment.noiseMultiplier,
                    direction: direction, interval: interval)
                let part = step.selfComposed(segment.steps)
                total = total.map { $0.composed(with: part) } ?? part
            }
            if let total { worst = max(worst, total.epsilon(delta: delta)) }
        }
        return worst
    }
}
