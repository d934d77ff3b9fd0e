import Foundation

/// A ``ReportChart`` drawn as one standalone SVG image: title, frame, axes with tick labels, axis
/// labels, a legend, and the series as polylines (`.line`) or grouped bars (`.bars`).
///
/// Contract:
/// - The output is a well-formed `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 w h">` element;
///   every piece of text (title, labels, categories) is escaped, and no coordinate is ever NaN or
///   infinite: points with a non-finite coordinate are skipped, and on a log axis so are points with a
///   coordinate ≤ 0 (they stay in the CSV, not in the picture).
/// - Axes use the chart's fixed range when it is usable (finite, increasing, > 0 on a log axis), and
///   otherwise the drawn points' range: padded by 5 % on a linear axis, widened to whole decades on a
///   log axis; a bar chart's value axis always includes 0. Linear axes have round ticks (1, 2 or 5 ×
///   10^k); log axes have one labelled tick per decade (`0.001`, `0.01`, `0.1`, `1`, …) and unlabelled
///   ticks at 2…9 × 10^k.
/// - Series take colours in order from the Okabe–Ito colour-blind-safe palette; after eight series
///   the colours repeat with dashed lines. A line series gets one `<polyline class="series">` with one
///   vertex per drawn point (in the series' order) and, when it has at most ``markerLimit`` drawn
///   points, a small circle on each. Points outside a fixed range are clipped to the plot area.
/// - `diagonal` adds the dashed y = x line (`class="diagonal"`), clipped to the plot area; on log–log
///   axes it is still y = x, and on mixed axes it is drawn as the curve it becomes. Bar charts ignore it.
/// - Bars: one group per category, one bar per series, a point's `x` being its category's index
///   (points whose `x` is not a whole index into `categories` are skipped).
/// - A chart with no drawable point (no series, no categories, only NaN or non-positive log values)
///   is an SVG saying "no data".
/// - `width` and `height` are at least 240 × 180; the height grows when a long legend needs room.
public enum SVGChart {
    /// Okabe & Ito (2008), ordered so that the first colours are the most distinct on white
    /// (yellow, the faintest, last).
    static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
    /// Dash patterns for the second and later rounds of the palette.
    static let dashes = ["6 3", "2 2", "8 3 2 3"]
    /// A line series with more drawn points than this gets no markers (a 400-point ROC curve would
    /// be a smear of dots).
    public static let markerLimit = 50

    /// The chart as a standalone SVG document fragment (`<svg xmlns=…>…</svg>`).
    public static func render(_ chart: ReportChart, width: Int = 640, height: Int = 400) -> String {
        render(chart, width: width, height: height, standalone: true)
    }

    /// `standalone: false` leaves out the `xmlns` attribute, for SVG inlined in HTML5 (where the
    /// parser supplies the namespace and the document must hold no URL).
    static func render(_ chart: ReportChart, width: Int, height: Int, standalone: Bool) -> String {
        var layout = Layout(chart: chart, width: max(width, 240), height: max(height, 180))
        switch chart.kind {
        case .line:
            let series = chart.series.map { series in
                series.points.filter { drawable($0.x, chart.xScale) && drawable($0.y, chart.yScale) }
            }
            let all = series.flatMap { $0 }
            guard !all.isEmpty,
                  let xDomain = domain(of: all.map(\.x), scale: chart.xScale, fixed: chart.xRange, includeZero: false),
                  let yDomain = domain(of: all.map(\.y), scale: chart.yScale, fixed: chart.yRange, includeZero: false)
            else { return noData(chart, layout: layout, standalone: standalone) }
            return layout.lines(series: series, xDomain: xDomain, yDomain: yDomain, standalone: standalone)
        case .bars(let categories):
            let series = chart.series.map { series in
                series.points.compactMap { point -> (category: Int, value: Double)? in
                    guard point.x.isFinite, point.x == point.x.rounded(), point.x >= 0,
                          point.x < Double(categories.count), drawable(point.y, chart.yScale) else { return nil }
                    return (Int(point.x), point.y)
                }
            }
            let all = series.flatMap { $0 }
            guard !all.isEmpty,
                  let yDomain = domain(of: all.map(\.value), scale: chart.yScale, fixed: chart.yRange, includeZero: true)
            else { return noData(chart, layout: layout, standalone: standalone) }
            return layout.bars(series: series, categories: categories, yDomain: yDomain, standalone: standalone)
        }
    }

