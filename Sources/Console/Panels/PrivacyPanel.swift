/// Privacy: `ε spent / budget` as a gauge for the federation (the highest party) and for each
/// hospital, δ, σ, C, q, the projected final ε at the current settings and the rounds left before
/// the budget runs out; while a σ change is pending, the projection for the new value beside the
/// current one. Hospitals that do not fit are counted on the last row (`+1 more: hospital-3 1.22`).
public enum PrivacyPanel {
    public static func draw(_ view: ConsoleView, in rect: Rect, on screen: inout Screen, context: RenderContext) {
        Frame.draw("Privacy", in: rect, on: &screen, context: context)
        let inner = rect.inner
        guard inner.height >= 3, inner.width >= 20 else { return }
        let m = view.model, g = context.glyphs
        var y = inner.y
        func line(_ text: String, _ role: Style.Role = .text, bold: Bool = false) {
            guard y < inner.maxY else { return }
            screen.put(text, x: inner.x, y: y, style: Style(role, bold: bold), limit: inner.width)
            y += 1
        }
        /// Two lines on one row when both fit whole.
        func pair(_ a: String, _ aRole: Style.Role, bold: Bool, _ b: String, _ bRole: Style.Role) {
            guard y < inner.maxY else { return }
            if CharacterWidth.of(a) + 2 + CharacterWidth.of(b) <= inner.width {
                let w = screen.put(a + "  ", x: inner.x, y: y, style: Style(aRole, bold: bold))
                screen.put(b, x: inner.x + w, y: y, style: Style(bRole))
                y += 1
            } else {
                line(a, aRole, bold: bold)
                line(b, bRole)
            }
        }
        /// A pending change, its keys dropped before anything is cut.
        func pending(_ change: String) {
            line(Fit.fields([(change, 1), ("(enter/esc)", 0)], width: inner.width, separator: " ", ellipsis: g.ellipsis), .warning, bold: true)
        }
        guard m.privacyOn else {
            line("privacy off: no DP, \(g.epsilon) \(context.glyphs.isASCII ? "inf" : "∞")", .critical, bold: true)
            line("(--dp sample|client|both)", .dim)
            return
        }
        let budget = m.epsilonBudget ?? .infinity
        let spent = m.epsilonSpent ?? 0
        // Headline: the highest party's ε.
        let head = Fit.fields([("\(g.epsilon) \(fmtEpsilon(spent)) / \(fmt(budget))", 1), (m.seeded ? "seeded" : "", 0)],
                              width: inner.width, separator: " ", ellipsis: g.ellipsis)
        let used = screen.put(head + " ", x: inner.x, y: y, style: Style(.text, bold: true), limit: inner.width)
        Gauge.draw(budget > 0 ? spent / budget : 1, x: inner.x + used, y: y, width: inner.width - used, on: &screen, context: context)
        y += 1
        // Settings.
        let settings = "\(g.sigma) \(m.noiseMultiplier.map { fmt($0) } ?? "-")  C \(m.clipNorm.map { fmt($0) } ?? "-")"
        var sampling: [String] = []
        // The learning rate in force (it changes with < and >, like σ and C).
        if let lr = m.learningRate { sampling.append("lr \(fmtRate(lr))") }
        if let q = m.sampleRate { sampling.append("q \(fmt(q, 3))") }
        if let d = m.delta { sampling.append("\(g.delta) \(shortScientific(d))") }
        let joined = ([settings] + sampling).joined(separator: "  ")
        // Two lines only when the hospitals below still fit; else one, its least important fields
        // (δ, then q) dropped first.
        let partyCount = (m.clientLevel ? 1 : 0) + (m.sampleLevel ? m.hospitals.count : 0)
        let below = (m.forecast != nil ? 1 : 0) + (view.controller.pending != nil ? 1 : 0) + partyCount
        if CharacterWidth.of(joined) <= inner.width {
            line(joined)
        } else if inner.maxY - y >= 2 + below {
            line(settings)
            line(sampling.joined(separator: "  "))
        } else {
            let priorities = [3] + sampling.map { $0.hasPrefix("lr") ? 2 : $0.hasPrefix("q") ? 1 : 0 }
            line(Fit.fields(zip([settings] + sampling, priorities).map { (text: $0.0, priority: $0.1) }, width: inner.width, separator: "  ", ellipsis: g.ellipsis))
        }
        // Projection at the current settings, and for the pending σ.
        if let f = m.forecast, m.outcome != nil {
            // The run is over: nothing more is spent, so the final ε is what was spent.
            line("final \(g.epsilon) \(fmtEpsilon(f.finalEpsilon)), run over", f.fits ? .ok : .critical)
        } else if let f = m.forecast {
            var text = "final \(g.epsilon) \(fmtEpsilon(f.finalEpsilon))"
            var rounds = "rounds left \(f.roundsLeft)"
            if case .noise(let sigma)? = view.controller.pending {
                // The pending change at once; its projection when the forecaster has it.
                let p = view.pendingForecast
                text += " \(g.arrow) " + (p.map { fmtEpsilon($0.finalEpsilon) } ?? g.ellipsis)
                rounds += " \(g.arrow) " + (p.map { String($0.roundsLeft) } ?? g.ellipsis)
                pending("pending \(g.sigma) \(fmt(m.noiseMultiplier ?? 0)) \(g.arrow) \(fmt(sigma))")
            }
            pair(text, f.fits ? .ok : .critical, bold: !f.fits,
                 rounds, f.roundsLeft < max(1, m.plannedRounds - m.lastCompletedRound) ? .warning : .text)
        } else if case .noise(let sigma)? = view.controller.pending {
            pending("pending \(g.sigma) \(fmt(m.noiseMultiplier ?? 0)) \(g.arrow) \(fmt(sigma))")
        }
        if let p = view.controller.pending {
            switch p {
            case .noise: break
            case .clip(let c): pending("pending C \(fmt(m.clipNorm ?? 0)) \(g.arrow) \(fmt(c))")
            case .learningRate(let r): pending("pending lr \(fmt(m.learningRate ?? 0, 4)) \(g.arrow) \(fmt(r, 4))")
            }
        }
        // Per party: the federation (client-level) and each hospital.
        var parties: [(String, Double)] = []
        if m.clientLevel { parties.append(("federation", m.federationEpsilon ?? 0)) }
        if m.sampleLevel { parties += m.hospitals.map { ($0.name, $0.epsilon ?? 0) } }
        let nameWidth = min(14, parties.map { CharacterWidth.of($0.0) }.max() ?? 0)
        // The parties that do not fit are named by count on the last row (with the highest ε among them).
        let rows = inner.maxY - y
        var hidden: [(String, Double)] = []
        if parties.count > rows, rows > 0 {
            hidden = Array(parties[(rows - 1)...])
            parties = Array(parties[..<(rows - 1)])
        }
        for (name, e) in parties where y < inner.maxY {
            let label = Fit.truncate(name, width: nameWidth, ellipsis: g.ellipsis).padding(toLength: nameWidth, withPad: " ", startingAt: 0)
                + " \(fmtEpsilon(e)) "
            let w = screen.put(label, x: inner.x, y: y, style: .plain, limit: inner.width)
            Gauge.draw(budget > 0 ? e / budget : 1, x: inner.x + w, y: y, width: inner.width - w, on: &screen, context: context)
            y += 1
        }
        if let top = hidden.max(by: { $0.1 < $1.1 }) {
            let more = "+\(hidden.count) more"
            let detail = hidden.count == 1 ? ": \(top.0) \(fmtEpsilon(top.1))" : ", highest \(top.0) \(fmtEpsilon(top.1))"
            line(CharacterWidth.of(more + detail) <= inner.width ? more + detail : more, .dim)
        }
    }

    /// δ as `1e-05`.
    static func shortScientific(_ v: Double) -> String {
        guard v > 0, v < 0.01 else { return fmt(v, 3) }
        var e = 0, m = v
        while m < 1 { m *= 10; e += 1 }
        let mantissa = (m * 10).rounded() / 10
        return (mantissa == 1 ? "1" : fmt(mantissa, 1)) + "e-" + (e < 10 ? "0" : "") + String(e)
    }
}
