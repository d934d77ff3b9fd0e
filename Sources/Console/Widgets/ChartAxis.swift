import Foundation

/// The arithmetic of the console's chart axes: "nice" tick steps (1, 2, 2.5 or 5 × 10ⁿ), a y range
/// fitted to the data with ticks on it, and round numbers on the x axis that fit a width.
///
/// Contract: ``scale(for:ticks:within:)`` returns a range that contains every finite value given
/// (clamped to `within`), starting and ending on a tick; ``roundTicks(first:last:width:column:)``
/// always shows the first and the last round (when both labels fit in the width) and its labels never
/// overlap (at least one blank column between two).
public enum ChartAxis {
    /// A fitted y axis: its range, the values of its ticks (ascending) and the decimals their labels need.
    public struct Scale: Sendable, Equatable {
        public var range: ClosedRange<Double>
        public var ticks: [Double]
        public var decimals: Int

        /// The label of a tick value (`0.5`, `1.0`, `10`).
        public func label(_ value: Double) -> String { String(format: "%.\(decimals)f", value) }
    }

    /// The smallest nice step (1, 2, 2.5 or 5 × 10ⁿ) at least `raw`.
    public static func niceStep(_ raw: Double) -> Double {
        guard raw.isFinite, raw > 0 else { return 1 }
        let magnitude = pow(10, floor(log10(raw)))
        for m in [1, 2, 2.5, 5, 10] as [Double] where m * magnitude >= raw * (1 - 1e-9) { return m * magnitude }
        return 10 * magnitude
    }

    /// A range fitted to the finite `values` with about `ticks` ticks (at least 2) on nice steps,
    /// kept inside `within` (e.g. 0…1 for accuracy). With no finite value, `within` or 0…1.
    public static func scale(for values: [Double], ticks: Int, within limits: ClosedRange<Double>? = nil) -> Scale {
        let finite = values.filter(\.isFinite)
        var lo = finite.min() ?? limits?.lowerBound ?? 0
        var hi = finite.max() ?? limits?.upperBound ?? 1
        if let limits { lo = min(max(lo, limits.lowerBound), limits.upperBound); hi = min(max(hi, limits.lowerBound), limits.upperBound) }
        if hi - lo < max(1e-9, abs(hi) * 1e-9) {
            // One value: a small range around it.
            let pad = max(abs(hi) * 0.1, 0.05)
            lo -= pad
            hi += pad
            if let limits { lo = max(lo, limits.lowerBound); hi = min(hi, limits.upperBound) }
        }
        let n = max(2, ticks)
        var step = niceStep((hi - lo) / Double(n - 1))
        var first = floor(lo / step + 1e-9) * step
        var last = ceil(hi / step - 1e-9) * step
        // Snapping both ends outwards may need one tick more than asked: widen the step once.
        if Int(((last - first) / step).rounded()) + 1 > n + 1 {
            step = niceStep(step * 1.5)
            first = floor(lo / step + 1e-9) * step
            last = ceil(hi / step - 1e-9) * step
        }
        if let limits { first = max(first, limits.lowerBound); last = min(last, limits.upperBound) }
        var tickValues: [Double] = []
        var v = first
        // At most n + 2 ticks, whatever rounding does (a step below an ulp of v would never move it).
        while v <= last + step * 1e-6, tickValues.count < n + 2 {
            tickValues.append(abs(v) < step * 1e-9 ? 0 : v)
            v += step
        }
        if tickValues.last.map({ $0 < last - step * 1e-6 }) ?? true { tickValues.append(last) }
        let decimals = max(0, Int(ceil(-log10(step) - 1e-9)) + (abs(step / pow(10, floor(log10(step))) - 2.5) < 1e-9 ? 1 : 0))
        return Scale(range: first...max(last, first + 1e-9), ticks: tickValues, decimals: decimals)
    }

    /// The rounds to label on an x axis of `width` columns from `first` to `last`, with the column of
    /// each label's round (`column` maps a round to its column, as the chart draws it) and the column
    /// where its label starts. Steps are 1, 2, 5, 10, 20, 25, 50, … rounds: the smallest whose labels fit.
    public static func roundTicks(first: Int, last: Int, width: Int, column: (Int) -> Int) -> [(round: Int, column: Int, labelStart: Int)] {
        guard width > 0 else { return [] }
        func place(_ r: Int) -> (round: Int, column: Int, labelStart: Int) {
            let c = column(r), w = String(r).count
            return (r, c, min(max(0, c - (w - 1) / 2), max(0, width - w)))
        }
        func fits(_ ticks: [(round: Int, column: Int, labelStart: Int)]) -> Bool {
            // Three blank columns at least between labels, so each number reads as its own tick.
            zip(ticks, ticks.dropFirst()).allSatisfy { a, b in a.labelStart + String(a.round).count + 3 <= b.labelStart }
        }
        var steps: [Int] = []
        var magnitude = 1
        while magnitude <= max(1, last - first) * 10 {
            steps += [1, 2, 5].map { $0 * magnitude } + (magnitude >= 10 ? [magnitude * 25 / 10] : [])
            magnitude *= 10
        }
        steps.sort()
        let ends = last > first ? [place(first), place(last)] : [place(first)]
        for step in steps {
            var ticks = [place(first)]
            var r = (first / step + 1) * step
            while r < last {
                ticks.append(place(r))
                r += step
            }
            if last > first { ticks.append(place(last)) }
            // The last round is always labelled: drop the inner ticks its label would touch.
            while ticks.count > 2, !fits(Array(ticks.suffix(2))) { ticks.remove(at: ticks.count - 2) }
            if fits(ticks) && ticks.count > 2 || step >= max(1, last - first) { return fits(ticks) ? ticks : (fits(ends) ? ends : [place(first)]) }
        }
        return fits(ends) ? ends : [place(first)]
    }
}