    /// XML (and HTML) text and attribute escaping: `&`, `<`, `>`, `"`, `'`; control characters that
    /// XML 1.0 forbids (all below U+0020 but tab, LF and CR) are dropped.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value >= 0x20, scalar.value != 0xFFFE, scalar.value != 0xFFFF {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// A pixel coordinate: two decimals at most, never NaN (a value that is not finite is written as
    /// 0 — unreachable, since every drawn value is finite — and far-away ones are clamped).
    static func px(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let clamped = min(max(value, -100_000), 100_000)
        var text = String(format: "%.2f", clamped)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }

    /// An estimate of a label's width in pixels (sans-serif at `size`).
    static func textWidth(_ text: String, size: Double = 12) -> Double {
        Double(text.count) * size * 0.6
    }

    static func noData(_ chart: ReportChart, layout: Layout, standalone: Bool) -> String {
        var svg = layout.open(standalone: standalone)
        svg += "<text x=\"\(px(layout.width / 2))\" y=\"\(px(layout.height / 2))\" text-anchor=\"middle\" fill=\"#666666\" font-size=\"14\">no data</text>\n"
        return svg + "</svg>\n"
    }
}

extension SVGChart {
    /// The picture's geometry and the drawing of its parts.
    struct Layout {
        let chart: ReportChart
        let width: Double
        var height: Double
        let clipID: String

        init(chart: ReportChart, width: Int, height: Int) {
            self.chart = chart
            self.width = Double(width)
            self.height = Double(height)
            let stem = chart.name.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") }
            clipID = "clip-" + (stem.isEmpty ? "chart" : String(String.UnicodeScalarView(stem)))
        }

        static let titleSize = 15.0
        static let plotTop = 40.0
        static let right = 24.0
        static let legendRow = 18.0

        /// `<svg …>`, its `<title>`, the white background and the visible title.
        func open(standalone: Bool) -> String {
            let namespace = standalone ? " xmlns=\"http://www.w3.org/2000/svg\"" : ""
            let w = px(width), h = px(height)
            var svg = "<svg\(namespace) viewBox=\"0 0 \(w) \(h)\" width=\"\(w)\" height=\"\(h)\" role=\"img\" font-family=\"sans-serif\" font-size=\"12\">\n"
            svg += "<title>\(escape(chart.title))</title>\n"
            svg += "<rect class=\"background\" x=\"0\" y=\"0\" width=\"\(w)\" height=\"\(h)\" fill=\"#ffffff\"/>\n"
            svg += "<text class=\"title\" x=\"\(px(width / 2))\" y=\"24\" text-anchor=\"middle\" font-size=\"\(px(Self.titleSize))\" font-weight=\"bold\">\(escape(chart.title))</text>\n"
            return svg
        }

        /// Legend entries: label, colour, dash, swatch kind.
        struct LegendEntry {
            var label: String
            var colour: String
            var dash: String?
            var swatch: Swatch
            enum Swatch { case line, dashedGrey, box }
        }

        /// The legend laid out in rows from the left, wrapping at the picture's width.
        func legendRows(_ entries: [LegendEntry]) -> [[(entry: LegendEntry, x: Double)]] {
            var rows: [[(entry: LegendEntry, x: Double)]] = [[]]
            var x = 16.0
            for entry in entries {
                let itemWidth = 28 + textWidth(entry.label) + 18
                if x + itemWidth > width - 8, !rows[rows.count - 1].isEmpty {
                    rows.append([])
                    x = 16
                }
                rows[rows.count - 1].append((entry, x))
                x += itemWidth
            }
            return rows.filter { !$0.isEmpty }
        }

