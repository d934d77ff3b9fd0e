#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A Rényi-DP accountant for Poisson-subsampled Gaussian steps, Poisson-subsampled Skellam rounds
/// (distributed DP under secure aggregation) and pure-DP answers (``PureDPSegment``: a served
/// model's private predictions), with changing settings.
///
/// Contract:
/// - A history is a list of segments: Gaussian (q, σ, steps) in ``segments`` and Skellam
///   (q, μ, Δ₁, Δ₂, steps) in ``skellamSegments``; every change of settings mid-run starts a new
///   segment. The accountant keeps the running RDP vector over ``orders`` (composition adds, and
///   is commutative, so the two lists need no common order), so adding a segment costs one RDP
///   evaluation per order and reading ε costs one pass over the orders.
/// - Gaussian steps use the exact RDP of the sampled Gaussian (``SubsampledGaussianRDP``); Skellam
///   rounds use the general Poisson-subsampling bound of Zhu & Wang 2019
///   (``SubsampledMechanismRDP``) over the Skellam RDP of Agarwal et al. 2021 (``SkellamRDP``), at
///   ⌈α⌉ for fractional orders.
/// - ε(δ) is the conversion of Balle et al. 2020 ("Hypothesis testing interpretations and Rényi
///   differential privacy"): ε = R(α) + log((α−1)/α) − (log δ + log α)/(α − 1), minimised over α and
///   never negative — as Google's dp_accounting 0.6.0 computes it, whose default orders are these.
/// - Values are upper bounds: a fractional-order series is summed in absolute value, and an order
///   whose series does not converge counts as +∞.
public struct RDPAccountant: Sendable, Equatable {
    /// The orders 1.1 … 10.9 (step 0.1), 11 … 63, 128, 256, 512, 1024.
    public static let defaultOrders: [Double] =
        (1..<100).map { 1 + Double($0) / 10 } + (11..<64).map(Double.init) + [128, 256, 512, 1024]

    public let orders: [Double]
    /// The composed RDP at each order.
    public private(set) var rdp: [Double]
    /// The Gaussian history, in order.
    public private(set) var segments: [PrivacySegment] = []
    /// The Skellam history, in order.
    public private(set) var skellamSegments: [SkellamSegment] = []
    /// The pure-DP answers (private predictions), in order.
    public private(set) var pureSegments: [PureDPSegment] = []

    public init(orders: [Double] = RDPAccountant.defaultOrders) {
        precondition(!orders.isEmpty && orders.allSatisfy { $0 > 1 }, "RDPAccountant: orders must be > 1")
        self.orders = orders
        rdp = [Double](repeating: 0, count: orders.count)
    }

    /// The RDP vector of one step at (q, σ), over `orders`: evaluated once per process and setting
    /// (``RDPStepCache``), bit for bit ``directStepRDP(sampleRate:noiseMultiplier:orders:)``.
    public static func stepRDP(sampleRate: Double, noiseMultiplier: Double,
                               orders: [Double] = defaultOrders) -> [Double] {
        RDPStepCache.vector(.init(kind: 0, settings: [sampleRate.bitPattern, noiseMultiplier.bitPattern], orders: orders)) {
            directStepRDP(sampleRate: sampleRate, noiseMultiplier: noiseMultiplier, orders: orders)
        }
    }

    /// The RDP vector of one step at (q, σ), evaluated now (no cache).
    static func directStepRDP(sampleRate: Double, noiseMultiplier: Double, orders: [Double]) -> [Double] {
        orders.map { SubsampledGaussianRDP.rdp(sampleRate: sampleRate, noiseMultiplier: noiseMultiplier, order: $0) }
    }

    /// RDP vectors evaluated so far in this process (the cache's misses): a round of many hospitals at
    /// one setting adds at most one.
    public static var stepEvaluations: Int { RDPStepCache.evaluations }

