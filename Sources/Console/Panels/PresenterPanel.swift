import Foundation

/// The presenter view (`--present`, or `P`): for a room of clinicians, privacy officers and
/// executives rather than an operator. Fewer, bigger panels — how well the model diagnoses (a big
/// percentage beside what always guessing the most common diagnosis scores), the privacy budget
/// spent (a big ε against its budget, a gauge, and what ε and σ mean in plain words), the accuracy
/// and ε charts, and the privacy story told one line per round — and, once the run is over, a
/// final summary screen (``RunSummary``).
///
/// Contract: every figure is the one the operator's view shows (the same model); explanations are
/// whole sentences wrapped, never cut; the view works from 80×24 (big figures where rows allow).
public enum PresenterPanel {
    public static func draw(_ view: ConsoleView, on screen: inout Screen, context: RenderContext) {
        let m = view.model, g = context.glyphs
        let w = screen.width, h = screen.height
        // Header: what this is, and where the run is.
        let hospitals = m.hospitals.count
        let title = "fedtop \(g.bullet) \(hospitals) hospital\(hospitals == 1 ? "" : "s") train one model together"
        let state = "Round \(m.round) of \(m.plannedRounds) \(g.bullet) \(m.stateWords.lowercased())"
        screen.put(state, x: max(0, w - CharacterWidth.of(state) - 1), y: 0, style: Style(.highlight, bold: true))
        screen.put(title, x: 1, y: 0, style: Style(.title, bold: true), limit: max(0, w - CharacterWidth.of(state) - 3))
        screen.put(context.text("Patient records never leave their hospital: only clipped updates with added noise do."),
                   x: 1, y: 1, style: .dim, limit: w - 2)
        let top = 2, bottom = h - 1
        let leftWidth = w * 3 / 5
        let left = Rect(x: 0, y: top, width: leftWidth, height: bottom - top)
        let right = Rect(x: leftWidth, y: top, width: w - leftWidth, height: bottom - top)
        let figuresHeight = min(left.height / 2, 8)
        drawAccuracy(m, in: Rect(x: left.x, y: left.y, width: left.width, height: figuresHeight), on: &screen, context: context)
        screen.clip = Rect(x: left.x, y: left.y + figuresHeight, width: left.width, height: left.height - figuresHeight)
        TrainingPanel.draw(view, in: screen.clip!, on: &screen, context: context, title: "Accuracy and privacy spent, round by round",
                           only: [.accuracy, .epsilon])
        screen.clip = nil
        let privacyHeight = min(right.height * 3 / 5, 13)
        drawPrivacy(view, in: Rect(x: right.x, y: right.y, width: right.width, height: privacyHeight), on: &screen, context: context)
        drawStory(m, in: Rect(x: right.x, y: right.y + privacyHeight, width: right.width, height: right.height - privacyHeight),
                  on: &screen, context: context)
        let keys = "P operator view  space pause  +/- noise  ? help  q quit"
        screen.put(keys, x: 1, y: h - 1, style: .dim, limit: w - 2)
        if m.outcome != nil && !view.controller.confirmingQuit && !view.controller.showHelp {
            finalSummary(m, on: &screen, context: context)
        }
    }

    /// Lines of `text` wrapped to `width`, drawn from `y` while rows remain; returns the next row.
    @discardableResult
    static func paragraph(_ text: String, x: Int, y: Int, width: Int, maxY: Int, role: Style.Role, on screen: inout Screen,
                          context: RenderContext) -> Int {
        var y = y
        let rows = max(0, maxY - y)
        for line in Fit.wrap(context.text(text), width: width, indent: 0, maxLines: rows, ellipsis: context.glyphs.ellipsis) {
            screen.put(line, x: x, y: y, style: Style(role), limit: width)
            y += 1
        }
        return y
    }

    static func drawAccuracy(_ m: DashboardModel, in rect: Rect, on screen: inout Screen, context: RenderContext) {
        Frame.draw("How well the model diagnoses", in: rect, on: &screen, context: context)
        let inner = rect.inner
        guard inner.height >= 1 else { return }
        guard let accuracy = m.points.last(where: { $0.accuracy != nil })?.accuracy else {
            screen.put("waiting for the first round\(context.glyphs.ellipsis)", x: inner.x, y: inner.y, style: .dim, limit: inner.width)
            return
        }
        let percent = Int((accuracy * 100).rounded())
        var y = inner.y
        var x = inner.x
        if inner.height >= 5, BigDigits.width("\(percent)%") + 2 < inner.width {
            BigDigits.draw("\(percent)%", x: x, y: y, width: inner.width, style: Style(.accuracy, bold: true), on: &screen, context: context)
            x += BigDigits.width("\(percent)%") + 2
        } else {
            x += screen.put("\(percent)% ", x: x, y: y, style: Style(.accuracy, bold: true))
        }
        var lines = ["right \(percent) times in 100 on patients the model never trained on"]
        if let b = m.facts.majorityBaseline {
            let base = Int((b * 100).rounded())
            lines.append("always guessing the most common diagnosis: \(base) in 100")
            lines.append(percent > base ? "so the model has learned \(percent - base) points beyond a guess"
                                        : "not yet better than that guess")
        }
        for line in lines where y < inner.maxY {
            y = paragraph(line, x: x, y: y, width: inner.maxX - x, maxY: min(inner.maxY, y + 2), role: .text, on: &screen, context: context)
        }
    }