        func drawLegend(_ rows: [[(entry: LegendEntry, x: Double)]], top: Double) -> String {
            var svg = "<g class=\"legend\">\n"
            for (r, row) in rows.enumerated() {
                let y = top + Double(r) * Self.legendRow
                for (entry, x) in row {
                    switch entry.swatch {
                    case .line:
                        let dash = entry.dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
                        svg += "<line x1=\"\(px(x))\" y1=\"\(px(y - 4))\" x2=\"\(px(x + 22))\" y2=\"\(px(y - 4))\" stroke=\"\(entry.colour)\" stroke-width=\"2\"\(dash)/>\n"
                    case .dashedGrey:
                        svg += "<line x1=\"\(px(x))\" y1=\"\(px(y - 4))\" x2=\"\(px(x + 22))\" y2=\"\(px(y - 4))\" stroke=\"#888888\" stroke-width=\"1.5\" stroke-dasharray=\"5 4\"/>\n"
                    case .box:
                        svg += "<rect x=\"\(px(x + 5))\" y=\"\(px(y - 10))\" width=\"12\" height=\"12\" fill=\"\(entry.colour)\"/>\n"
                    }
                    svg += "<text x=\"\(px(x + 28))\" y=\"\(px(y))\">\(escape(entry.label))</text>\n"
                }
            }
            return svg + "</g>\n"
        }

        static func colour(_ index: Int) -> String { palette[index % palette.count] }
        static func dash(_ index: Int) -> String? {
            index < palette.count ? nil : dashes[(index / palette.count - 1) % dashes.count]
        }

        /// The left margin that fits the y tick labels and the rotated y-axis label.
        static func leftMargin(_ ticks: [Tick], width: Double) -> Double {
            let widest = ticks.compactMap(\.label).map { textWidth($0) }.max() ?? 0
            return min(max(56, 30 + widest + 10), width / 3)
        }

        /// Grid, frame, y ticks and labels, y-axis label; x ticks when `xAxis` is given.
        func axes(x xAxis: Axis?, y yAxis: Axis, left: Double, bottom: Double) -> String {
            let right = width - Self.right
            let top = Self.plotTop
            var grid = "<g class=\"grid\" stroke=\"#e6e6e6\" stroke-width=\"1\">\n"
            var ticks = "<g class=\"ticks\" stroke=\"#333333\" stroke-width=\"1\">\n"
            var labels = "<g class=\"tick-labels\" fill=\"#333333\">\n"
            for tick in yAxis.domain.ticks where tick.value >= yAxis.domain.lower && tick.value <= yAxis.domain.upper {
                let y = yAxis.position(tick.value)
                if let label = tick.label {
                    grid += "<line x1=\"\(px(left))\" y1=\"\(px(y))\" x2=\"\(px(right))\" y2=\"\(px(y))\"/>\n"
                    ticks += "<line x1=\"\(px(left - 5))\" y1=\"\(px(y))\" x2=\"\(px(left))\" y2=\"\(px(y))\"/>\n"
                    labels += "<text x=\"\(px(left - 8))\" y=\"\(px(y + 4))\" text-anchor=\"end\">\(escape(label))</text>\n"
                } else {
                    ticks += "<line x1=\"\(px(left - 3))\" y1=\"\(px(y))\" x2=\"\(px(left))\" y2=\"\(px(y))\"/>\n"
                }
            }
            if let xAxis {
                for tick in xAxis.domain.ticks where tick.value >= xAxis.domain.lower && tick.value <= xAxis.domain.upper {
                    let x = xAxis.position(tick.value)
                    if let label = tick.label {
                        grid += "<line x1=\"\(px(x))\" y1=\"\(px(top))\" x2=\"\(px(x))\" y2=\"\(px(bottom))\"/>\n"
                        ticks += "<line x1=\"\(px(x))\" y1=\"\(px(bottom))\" x2=\"\(px(x))\" y2=\"\(px(bottom + 5))\"/>\n"
                        labels += "<text x=\"\(px(x))\" y=\"\(px(bottom + 18))\" text-anchor=\"middle\">\(escape(label))</text>\n"
                    } else {
                        ticks += "<line x1=\"\(px(x))\" y1=\"\(px(bottom))\" x2=\"\(px(x))\" y2=\"\(px(bottom + 3))\"/>\n"
                    }
                }
            }
            var svg = grid + "</g>\n" + ticks + "</g>\n" + labels + "</g>\n"
            svg += "<rect class=\"frame\" x=\"\(px(left))\" y=\"\(px(top))\" width=\"\(px(right - left))\" height=\"\(px(bottom - top))\" fill=\"none\" stroke=\"#333333\" stroke-width=\"1\"/>\n"
            svg += "<text class=\"axis-label\" transform=\"translate(16 \(px((top + bottom) / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(chart.yLabel))</text>\n"
            return svg
        }

