import Foundation

/// Which chart the training panel puts first when it is too short for all of them (`g` moves on).
public enum TrainingChart: String, Sendable, CaseIterable {
    /// Loss (train and evaluation), with accuracy below when two plots fit.
    case training
    /// Accuracy and its baseline, with ε below when two plots fit.
    case accuracy
    /// ε spent per round, the budget and the projected paths.
    case epsilon

    public var next: TrainingChart { self == .training ? .accuracy : self == .accuracy ? .epsilon : .training }
}

/// Training: up to three plots stacked over one x axis of rounds — loss (train solid, evaluation
/// dotted) on its own fitted axis, accuracy (dashed) on its own axis with the majority-class
/// baseline (a dotted line), and ε spent per round (``EpsilonChart``) — with a mark under each round
/// where the noise, clip or learning rate changed, the latest labelled with what changed.
///
/// Contract: when the panel has rows for all three plots it shows them all; otherwise the
/// controller's ``TrainingChart`` picks the plot shown first (and the next one below it when two fit). Every plot has a legend that names
/// its series with the marks drawn, so no series is told apart by colour alone.
public enum TrainingPanel {
    /// Rows the x axis and the marker line take.
    static let footerRows = 2

    /// - Parameter only: the plots to consider (the presenter shows accuracy and ε, not the loss).
    public static func draw(_ view: ConsoleView, in rect: Rect, on screen: inout Screen, context: RenderContext, title: String = "Training",
                            only: [TrainingChart] = TrainingChart.allCases) {
        Frame.draw(title, in: rect, on: &screen, context: context)
        let inner = rect.inner
        guard inner.height >= 4, inner.width >= 16 else { return }
        let m = view.model
        let g = context.glyphs
        guard !m.points.isEmpty else {
            screen.put("waiting for the first round\(g.ellipsis)", x: inner.x, y: inner.y, style: .dim, limit: inner.width)
            return
        }
        let domain = Double(max(1, m.run?.startRound ?? 1))...Double(max(m.plannedRounds, m.points.last?.round ?? 1, 2))
        let rows = inner.height - footerRows
        let loss = lossPlot(m), accuracy = accuracyPlot(m)
        let epsilon = m.privacyOn ? EpsilonChart.plot(view) : nil
        // All three when they fit (two rows each and a legend line); else the chosen one first, with
        // the next below it when two fit.
        var kinds: [TrainingChart] = [.training, .accuracy] + (epsilon == nil ? [] : [.epsilon])
        kinds = kinds.filter(only.contains)
        if kinds.isEmpty { kinds = [.training] }
        let available = kinds.map { $0 == .training ? loss : $0 == .accuracy ? accuracy : epsilon! }
        var plots: [ChartPlot]
        if rows >= available.count * 3 {
            plots = available
        } else {
            let first = kinds.firstIndex(of: view.controller.chart) ?? 0
            plots = [available[first]]
            if rows >= 6, first + 1 < available.count { plots.append(available[first + 1]) }
        }
        // Each plot has its own legend line when there are rows for it and two rows of plot.
        let ownLegends = rows >= plots.count * 3
        let legendRows = ownLegends ? plots.count : 1
        let heights = share(rows - legendRows, among: plots.map(\.weight))
        let gutter = (plots.map(\.labelWidth).max() ?? 1) + 1
        let plotX = inner.x + gutter, plotWidth = inner.width - gutter
        guard plotWidth >= 4 else { return }
        var y = inner.y
        if !ownLegends {
            ChartPlot.drawLegend(plots.flatMap(\.legend), x: inner.x, y: y, maxX: inner.maxX, on: &screen, context: context)
            y += 1
        }
        for (plot, height) in zip(plots, heights) {
            if ownLegends {
                ChartPlot.drawLegend(plot.legend, x: inner.x, y: y, maxX: inner.maxX, on: &screen, context: context)
                y += 1
            }
            guard height > 0 else { continue }
            plot.draw(plot: Rect(x: plotX, y: y, width: plotWidth, height: height), domain: domain, on: &screen, context: context)
            y += height
        }
        let column = { (r: Int) in BrailleChart.column(of: Double(r), domain: domain, width: plotWidth, kind: g.chart) }
        drawRoundAxis(first: Int(domain.lowerBound), last: Int(domain.upperBound), x: plotX, y: inner.maxY - 2, width: plotWidth,
                      gutter: gutter, column: column, on: &screen, context: context)
        drawMarkers(m.changes, x: plotX, y: inner.maxY - 1, width: plotWidth, maxX: inner.maxX, column: column, on: &screen, context: context)
    }

    /// Splits `total` rows by weight, each plot getting at least one (two when there are enough).
    static func share(_ total: Int, among weights: [Int]) -> [Int] {
        guard !weights.isEmpty else { return [] }
        let minimum = total >= 2 * weights.count ? 2 : 1
        let sum = max(1, weights.reduce(0, +))
        var out = weights.map { max(minimum, total * $0 / sum) }
        // Give rounding's leftover to the first plot, and take any excess from the largest.
        while out.reduce(0, +) < total { out[0] += 1 }
        while out.reduce(0, +) > total, let i = out.indices.max(by: { out[$0] < out[$1] }), out[i] > 1 { out[i] -= 1 }
        return out
    }

