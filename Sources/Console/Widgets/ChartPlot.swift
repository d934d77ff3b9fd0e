/// One plot of a stacked chart: a legend line, a y axis with ticks on the left, and the series.
/// Plots stacked in one panel share the x axis (rounds), so each is drawn at the same columns.
///
/// Contract: the legend shows each item whole or not at all (items are dropped from the end, never
/// cut); y tick labels are at most one per row; the plot's range comes from ``ChartAxis``.
struct ChartPlot {
    /// A legend entry: the series' mark (as ``BrailleChart/legendMark(_:mark:kind:)`` draws it) and its words.
    struct LegendItem {
        var pattern: BrailleChart.Pattern
        var mark: Unicode.Scalar
        var role: Style.Role
        var text: String
    }

    var legend: [LegendItem]
    var scale: ChartAxis.Scale
    var series: [BrailleChart.Series]
    /// A relative share of the panel's rows.
    var weight: Int

    /// The widest tick label.
    var labelWidth: Int { scale.ticks.map { CharacterWidth.of(scale.label($0)) }.max() ?? 1 }

    /// Draws the legend on row `y` from `x` to `maxX`; returns nothing (items that do not fit are left out).
    static func drawLegend(_ items: [LegendItem], x: Int, y: Int, maxX: Int, on screen: inout Screen, context: RenderContext) {
        var cx = x
        for item in items {
            let mark = BrailleChart.legendMark(item.pattern, mark: item.mark, kind: context.glyphs.chart)
            let text = context.text(item.text)
            let w = CharacterWidth.of(mark) + 1 + CharacterWidth.of(text)
            guard cx + w <= maxX else { continue }
            screen.put(mark, x: cx, y: y, style: Style(item.role, bold: context.monochrome))
            screen.put(text, x: cx + CharacterWidth.of(mark) + 1, y: y, style: Style(item.role))
            cx += w + 2
        }
    }

    /// Draws the y axis in the gutter left of `plot` and the series inside it.
    func draw(plot: Rect, domain: ClosedRange<Double>, on screen: inout Screen, context: RenderContext) {
        let kind = context.glyphs.chart
        let axisX = plot.x - 1
        var labelled = Set<Int>()
        for y in plot.y..<plot.maxY { screen.set(context.glyphs.isASCII ? "|" : "│", x: axisX, y: y, style: .dim) }
        for t in scale.ticks.reversed() {
            let row = BrailleChart.row(of: t, range: scale.range, height: plot.height, kind: kind)
            guard !labelled.contains(row) else { continue }
            labelled.insert(row)
            let label = scale.label(t)
            let w = CharacterWidth.of(label)
            screen.put(label, x: axisX - w, y: plot.y + row, style: .dim)
            screen.set(context.glyphs.isASCII ? "+" : "┤", x: axisX, y: plot.y + row, style: .dim)
        }
        BrailleChart(series: series, domain: domain).draw(in: plot, on: &screen, kind: kind)
    }
}