        func clipPath(left: Double, bottom: Double) -> String {
            let right = width - Self.right
            return "<defs><clipPath id=\"\(clipID)\"><rect x=\"\(px(left))\" y=\"\(px(Self.plotTop))\" width=\"\(px(right - left))\" height=\"\(px(bottom - Self.plotTop))\"/></clipPath></defs>\n"
        }

        mutating func lines(series: [[ChartPoint]], xDomain: Axis.Domain, yDomain: Axis.Domain, standalone: Bool) -> String {
            var entries = chart.series.enumerated().map { index, s in
                LegendEntry(label: series[index].isEmpty ? s.label + " (nothing to draw)" : s.label,
                            colour: Self.colour(index), dash: Self.dash(index), swatch: .line)
            }
            if chart.diagonal { entries.append(LegendEntry(label: "y = x", colour: "#888888", swatch: .dashedGrey)) }
            let rows = legendRows(entries)
            // Below the plot: tick labels, the x-axis label, the legend.
            let below = 22 + 20 + 8 + Double(rows.count) * Self.legendRow + 4
            height = max(height, Self.plotTop + 100 + below)
            let bottom = height - below
            let left = Self.leftMargin(yDomain.ticks, width: width)
            let xAxis = Axis(domain: xDomain, start: left, end: width - Self.right)
            let yAxis = Axis(domain: yDomain, start: bottom, end: Self.plotTop)

            var svg = open(standalone: standalone)
            svg += clipPath(left: left, bottom: bottom)
            svg += axes(x: xAxis, y: yAxis, left: left, bottom: bottom)
            svg += "<text class=\"axis-label\" x=\"\(px((left + width - Self.right) / 2))\" y=\"\(px(bottom + 40))\" text-anchor=\"middle\">\(escape(chart.xLabel))</text>\n"
            svg += "<g clip-path=\"url(#\(clipID))\">\n"
            if chart.diagonal { svg += diagonal(x: xAxis, y: yAxis) }
            for (index, points) in series.enumerated() where !points.isEmpty {
                let colour = Self.colour(index)
                let dash = Self.dash(index).map { " stroke-dasharray=\"\($0)\"" } ?? ""
                let vertices = points.map { "\(px(xAxis.position($0.x))),\(px(yAxis.position($0.y)))" }
                svg += "<polyline class=\"series\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" stroke-linejoin=\"round\"\(dash) points=\"\(vertices.joined(separator: " "))\"/>\n"
                if points.count <= markerLimit {
                    svg += "<g class=\"markers\" fill=\"\(colour)\">\n"
                    for point in points {
                        svg += "<circle cx=\"\(px(xAxis.position(point.x)))\" cy=\"\(px(yAxis.position(point.y)))\" r=\"2.5\"/>\n"
                    }
                    svg += "</g>\n"
                }
            }
            svg += "</g>\n"
            svg += drawLegend(rows, top: bottom + 64)
            return svg + "</svg>\n"
        }

        /// The y = x line across the plot area (the part of it where both coordinates are inside the
        /// two domains), sampled as a curve when one axis is log and the other linear.
        func diagonal(x xAxis: Axis, y yAxis: Axis) -> String {
            let from = max(xAxis.domain.lower, yAxis.domain.lower)
            let to = min(xAxis.domain.upper, yAxis.domain.upper)
            guard from < to else { return "" }
            let values: [Double]
            if xAxis.domain.scale == yAxis.domain.scale {
                values = [from, to]
            } else if from > 0 {
                // Evenly spaced in log10 (one axis is log, so `from` > 0 on it and on y = x).
                values = (0...96).map { from * pow(to / from, Double($0) / 96) }
            } else {
                values = (0...96).map { from + (to - from) * Double($0) / 96 }
            }
            let vertices = values.map { "\(px(xAxis.position($0))),\(px(yAxis.position($0)))" }
            return "<polyline class=\"diagonal\" fill=\"none\" stroke=\"#888888\" stroke-width=\"1.5\" stroke-dasharray=\"5 4\" points=\"\(vertices.joined(separator: " "))\"/>\n"
        }