    static func lossPlot(_ m: DashboardModel) -> ChartPlot {
        let points = m.points
        let train = points.map { (x: Double($0.round), y: $0.trainLoss) }
        let eval = points.compactMap { p in p.evalLoss.map { (x: Double(p.round), y: $0) } }
        let scale = ChartAxis.scale(for: train.map(\.y) + eval.map(\.y), ticks: 4)
        var legend = [ChartPlot.LegendItem(pattern: .solid, mark: "*", role: .trainLoss, text: "train loss \(fmt(points.last!.trainLoss, 3))")]
        if let e = points.last?.evalLoss { legend.append(.init(pattern: .dotted, mark: "o", role: .evalLoss, text: "eval loss \(fmt(e, 3))")) }
        return ChartPlot(legend: legend, scale: scale, series: [
            .init(values: train, range: scale.range, role: .trainLoss, mark: "*", pattern: .solid),
            .init(values: eval, range: scale.range, role: .evalLoss, mark: "o", pattern: .dotted),
        ], weight: 4)
    }

    static func accuracyPlot(_ m: DashboardModel) -> ChartPlot {
        let acc = m.points.compactMap { p in p.accuracy.map { (x: Double(p.round), y: $0) } }
        let baseline = m.facts.majorityBaseline
        // At least 0.2 of accuracy on the axis: a flat run must look flat, not like noise zoomed to
        // fill the plot (0.676…0.680 drawn edge to edge read as learning).
        var values = acc.map(\.y) + (baseline.map { [$0] } ?? [])
        if let lo = values.min(), let hi = values.max(), hi - lo < 0.2 {
            let mid = min(max((lo + hi) / 2, 0.1), 0.9)
            values += [mid - 0.1, mid + 0.1]
        }
        let scale = ChartAxis.scale(for: values, ticks: 3, within: 0...1)
        var legend: [ChartPlot.LegendItem] = []
        // What the number means, where the row has room: "accuracy 0.852, 85 in 100 right".
        let last = m.points.last?.accuracy
        let figure = "accuracy " + (last.map { fmt($0, 3) } ?? "-")
        legend.append(.init(pattern: .dashed, mark: "+", role: .accuracy,
                            text: figure + (last.flatMap { (0...1).contains($0) ? ", \(Int(($0 * 100).rounded())) in 100 right" : nil } ?? ""),
                            short: figure))
        var series = [BrailleChart.Series(values: acc, range: scale.range, role: .accuracy, mark: "+", pattern: .dashed)]
        if let baseline {
            legend.append(.init(pattern: .dotted, mark: ".", role: .dim, text: "baseline \(fmt(baseline, 2))"))
            let domainEnd = Double(max(m.plannedRounds, m.points.last?.round ?? 1, 2))
            series.insert(.init(values: [(Double(max(1, m.run?.startRound ?? 1)), baseline), (domainEnd, baseline)], range: scale.range,
                                role: .dim, mark: ".", pattern: .dotted, isReference: true), at: 0)
        }
        return ChartPlot(legend: legend, scale: scale, series: series, weight: 3)
    }

    /// The x axis: round numbers under their columns, `round` in the gutter.
    static func drawRoundAxis(first: Int, last: Int, x: Int, y: Int, width: Int, gutter: Int, column: (Int) -> Int,
                              on screen: inout Screen, context: RenderContext) {
        let word = gutter > 5 ? "round" : "rnd"
        if gutter > 3 { screen.put(word, x: x - gutter, y: y, style: .dim, limit: gutter - 1) }
        for t in ChartAxis.roundTicks(first: first, last: last, width: width, column: column) {
            screen.put(String(t.round), x: x + t.labelStart, y: y, style: .dim)
        }
    }

    /// Marks under the rounds where a setting changed; the latest labelled with what changed
    /// (`▲ lr 0.05→0.0455 r8`), starting at its mark when it fits, else ending at the panel's edge.
    static func drawMarkers(_ changes: [SettingChange], x: Int, y: Int, width: Int, maxX: Int, column: (Int) -> Int,
                            on screen: inout Screen, context: RenderContext) {
        let g = context.glyphs
        for c in changes {
            screen.set(g.marker, x: x + column(c.round), y: y, style: Style(.marker, bold: true))
        }
        guard let last = changes.last else { return }
        let text = context.text("\(g.marker) " + label(last, glyphs: g))
        let w = CharacterWidth.of(text)
        let start = x + column(last.round)
        let at = start + w <= maxX ? start : max(x - 1, maxX - w)
        screen.put(text, x: at, y: y, style: Style(.marker), limit: maxX - at)
    }

    /// What a change did, in words and numbers: `σ 1.1→1.21 r4`, `lr 0.05→0.0455 r8`, `C 1.2 r3`.
    public static func label(_ c: SettingChange, glyphs: Glyphs) -> String {
        let name = c.setting == .noise ? glyphs.sigma : c.setting == .clip ? "C" : "lr"
        let (before, after) = significant(c.previous, c.value)
        return before.map { "\(name) \($0)\(glyphs.arrow)\(after) r\(c.round)" } ?? "\(name) \(after) r\(c.round)"
    }

    /// Two values with the fewest significant digits (3 to 6) that tell them apart, trailing zeros off.
    static func significant(_ a: Double?, _ b: Double) -> (String?, String) {
        func text(_ v: Double, _ digits: Int) -> String { String(format: "%.\(digits)g", v) }
        for digits in 3...6 {
            let tb = text(b, digits)
            guard let a else { return (nil, tb) }
            let ta = text(a, digits)
            if ta != tb || digits == 6 { return (ta, tb) }
        }
        return (a.map { text($0, 6) }, text(b, 6))
    }
}