    /// Adds `segment.steps` steps at the segment's (q, σ).
    public mutating func compose(_ segment: PrivacySegment) {
        guard segment.steps > 0 else { return }
        let step = RDPAccountant.stepRDP(sampleRate: segment.sampleRate, noiseMultiplier: segment.noiseMultiplier,
                                         orders: orders)
        for k in rdp.indices { rdp[k] += Double(segment.steps) * step[k] }
        if let last = segments.last, last.sampleRate == segment.sampleRate,
           last.noiseMultiplier == segment.noiseMultiplier {
            segments[segments.count - 1].steps += segment.steps
        } else {
            segments.append(segment)
        }
    }

    /// The RDP vector of one Skellam round at the segment's (q, μ, Δ₁, Δ₂), over `orders`: evaluated
    /// once per process and setting (``RDPStepCache``).
    public static func stepRDP(_ segment: SkellamSegment, orders: [Double] = defaultOrders) -> [Double] {
        let settings = [segment.sampleRate, segment.variance, segment.l1Sensitivity, segment.l2Sensitivity].map(\.bitPattern)
        return RDPStepCache.vector(.init(kind: 1, settings: settings, orders: orders)) {
            directStepRDP(segment, orders: orders)
        }
    }

    /// The RDP vector of one Skellam round, evaluated now (no cache).
    static func directStepRDP(_ segment: SkellamSegment, orders: [Double]) -> [Double] {
        SubsampledMechanismRDP.rdp(sampleRate: segment.sampleRate, orders: orders) { alpha in
            SkellamRDP.rdp(order: alpha, variance: segment.variance, l1Sensitivity: segment.l1Sensitivity,
                           l2Sensitivity: segment.l2Sensitivity)
        }
    }

    /// Adds `segment.steps` Skellam rounds at the segment's settings.
    public mutating func compose(_ segment: SkellamSegment) {
        guard segment.steps > 0 else { return }
        let step = RDPAccountant.stepRDP(segment, orders: orders)
        for k in rdp.indices { rdp[k] += Double(segment.steps) * step[k] }
        if let last = skellamSegments.last, last.hasSameSettings(as: segment) {
            skellamSegments[skellamSegments.count - 1].steps += segment.steps
        } else {
            skellamSegments.append(segment)
        }
    }

    /// Adds `segment.count` pure ε-DP answers (see ``PureDPSegment``).
    public mutating func compose(_ segment: PureDPSegment) {
        guard segment.count > 0 else { return }
        for (k, alpha) in orders.enumerated() { rdp[k] += Double(segment.count) * segment.rdp(order: alpha) }
        if let last = pureSegments.last, last.epsilon == segment.epsilon {
            pureSegments[pureSegments.count - 1].count += segment.count
        } else {
            pureSegments.append(segment)
        }
    }

    /// ε at `delta` and the order that gives it (ε = 0 for an empty history, +∞ when every order is).
    /// A history of pure-DP answers alone is also bounded by the sum of their ε's (basic
    /// composition, δ = 0), reported as order +∞ when it is the smaller.
    public func epsilon(delta: Double) -> (epsilon: Double, order: Double) {
        let converted = RDPAccountant.epsilon(rdp: rdp, orders: orders, delta: delta)
        guard segments.isEmpty, skellamSegments.isEmpty, !pureSegments.isEmpty else { return converted }
        let basic = pureSegments.reduce(0) { $0 + Double($1.count) * $1.epsilon }
        return basic < converted.epsilon ? (basic, .infinity) : converted
    }

    /// The Balle et al. 2020 conversion of an RDP vector to (ε, δ).
    public static func epsilon(rdp: [Double], orders: [Double], delta: Double) -> (epsilon: Double, order: Double) {
        precondition(delta > 0 && delta < 1, "RDPAccountant: δ must be in (0, 1), got \(delta)")
        var best = Double.infinity, bestOrder = orders[0]
        for (alpha, r) in zip(orders, rdp) {
            let eps: Double
            if r < 0 {
                eps = 0
            } else if delta * delta + expm1(-r) > 0 {
                eps = 0  // δ alone already covers this order's privacy loss
            } else {
                eps = r + log1p(-1 / alpha) - log(delta * alpha) / (alpha - 1)
            }
            if eps < best { best = eps; bestOrder = alpha }
        }
        return (max(0, best), bestOrder)
    }
}