        mutating func bars(series: [[(category: Int, value: Double)]], categories: [String], yDomain: Axis.Domain,
                           standalone: Bool) -> String {
            let entries = chart.series.enumerated().map { index, s in
                LegendEntry(label: series[index].isEmpty ? s.label + " (nothing to draw)" : s.label,
                            colour: Self.colour(index), swatch: .box)
            }
            let rows = legendRows(entries)
            let left = Self.leftMargin(yDomain.ticks, width: width)
            let right = width - Self.right
            let groupWidth = (right - left) / Double(categories.count)
            let shown = categories.map { $0.count > 24 ? String($0.prefix(23)) + "…" : $0 }
            let rotate = shown.contains { textWidth($0, size: 11) > groupWidth - 4 }
            let labelHeight = rotate ? min(90, 12 + (shown.map { textWidth($0, size: 11) }.max() ?? 0) * 0.6) : 22
            let below = labelHeight + 20 + 8 + Double(rows.count) * Self.legendRow + 4
            height = max(height, Self.plotTop + 100 + below)
            let bottom = height - below
            let yAxis = Axis(domain: yDomain, start: bottom, end: Self.plotTop)

            var svg = open(standalone: standalone)
            svg += clipPath(left: left, bottom: bottom)
            svg += axes(x: nil, y: yAxis, left: left, bottom: bottom)
            svg += "<g class=\"category-labels\" fill=\"#333333\" font-size=\"11\">\n"
            for (index, label) in shown.enumerated() {
                let x = left + (Double(index) + 0.5) * groupWidth
                if rotate {
                    svg += "<text transform=\"translate(\(px(x)) \(px(bottom + 14))) rotate(-35)\" text-anchor=\"end\">\(escape(label))</text>\n"
                } else {
                    svg += "<text x=\"\(px(x))\" y=\"\(px(bottom + 17))\" text-anchor=\"middle\">\(escape(label))</text>\n"
                }
            }
            svg += "</g>\n"
            svg += "<text class=\"axis-label\" x=\"\(px((left + right) / 2))\" y=\"\(px(bottom + labelHeight + 18))\" text-anchor=\"middle\">\(escape(chart.xLabel))</text>\n"
            // Bars stand on 0 (on the bottom edge for a log axis, or when 0 is outside a fixed range).
            let clamp = { (y: Double) in min(max(y, Self.plotTop), bottom) }
            let base = yDomain.scale == .log ? bottom : clamp(yAxis.position(0))
            let barWidth = groupWidth * 0.8 / Double(max(1, series.count))
            svg += "<g class=\"bars\" clip-path=\"url(#\(clipID))\">\n"
            for (index, bars) in series.enumerated() {
                for bar in bars {
                    let x = left + Double(bar.category) * groupWidth + groupWidth * 0.1 + Double(index) * barWidth
                    let top = clamp(yAxis.position(bar.value))
                    let tip = "\(chart.series[index].label), \(categories[bar.category]): \(String(describing: bar.value))"
                    svg += "<rect class=\"bar\" x=\"\(px(x))\" y=\"\(px(min(top, base)))\" width=\"\(px(barWidth))\" height=\"\(px(abs(base - top)))\" fill=\"\(Self.colour(index))\"><title>\(escape(tip))</title></rect>\n"
                }
            }
            svg += "</g>\n"
            if yDomain.scale == .linear, yDomain.lower < 0, yDomain.upper > 0 {
                svg += "<line class=\"baseline\" x1=\"\(px(left))\" y1=\"\(px(base))\" x2=\"\(px(right))\" y2=\"\(px(base))\" stroke=\"#333333\" stroke-width=\"1\"/>\n"
            }
            svg += drawLegend(rows, top: bottom + labelHeight + 42)
            return svg + "</svg>\n"
        }
    }
}
