/// Training: training loss, evaluation loss and accuracy per round as a line chart (braille, half
/// blocks or ASCII), with a mark under each round where the noise, clip or learning rate changed.
public enum TrainingPanel {
    public static func draw(_ view: ConsoleView, in rect: Rect, on screen: inout Screen, context: RenderContext, title: String = "Training") {
        Frame.draw(title, in: rect, on: &screen, context: context)
        let inner = rect.inner
        guard inner.height >= 3, inner.width >= 10 else { return }
        let m = view.model
        let g = context.glyphs
        let points = m.points
        // Legend (first line).
        var legend: [(String, Style.Role)] = []
        if let p = points.last {
            legend.append(("train \(fmt(p.trainLoss, 3))", .trainLoss))
            if let e = p.evalLoss { legend.append(("eval \(fmt(e, 3))", .evalLoss)) }
            if let a = p.accuracy { legend.append(("acc \(fmt(a, 3))", .accuracy)) }
        } else {
            legend.append(("waiting for the first round\(g.ellipsis)", .dim))
        }
        var x = inner.x
        for (i, (text, role)) in legend.enumerated() {
            let mark = context.glyphs.isASCII ? ["*", "o", "+"][min(i, 2)] + " " : "━ "
            if points.isEmpty { x += screen.put(text, x: x, y: inner.y, style: Style(role), limit: inner.maxX - x); break }
            x += screen.put(mark, x: x, y: inner.y, style: Style(role), limit: inner.maxX - x)
            x += screen.put(text + "  ", x: x, y: inner.y, style: Style(role, bold: context.monochrome), limit: inner.maxX - x)
        }
        // Chart with the loss scale on the left.
        // The loss scale ignores the top 5% (the first rounds' spikes would flatten the rest); higher
        // values are drawn at the top edge.
        let losses = points.flatMap { [$0.trainLoss] + ($0.evalLoss.map { [$0] } ?? []) }.filter(\.isFinite).sorted()
        let robust = losses.isEmpty ? 1 : losses[min(losses.count - 1, Int(Double(losses.count) * 0.95))]
        let maxLoss = max(robust * (losses.count > 20 ? 1.1 : 1), 1e-6)
        let axis = fmt(maxLoss, maxLoss >= 10 ? 0 : 1)
        let axisWidth = CharacterWidth.of(axis) + 1
        let chartRect = Rect(x: inner.x + axisWidth, y: inner.y + 1, width: inner.width - axisWidth, height: inner.height - 2)
        screen.put(axis, x: inner.x, y: chartRect.y, style: .dim)
        screen.put("0", x: inner.x + axisWidth - 2, y: chartRect.maxY - 1, style: .dim)
        let domain = Double(max(1, m.run?.startRound ?? 1))...Double(max(m.plannedRounds, (points.last?.round ?? 1), 2))
        let range = 0...maxLoss
        let chart = BrailleChart(series: [
            .init(values: points.map { (Double($0.round), $0.trainLoss) }, range: range, role: .trainLoss, mark: "*"),
            .init(values: points.compactMap { p in p.evalLoss.map { (Double(p.round), $0) } }, range: range, role: .evalLoss, mark: "o"),
            .init(values: points.compactMap { p in p.accuracy.map { (Double(p.round), $0) } }, range: 0...1, role: .accuracy, mark: "+"),
        ], domain: domain)
        chart.draw(in: chartRect, on: &screen, kind: g.chart)
        // Marks of setting changes (last line).
        let marksY = inner.maxY - 1
        let span = max(domain.upperBound - domain.lowerBound, 1)
        for c in m.changes {
            let fx = (Double(c.round) - domain.lowerBound) / span
            let cx = chartRect.x + Int((fx * Double(chartRect.width - 1)).rounded())
            guard cx >= chartRect.x, cx < chartRect.maxX else { continue }
            screen.set(g.marker, x: cx, y: marksY, style: Style(.marker, bold: true))
        }
        if let last = m.changes.last {
            let name = last.setting == .noise ? g.sigma : last.setting == .clip ? "C" : "lr"
            let text = "\(g.marker) \(name) \(fmt(last.value)) from r\(last.round)"
            let w = CharacterWidth.of(text)
            screen.put(text, x: inner.maxX - w, y: marksY, style: Style(.marker), limit: w)
        }
    }
}
