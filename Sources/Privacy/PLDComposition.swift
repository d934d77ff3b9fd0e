#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Composition of privacy loss distributions: the loss of two mechanisms is the sum of their losses,
/// so the PMFs convolve; T-fold self-composition raises the Fourier transform to the T-th power
/// (Koskela, Jälkö & Honkela 2020). Windows are sized by Chernoff bounds so that the true mass outside
/// them, and so the FFT's aliasing, is below ``PrivacyLossDistribution/tailBound``; that bound is added
/// to the mass at +∞ (pessimistic), and the mass below a window moves up to its lowest point.
extension PrivacyLossDistribution {
    /// log E[e^(tV)] of the finite part.
    func logMoment(_ t: Double) -> Double {
        var best = -Double.infinity
        var terms: [Double] = []
        terms.reserveCapacity(masses.count)
        for (k, p) in masses.enumerated() where p > 0 {
            let term = log(p) + t * Double(lowestIndex + k) * interval
            terms.append(term)
            best = max(best, term)
        }
        guard best > -Double.infinity else { return -Double.infinity }
        return best + log(terms.reduce(0) { $0 + exp($1 - best) })
    }

    /// Grid indices [low, high] outside which a sum of `count` independent copies has mass at most
    /// `tailBound` on each side (Chernoff: P(S ≥ b) ≤ e^(count·log M(t) − t·b), t > 0; likewise below).
    func chernoffWindow(count: Int) -> (low: Int, high: Int) {
        let logTail = log(PrivacyLossDistribution.tailBound)
        let n = Double(count)
        var upper = Double(lowestIndex + masses.count - 1) * interval * n
        var lower = Double(lowestIndex) * interval * n
        for t in [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100, 300] {
            let up = (n * logMoment(t) - logTail) / t
            if up.isFinite { upper = min(upper, up) }
            let down = (n * logMoment(-t) - logTail) / -t
            if down.isFinite { lower = max(lower, down) }
        }
        return (Int((lower / interval).rounded(.down)) - 1, Int((upper / interval).rounded(.up)) + 1)
    }

    /// The distribution of the sum of `count` independent copies.
    func selfComposed(_ count: Int) -> PrivacyLossDistribution {
        precondition(count >= 1, "PrivacyLossDistribution: self-composition needs count ≥ 1")
        if count == 1 { return self }
        let window = chernoffWindow(count: count)
        let width = window.high - window.low + 1
        var size = 1
        while size < max(width, masses.count) { size <<= 1 }
        var re = [Double](repeating: 0, count: size), im = [Double](repeating: 0, count: size)
        for (k, p) in masses.enumerated() { re[k] = p }
        FFT.transform(&re, &im, inverse: false)
        let power = Double(count)
        for k in 0..<size {
            let r = (re[k] * re[k] + im[k] * im[k]).squareRoot()
            if r == 0 { continue }
            let theta = atan2(im[k], re[k]) * power
            let magnitude = pow(r, power)
            re[k] = magnitude * cos(theta)
            im[k] = magnitude * sin(theta)
        }
        FFT.transform(&re, &im, inverse: true)
        // re[m] is the mass of sum index count·lowestIndex + m (mod size); read the window out of it.
        let base = count * lowestIndex
        var out = [Double](repeating: 0, count: width)
        for s in window.low...window.high {
            let m = ((s - base) % size + size) % size
            out[s - window.low] = max(0, re[m])
        }
        let finite = pow(1 - infinityMass, power)  // no copy hits +∞
        var result = PrivacyLossDistribution(interval: interval, lowestIndex: window.low, masses: out,
                                             infinityMass: 1 - finite + 2 * PrivacyLossDistribution.tailBound)
        result.trim()
        return result
    }

    /// The distribution of the sum of this loss and an independent `other` (same grid).
    func composed(with other: PrivacyLossDistribution) -> PrivacyLossDistribution {
        precondition(interval == other.interval, "PrivacyLossDistribution: composing different grids")
        let width = masses.count + other.masses.count - 1
        var size = 1
        while size < width { size <<= 1 }
        var ar = [Double](repeating: 0, count: size), ai = ar, br = ar, bi = ar
        for (k, p) in masses.enumerated() { ar[k] = p }
        for (k, p) in other.masses.enumerated() { br[k] = p }
        FFT.transform(&ar, &ai, inverse: false)
        FFT.transform(&br, &bi, inverse: false)
        for k in 0..<size {
            let r = ar[k] * br[k] - ai[k] * bi[k]
            ai[k] = ar[k] * bi[k] + ai[k] * br[k]
            ar[k] = r
        }
        FFT.transform(&ar, &ai, inverse: true)
        let finite = (1 - infinityMass) * (1 - other.infinityMass)
        var result = PrivacyLossDistribution(interval: interval, lowestIndex: lowestIndex + other.lowestIndex,
                                             masses: (0..<width).map { max(0, ar[$0]) },
                                             infinityMass: 1 - finite)
        result.trim()
        return result
    }

    /// Cuts negligible tails: the top tail goes to +∞, the bottom tail moves up to the lowest kept point.
    mutating func trim() {
        let bound = PrivacyLossDistribution.tailBound
        var top = masses.count - 1, cut = 0.0
        while top > 0 && cut + masses[top] <= bound { cut += masses[top]; top -= 1 }
        infinityMass += cut
        var bottom = 0, moved = 0.0
        while bottom < top && moved + masses[bottom] <= bound { moved += masses[bottom]; bottom += 1 }
        masses = Array(masses[bottom...top])
        masses[0] += moved
        lowestIndex += bottom
        infinityMass = min(1, infinityMass)
    }
}
