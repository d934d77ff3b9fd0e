/// The ε-versus-round chart, the picture of "privacy spent": the headline ε (the highest any party
/// has spent) after each round as a solid line, the budget as a horizontal line, the projected path
/// over the remaining rounds at the settings in force (dashed) and at a pending σ (dotted); the budget
/// is drawn one dot in four.
///
/// Contract: the y axis starts at 0 (nothing spent) and reaches past the budget and every point
/// drawn; the projected paths start at the last spent point; without a projected path (a replay,
/// which records only final figures) the legend still gives the final ε.
enum EpsilonChart {
    static func plot(_ view: ConsoleView) -> ChartPlot {
        let m = view.model
        let spent = m.epsilonByRound
        let budget = m.epsilonBudget.flatMap { $0.isFinite ? $0 : nil }
        // The path starts at what was spent: the last round's figure, or more when a budget event
        // (which has no round summary) reported more.
        let last = spent.last ?? EpsilonPoint(round: max(0, (m.run?.startRound ?? 1) - 1), epsilon: 0)
        let start = EpsilonPoint(round: last.round, epsilon: max(last.epsilon, m.epsilonSpent ?? 0))
        func path(_ p: [EpsilonPoint]) -> [(x: Double, y: Double)] {
            p.isEmpty ? [] : ([start] + p).map { (x: Double($0.round), y: $0.epsilon) }
        }
        let current = path(view.forecastPath), pending = path(view.pendingPath)
        var values = [0.0] + spent.map(\.epsilon) + current.map(\.y) + pending.map(\.y)
        if let budget { values.append(budget) }
        let scale = ChartAxis.scale(for: values, ticks: 4, within: 0...Double.greatestFiniteMagnitude)
        let range = scale.range
        var series: [BrailleChart.Series] = [
            .init(values: spent.map { (x: Double($0.round), y: $0.epsilon) }, range: range, role: .highlight, mark: "*", pattern: .solid),
            .init(values: current, range: range, role: .dim, mark: "o", pattern: .dashed),
            .init(values: pending, range: range, role: .marker, mark: "+", pattern: .dotted),
        ]
        var legend = [ChartPlot.LegendItem(pattern: .solid, mark: "*", role: .highlight, text: "ε spent \(fmtEpsilon(start.epsilon))", short: "ε \(fmtEpsilon(start.epsilon))")]
        if let budget {
            let end = Double(max(m.plannedRounds, m.points.last?.round ?? 1, 2))
            series.insert(.init(values: [(Double(max(1, m.run?.startRound ?? 1)), budget), (end, budget)], range: range,
                                role: .critical, mark: "-", pattern: .sparse, isReference: true), at: 0)
            legend.append(.init(pattern: .sparse, mark: "-", role: .critical, text: "budget \(fmt(budget))", short: "max \(fmt(budget))"))
        }
        if let f = m.forecast {
            legend.append(.init(pattern: .dashed, mark: "o", role: .dim, text: "final \(fmtEpsilon(f.finalEpsilon))", short: "final \(fmtEpsilon(f.finalEpsilon))"))
        }
        if case .noise(let sigma)? = view.controller.pending, let f = view.pendingForecast {
            legend.append(.init(pattern: .dotted, mark: "+", role: .marker, text: "σ \(fmt(sigma)): \(fmtEpsilon(f.finalEpsilon))", short: "σ\(fmt(sigma)):\(fmtEpsilon(f.finalEpsilon))"))
        }
        return ChartPlot(legend: legend, scale: scale, series: series, weight: 3)
    }
}
