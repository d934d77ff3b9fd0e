/// One plot of a stacked chart: a legend line, a y axis with ticks on the left, and the series.
/// Plots stacked in one panel share the x axis (rounds), so each is drawn at the same columns.
///
/// Contract: the legend shows each item whole: in its short form when the long ones do not fit,
/// and items that still do not fit are counted at the end (`+1`), never cut or silently left out; y tick labels are at most one per row; the plot's range comes from ``ChartAxis``.
struct ChartPlot {
    /// A legend entry: the series' mark (as ``BrailleChart/legendMark(_:mark:kind:)`` draws it) and its words.
    struct LegendItem {
        var pattern: BrailleChart.Pattern
        var mark: Unicode.Scalar
        var role: Style.Role
        var text: String
        /// A shorter form used when the legend does not fit in its row with the long ones.
        var short: String? = nil
    }

    var legend: [LegendItem]
    var scale: ChartAxis.Scale
    var series: [BrailleChart.Series]
    /// A relative share of the panel's rows.
    var weight: Int

    /// The widest tick label.
    var labelWidth: Int { scale.ticks.map { CharacterWidth.of(scale.label($0)) }.max() ?? 1 }

    /// Draws the legend on row `y` from `x` to `maxX`: long texts when all fit, else short ones; items
    /// that still do not fit are counted (`+N`) at the row's end.
    static func drawLegend(_ items: [LegendItem], x: Int, y: Int, maxX: Int, on screen: inout Screen, context: RenderContext) {
        func width(_ item: LegendItem, short: Bool) -> Int {
            CharacterWidth.of(BrailleChart.legendMark(item.pattern, mark: item.mark, kind: context.glyphs.chart)) + 1
                + CharacterWidth.of(context.text(short ? item.short ?? item.text : item.text))
        }
        let long = items.reduce(0) { $0 + width($1, short: false) } + 2 * max(0, items.count - 1)
        let useShort = x + long > maxX
        let widths = items.map { width($0, short: useShort) }
        func total(_ n: Int) -> Int { widths.prefix(n).reduce(0, +) + 2 * max(0, n - 1) }
        func countWidth(_ n: Int) -> Int { n < items.count ? 2 + 1 + String(items.count - n).count : 0 }
        var shown = items.count
        while shown > 0, x + total(shown) + countWidth(shown) > maxX { shown -= 1 }
        var cx = x
        for item in items.prefix(shown) {
            let mark = BrailleChart.legendMark(item.pattern, mark: item.mark, kind: context.glyphs.chart)
            screen.put(mark, x: cx, y: y, style: Style(item.role, bold: context.monochrome))
            screen.put(context.text(useShort ? item.short ?? item.text : item.text), x: cx + CharacterWidth.of(mark) + 1, y: y, style: Style(item.role))
            cx += width(item, short: useShort) + 2
        }
        if shown < items.count { screen.put("+\(items.count - shown)", x: shown == 0 ? x : cx, y: y, style: .dim, limit: maxX - (shown == 0 ? x : cx)) }
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
