import Foundation

// SVGChart's axes: usable domains, their mapping onto pixels, and round ticks (linear) or decades (log).
extension SVGChart {
    static func drawable(_ value: Double, _ scale: ReportChart.Scale) -> Bool {
        value.isFinite && (scale == .linear || value > 0)
    }

    /// The axis range: the fixed one when usable, else from `values` (all drawable on `scale`).
    static func domain(of values: [Double], scale: ReportChart.Scale, fixed: ClosedRange<Double>?,
                       includeZero: Bool) -> Axis.Domain? {
        if let fixed, let domain = Axis.Domain(lower: fixed.lowerBound, upper: fixed.upperBound, scale: scale) {
            return domain
        }
        guard var lower = values.min(), var upper = values.max() else { return nil }
        switch scale {
        case .linear:
            if includeZero {
                lower = min(lower, 0)
                upper = max(upper, 0)
            }
            let span = upper - lower
            if span == 0 || !span.isFinite {
                let pad = lower == 0 ? 1 : abs(lower) * 0.1
                lower -= pad
                upper += pad
            } else {
                // Bars stand on 0: no padding below a baseline at 0 (or above one, for negative bars).
                if !(includeZero && lower == 0) { lower -= span * 0.05 }
                if !(includeZero && upper == 0) { upper += span * 0.05 }
            }
        case .log:
            let low = pow(10, (log10(lower) + 1e-9).rounded(.down))
            let high = pow(10, (log10(upper) - 1e-9).rounded(.up))
            lower = low > 0 ? min(low, lower) : lower
            upper = high.isFinite ? max(high, upper) : upper
            if lower == upper { upper = lower * 10 }
        }
        return Axis.Domain(lower: lower, upper: upper, scale: scale)
    }

    /// A tick: where, its label (nil for a minor log tick).
    struct Tick {
        var value: Double
        var label: String?
    }

    /// Round ticks (1, 2 or 5 × 10^k apart, about `target` of them) inside `lower…upper`.
    static func linearTicks(_ lower: Double, _ upper: Double, target: Int = 5) -> [Tick] {
        let raw = (upper - lower) / Double(target)
        guard raw > 0, raw.isFinite else { return [] }
        let exponent = log10(raw).rounded(.down)
        let base = pow(10, exponent)
        let mantissa = raw / base
        // The round step nearest `raw` on a log scale (as d3 does): thresholds √2, √10, √50.
        let step = (mantissa < 2.0.squareRoot() ? 1 : mantissa < 10.0.squareRoot() ? 2 : mantissa < 50.0.squareRoot() ? 5 : 10) * base
        let decimals = max(0, -Int((log10(step) + 1e-9).rounded(.down)))
        let magnitude = max(abs(lower), abs(upper))
        var ticks: [Tick] = []
        var index = (lower / step - 1e-9).rounded(.up)
        while index * step <= upper + step * 1e-9, ticks.count < 50 {
            var value = index * step
            if abs(value) < step * 1e-9 { value = 0 }
            let label = decimals > 6 || magnitude >= 1e9
                ? String(format: "%g", value)
                : String(format: "%.\(decimals)f", value)
            ticks.append(Tick(value: value, label: label))
            index += 1
        }
        return ticks
    }

    /// One labelled tick per decade (every few decades on a very wide axis), unlabelled ticks at
    /// 2…9 × 10^k when the axis spans at most eight decades, and labelled ends when fewer than two
    /// decades fall inside.
    static func logTicks(_ lower: Double, _ upper: Double) -> [Tick] {
        let first = Int((log10(lower) - 1e-9).rounded(.up))
        let last = Int((log10(upper) + 1e-9).rounded(.down))
        var ticks: [Tick] = []
        let decades = last - first + 1
        if decades > 0 {
            let stride = max(1, (decades + 7) / 8)
            for k in first...last where (k - first) % stride == 0 {
                ticks.append(Tick(value: pow(10, Double(k)), label: decadeLabel(k)))
            }
        }
        if decades < 2 {
            for end in [lower, upper] where !ticks.contains(where: { abs(log10($0.value / end)) < 0.05 }) {
                ticks.append(Tick(value: end, label: String(format: "%g", end)))
            }
        }
        let span = log10(upper) - log10(lower)
        if span <= 8 {
            for k in (first - 1)...last {
                for m in 2...9 {
                    let value = Double(m) * pow(10, Double(k))
                    if value > lower, value < upper { ticks.append(Tick(value: value, label: nil)) }
                }
            }
        }
        return ticks
    }

    /// `10^k` written out: `0.001`, `0.01`, `0.1`, `1`, `10`, … (`1e-6`, `1e6` beyond five zeros).
    static func decadeLabel(_ k: Int) -> String {
        switch k {
        case ..<(-5), 6...: "1e\(k)"
        case ..<0: "0." + String(repeating: "0", count: -k - 1) + "1"
        default: "1" + String(repeating: "0", count: k)
        }
    }


    /// One axis: a domain in data units mapped onto a pixel interval.
    struct Axis {
        /// A usable range: finite, increasing, and > 0 on a log scale.
        struct Domain {
            var lower: Double
            var upper: Double
            var scale: ReportChart.Scale

            init?(lower: Double, upper: Double, scale: ReportChart.Scale) {
                guard lower.isFinite, upper.isFinite, lower < upper, (upper - lower).isFinite,
                      scale == .linear || lower > 0 else { return nil }
                self.lower = lower
                self.upper = upper
                self.scale = scale
            }

            /// Where `value` lies, 0 at `lower` and 1 at `upper` (linearly in log10 on a log scale).
            func fraction(_ value: Double) -> Double {
                switch scale {
                case .linear: (value - lower) / (upper - lower)
                case .log: (log10(value) - log10(lower)) / (log10(upper) - log10(lower))
                }
            }

            var ticks: [Tick] {
                scale == .linear ? linearTicks(lower, upper) : logTicks(lower, upper)
            }
        }

        var domain: Domain
        /// Pixels of `domain.lower` and `domain.upper` (for y, start is below end).
        var start: Double
        var end: Double

        func position(_ value: Double) -> Double {
            start + domain.fraction(value) * (end - start)
        }
    }
}