    static func drawPrivacy(_ view: ConsoleView, in rect: Rect, on screen: inout Screen, context: RenderContext) {
        let m = view.model, g = context.glyphs
        Frame.draw("Privacy budget spent (\(g.epsilon))", in: rect, on: &screen, context: context)
        let inner = rect.inner
        guard inner.height >= 2 else { return }
        var y = inner.y
        guard m.privacyOn else {
            paragraph("Privacy protection is off in this run: the updates carry no noise, so there is no limit on what they reveal.",
                      x: inner.x, y: y, width: inner.width, maxY: inner.maxY, role: .critical, on: &screen, context: context)
            return
        }
        let spent = m.epsilonSpent ?? 0
        let budget = m.epsilonBudget ?? .infinity
        let figure = fmtEpsilon(spent)
        var x = inner.x
        if inner.height >= 9, BigDigits.width(figure) + 12 < inner.width {
            BigDigits.draw(figure, x: x, y: y, width: inner.width, style: Style(spent > budget ? .critical : .highlight, bold: true),
                           on: &screen, context: context)
            x += BigDigits.width(figure) + 2
            screen.put(budget.isFinite ? "of \(fmt(budget))" : "no budget", x: x, y: y + 2, style: .plain, limit: inner.maxX - x)
            y += 3
        } else {
            screen.put("\(g.epsilon) \(figure)" + (budget.isFinite ? " of \(fmt(budget))" : ""), x: x, y: y,
                       style: Style(.highlight, bold: true), limit: inner.width)
            y += 1
        }
        if budget.isFinite, y < inner.maxY {
            Gauge.draw(budget > 0 ? spent / budget : 1, x: inner.x, y: y, width: inner.width, on: &screen, context: context)
            y += 1
        }
        y = paragraph("\(g.epsilon) is how much any one patient can change the model: the lower, the more private. The run stops before the budget is passed.",
                      x: inner.x, y: y, width: inner.width, maxY: inner.maxY, role: .dim, on: &screen, context: context)
        if let sigma = m.noiseMultiplier, y < inner.maxY {
            y = paragraph("noise \(g.sigma) \(fmt(sigma)): random noise added to every update \(g.bullet) more noise, more privacy, slower learning",
                          x: inner.x, y: y, width: inner.width, maxY: inner.maxY, role: .text, on: &screen, context: context)
        }
        if case .noise(let pending)? = view.controller.pending, let p = view.pendingForecast, y < inner.maxY {
            y = paragraph("proposed noise \(fmt(pending)): the run would end at \(g.epsilon) \(fmtEpsilon(p.finalEpsilon)) (enter applies, esc cancels)",
                          x: inner.x, y: y, width: inner.width, maxY: inner.maxY, role: .warning, on: &screen, context: context)
        } else if let f = m.forecast, m.outcome == nil, y < inner.maxY {
            y = paragraph("at this noise the run ends at \(g.epsilon) \(fmtEpsilon(f.finalEpsilon))" + (f.fits ? ", within the budget" : ", over the budget: it will stop early"),
                          x: inner.x, y: y, width: inner.width, maxY: inner.maxY, role: f.fits ? .ok : .warning, on: &screen, context: context)
        }
    }

    /// The privacy story, one line per round, newest last: accuracy and ε; and what the operator changed.
    public static func storyLines(_ m: DashboardModel, epsilon: String = "ε") -> [String] {
        var lines: [String] = []
        let budget = m.epsilonBudget.flatMap { $0.isFinite ? " of \(fmt($0))" : nil } ?? ""
        let byRound = Dictionary(m.epsilonByRound.map { ($0.round, $0.epsilon) }, uniquingKeysWith: { _, b in b })
        for p in m.points {
            var line = "Round \(p.round): "
            if let a = p.accuracy { line += "right \(Int((a * 100).rounded())) in 100" }
            if m.privacyOn, let e = byRound[p.round] { line += (p.accuracy == nil ? "" : ", ") + "privacy spent \(epsilon) \(fmtEpsilon(e))\(budget)" }
            lines.append(line)
            for c in m.changes where c.round == p.round + 1 {
                let what = switch c.setting { case .noise: "noise"; case .clip: "clip norm"; case .learningRate: "learning rate" }
                let value = c.setting == .learningRate ? fmtRate(c.value) : fmt(c.value)
                let change = c.previous.map { $0 < c.value ? "raised" : "lowered" } ?? "set"
                lines.append("  the operator \(change) the \(what) to \(value) from round \(c.round)")
            }
        }
        return lines
    }

    static func drawStory(_ m: DashboardModel, in rect: Rect, on screen: inout Screen, context: RenderContext) {
        Frame.draw("The story, round by round", in: rect, on: &screen, context: context)
        let inner = rect.inner
        guard inner.height >= 1 else { return }
        // The newest lines that fit, each wrapped.
        var rows: [String] = []
        for line in storyLines(m, epsilon: context.glyphs.epsilon).reversed() {
            let wrapped = Fit.wrap(context.text(line), width: inner.width, indent: 2, maxLines: 2, ellipsis: context.glyphs.ellipsis)
            guard rows.count + wrapped.count <= inner.height else { break }
            rows = wrapped + rows
        }
        for (i, row) in rows.enumerated() {
            screen.put(row, x: inner.x, y: inner.y + i, style: row.hasPrefix("  the operator") ? Style(.marker) : .plain, limit: inner.width)
        }
    }

    /// The final summary screen: how the run ended and its figures, over the dashboard.
    static func finalSummary(_ m: DashboardModel, on screen: inout Screen, context: RenderContext) {
        let summary = RunSummary(m)
        let width = min(screen.width - 6, 96)
        var lines: [(String, Style.Role)] = [(context.text(summary.headline), .highlight)]
        for line in summary.lines {
            for row in Fit.wrap(context.text(line), width: width, indent: 2, ellipsis: context.glyphs.ellipsis) { lines.append((row, .text)) }
        }
        lines.append(("q quits \(context.glyphs.bullet) P shows the operator's view", .dim))
        Overlays.box("The run is over", lines, on: &screen, context: context)
    }
}
