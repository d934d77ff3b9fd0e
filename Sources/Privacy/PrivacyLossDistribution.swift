#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A discrete privacy loss distribution (PLD): probability masses on the losses i·h, plus a mass at
/// +∞ (Meiser & Mohammadi 2018; Koskela, Jälkö & Honkela 2020), from which (ε, δ) follow exactly:
/// δ(ε) = m∞ + Σ_{vᵢ > ε} pᵢ (1 − e^(ε − vᵢ)).
///
/// Contract: every construction errs on the pessimistic side, so ε and δ read from it are upper
/// bounds of the true values: one step is built by connect-the-dots (Doroshenko, Ghazi, Kamath,
/// Kumar & Manurangsi 2022), whose hockey-stick curve passes through the exact δ at every grid point
/// and lies above the true curve between them; composition is convolution (by FFT); mass cut off at
/// the top of a window goes to +∞, mass below it moves up to the window's lowest point, and every
/// bound on FFT aliasing is added to +∞.
struct PrivacyLossDistribution {
    /// The grid step h of the losses.
    let interval: Double
    /// The loss of `masses[0]` is `lowestIndex · interval`.
    var lowestIndex: Int
    var masses: [Double]
    var infinityMass: Double

    /// Masses whose true tail beyond a window is below this are cut (the bound goes to +∞).
    static let tailBound = 1e-15

    // MARK: - One step of the Poisson-subsampled Gaussian

    /// The two orders of a neighbouring pair: the distribution with the record (P, a mixture) against
    /// the one without (Q, a Gaussian), and the reverse. ε under add-or-remove adjacency is the larger.
    enum Direction { case remove, add }

    /// Standard normal upper tail Φ̄(z), accurate far into the tail.
    static func upperTail(_ z: Double) -> Double { 0.5 * erfc(z / 2.0.squareRoot()) }

    /// The exact hockey-stick divergence δ(ε) of one step (q, σ, sensitivity 1) in `direction`.
    static func delta(epsilon e: Double, q: Double, sigma s: Double, direction: Direction) -> Double {
        switch direction {
        case .remove:
            // P = (1−q)N(0,σ²) + qN(1,σ²), Q = N(0,σ²); the loss log(1−q + q·e^((2x−1)/(2σ²))) rises with x.
            let floor = q < 1 ? log1p(-q) : -Double.infinity
            if e <= floor { return -expm1(e) }
            let x = s * s * log((exp(e) - (1 - q)) / q) + 0.5
            let value = (1 - q) * upperTail(x / s) + q * upperTail((x - 1) / s) - exp(e) * upperTail(x / s)
            return min(1, max(0, value))
        case .add:
            // P = N(0,σ²), Q = the mixture; the loss −log(1−q + q·e^((2x−1)/(2σ²))) falls with x.
            if q < 1 && e >= -log1p(-q) { return 0 }
            let x = s * s * log((exp(-e) - (1 - q)) / q) + 0.5
            let value = upperTail(-x / s) - exp(e) * ((1 - q) * upperTail(-x / s) + q * upperTail((1 - x) / s))
            return min(1, max(0, value))
        }
    }

    /// The connect-the-dots PLD of one step, on the losses of all but ~e⁻⁵⁰ of the noise's mass.
    static func subsampledGaussian(sampleRate q: Double, noiseMultiplier s: Double, direction: Direction,
                                   interval h: Double) -> PrivacyLossDistribution {
        let z = 10.5  // Φ̄(10.5) < e⁻⁵⁰ / 2
        func loss(_ x: Double) -> Double {
            let r = log1p(q * expm1((2 * x - 1) / (2 * s * s)))  // log(1 − q + q·e^…)
            return direction == .remove ? r : -r
        }
        let (xLow, xHigh) = direction == .remove ? (-z * s, 1 + z * s) : (-z * s, z * s)
        let lossA = loss(xLow), lossB = loss(xHigh)
        let lower = Int((min(lossA, lossB) / h).rounded(.down)), upper = Int((max(lossA, lossB) / h).rounded(.up))
        let deltas = (lower...upper).map { delta(epsilon: Double($0) * h, q: q, sigma: s, direction: direction) }
        return connectTheDots(lowestIndex: lower, deltas: deltas, interval: h)
    }

    /// The fixed-gap connect-the-dots masses for exact deltas δ₁ ≥ … ≥ δₙ at consecutive grid losses
    /// (dp_accounting's create_pmf_pessimistic_connect_dots_fixed_gap).
    static func connectTheDots(lowestIndex: Int, deltas d: [Double], interval h: Double) -> PrivacyLossDistribution {
        let n = d.count
        guard n >= 2 else {
            return PrivacyLossDistribution(interval: h, lowestIndex: lowestIndex, masses: [1 - d[0]], infinityMass: d[0])
        }
        let em1 = expm1(h), eh = exp(h)
        var masses = [Double](repeating: 0, count: n)
        masses[0] = (1 - d[0]) + (d[1] - d[0]) / em1
        for i in 1..<(n - 1) { masses[i] = ((d[i + 1] - d[i]) - eh * (d[i] - d[i - 1])) / em1 }
        masses[n - 1] = (d[n - 1] - d[n - 2]) / expm1(-h)
        for i in 0..<n where masses[i] < 0 { masses[i] = 0 }  // round-off only
        return PrivacyLossDistribution(interval: h, lowestIndex: lowestIndex, masses: masses, infinityMass: d[n - 1])
    }

    // MARK: - Reading (ε, δ)

    /// δ(ε) = m∞ + Σ_{vᵢ > ε} pᵢ (1 − e^(ε − vᵢ)).
    func delta(epsilon e: Double) -> Double {
        var sum = 0.0
        let first = max(0, Int((e / interval).rounded(.down)) + 1 - lowestIndex)
        if first < masses.count {
            for k in first..<masses.count {
                let v = Double(lowestIndex + k) * interval
                if v > e { sum += masses[k] * -expm1(e - v) }
            }
        }
        return min(1, infinityMass + sum)
    }

    /// The smallest ε ≥ 0 with δ(ε) ≤ `delta` (+∞ when the mass at +∞ alone exceeds it).
    func epsilon(delta target: Double) -> Double {
        if infinityMass > target { return .infinity }
        if self.delta(epsilon: 0) <= target { return 0 }
        var low = 0.0, high = Double(lowestIndex + masses.count) * interval + interval
        while self.delta(epsilon: high) > target { high *= 2 }
        for _ in 0..<80 {
            let mid = (low + high) / 2
            if self.delta(epsilon: mid) > target { low = mid } else { high = mid }
            if high - low < 1e-9 * max(1, high) { break }
        }
        return high
    }
}
