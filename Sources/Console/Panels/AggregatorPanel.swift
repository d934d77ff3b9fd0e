import Federation

/// Aggregator: the round's state machine with the current phase highlighted, updates in, the
/// strategy, rejected updates and why, and the secure-aggregation phase when it is on.
public enum AggregatorPanel {
    static let phases: [(String, String)] = [("SELECTING", "select"), ("BROADCASTING", "send"), ("TRAINING", "train"),
                                             ("COLLECTING", "collect"), ("AGGREGATING", "aggregate"),
                                             ("EVALUATING", "evaluate"), ("CHECKPOINTING", "save")]

    public static func draw(_ view: ConsoleView, in rect: Rect, on screen: inout Screen, context: RenderContext) {
        Frame.draw("Aggregator", in: rect, on: &screen, context: context)
        let inner = rect.inner
        guard inner.height >= 1, inner.width >= 20 else { return }
        let m = view.model, g = context.glyphs
        let current = m.phase.description.split(separator: " ").first.map(String.init) ?? ""
        let stacked = inner.height >= 8
        var x = inner.x, y = inner.y
        for (i, (key, word)) in phases.enumerated() {
            let active = key == current
            let text = active && context.monochrome ? "[\(word)]" : word
            let style = active ? Style(.phaseActive, bold: true, reverse: true) : Style(.phaseIdle)
            if stacked {
                screen.put((active ? "\(g.selectionMark) " : "  ") + text, x: inner.x, y: y, style: style, limit: inner.width)
                y += 1
            } else {
                let sep = i < phases.count - 1 ? " \(g.arrow) " : ""
                guard x + CharacterWidth.of(text + sep) <= inner.maxX else { break }
                x += screen.put(text, x: x, y: y, style: style)
                x += screen.put(sep, x: x, y: y, style: .dim)
            }
        }
        if !stacked { y += 1 }
        guard y < inner.maxY else { return }
        var parts = ["updates \(m.updatesIn)/\(m.selected.count)", m.run?.strategy ?? "-",
                     "secagg " + (m.facts.secureAggregation ? "on" + (m.secureAggregation.map { " t=\($0.threshold)/\($0.selected) \($0.graph)" } ?? "") : "off")]
        if !m.rejected.isEmpty { parts.append("rejected \(m.rejected.count)") }
        // As many parts per line as fit.
        var text = ""
        for part in parts {
            let next = text.isEmpty ? part : text + "  " + part
            if CharacterWidth.of(next) > inner.width, !text.isEmpty, y + 1 < inner.maxY {
                screen.put(text, x: inner.x, y: y, style: .plain, limit: inner.width)
                y += 1
                text = part
            } else {
                text = next
            }
        }
        screen.put(text, x: inner.x, y: y, style: .plain, limit: inner.width)
        y += 1
        func line(_ s: String, _ role: Style.Role) {
            guard y < inner.maxY else { return }
            screen.put(context.text(s), x: inner.x, y: y, style: Style(role), limit: inner.width)
            y += 1
        }
        if m.facts.secureAggregation, let sa = m.secureAggregation, y < inner.maxY {
            drawSecureAggregation(sa, x: inner.x, y: y, width: inner.width, on: &screen, context: context)
            y += 1
            if sa.stage == .aborted, let d = sa.detail { line(d, .warning) }
        }
        for audit in auditLines(m) { line(audit.text, audit.role) }
        for r in m.rejected { line("\(r.hospital): \(r.reason)", .warning) }
        if let c = m.lastCommandResult { line(c, .highlight) }
        if !m.awaiting.isEmpty { line("sent: " + m.awaiting.map(\.description).joined(separator: ", "), .dim) }
    }

    /// The audit view's lines: the live membership-inference AUC, and how the strategy handles the
    /// malicious hospital (its leave-one-out influence relative to an honest one).
    public static func auditLines(_ m: DashboardModel) -> [(text: String, role: Style.Role)] {
        var lines: [(String, Style.Role)] = []
        if let a = m.membershipAudit {
            lines.append(("audit MIA AUC \(fmt(a.auc, 3)) TPR@1% \(fmt(a.tprAt1Percent, 3))", .dim))
        }
        for bad in m.influence where bad.malicious {
            let verdict = HospitalInfluence.verdict(bad.relative)
            lines.append(("\(bad.hospital) \(bad.relative.map { fmt($0, 1) + "×" } ?? "?") honest: \(verdict)",
                          verdict == "pulls" ? .warning : .ok))
        }
        return lines
    }

    static let secureSteps: [(SecureAggregationStatus.Stage, String)] = [(.advertise, "keys"), (.share, "shares"),
                                                                         (.masked, "masked"), (.unmask, "unmasked")]

    /// `secagg keys 5 → shares 5 → [masked 4] → unmasked` with the current phase highlighted, then
    /// the outcome: done (and what was recovered) or aborted.
    static func drawSecureAggregation(_ sa: SecureAggregationStatus, x: Int, y: Int, width: Int, on screen: inout Screen,
                                      context: RenderContext) {
        var cx = x
        let limit = x + width
        func put(_ s: String, _ style: Style) {
            guard cx < limit else { return }
            cx += screen.put(s, x: cx, y: y, style: style, limit: limit - cx)
        }
        put("secagg ", .dim)
        for (i, (stage, word)) in secureSteps.enumerated() {
            let count = i < sa.counts.count ? " \(sa.counts[i])" : ""
            let active = stage == sa.stage
            let text = active && context.monochrome ? "[\(word)\(count)]" : word + count
            put(text, active ? Style(.phaseActive, bold: true, reverse: true) : i < sa.counts.count ? .plain : Style(.phaseIdle))
            if i < secureSteps.count - 1 { put(" \(context.glyphs.arrow) ", .dim) }
        }
        switch sa.stage {
        case .done: put("  done" + ((sa.selected - (sa.counts.count > 2 ? sa.counts[2] : sa.selected)) > 0 ? ", \(sa.selected - sa.counts[2]) dropped" : ""), Style(.highlight))
        case .aborted: put("  ABORTED", Style(.warning, bold: true))
        default: break
        }
    }
}
