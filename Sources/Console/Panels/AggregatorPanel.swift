import Federation

/// Aggregator: the round's state machine with the current phase highlighted, updates in, the
/// strategy, rejected updates and why, and the secure-aggregation phase when it is on. Notes (the
/// last command's answer, rejections, the audit) wrap rather than being cut; those that do not fit
/// are counted (`+2 more`).
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
        let ellipsis = g.ellipsis
        // What follows the phases, each line whole or wrapped, never cut silently.
        // The operator's last command first, then rejected updates, then the audit.
        var notes: [(text: String, role: Style.Role)] = []
        if let c = m.lastCommandResult { notes.append((c, .highlight)) }
        notes += m.rejected.map { (text: "\($0.hospital): \($0.reason)", role: Style.Role.warning) }
        notes += auditLines(m)
        if !m.awaiting.isEmpty { notes.append(("sent: " + m.awaiting.map(\.description).joined(separator: ", "), .dim)) }
        let secureRows = m.facts.secureAggregation && m.secureAggregation != nil ? 1 : 0
        // The phases one per line when that leaves room for the rest, else flowing over a few lines.
        let noteRows = notes.reduce(0) { $0 + Fit.wrap(context.text($1.text), width: inner.width, indent: 2, maxLines: 2, ellipsis: ellipsis).count }
        let stacked = inner.height >= phases.count + 1 + secureRows + noteRows
        var x = inner.x, y = inner.y
        for (i, (key, word)) in phases.enumerated() {
            let active = key == current
            let text = active && context.monochrome ? "[\(word)]" : word
            let style = active ? Style(.phaseActive, bold: true, reverse: true) : Style(.phaseIdle)
            if stacked {
                screen.put((active ? "\(g.selectionMark) " : "  ") + text, x: inner.x, y: y, style: style, limit: inner.width)
                y += 1
            } else {
                let sep = i < phases.count - 1 ? " \(g.arrow)" : ""
                if x > inner.x, x + 1 + CharacterWidth.of(text + sep) > inner.maxX {
                    x = inner.x
                    y += 1
                } else if x > inner.x {
                    x += 1
                }
                guard y < inner.maxY else { return }
                x += screen.put(text, x: x, y: y, style: style, limit: inner.maxX - x)
                x += screen.put(sep, x: x, y: y, style: .dim, limit: inner.maxX - x)
            }
        }
        if !stacked { y += 1 }
        guard y < inner.maxY else { return }
        var parts = ["updates \(m.updatesIn)/\(m.selected.count)", m.run?.strategy ?? "-",
                     "secagg " + (m.facts.secureAggregation ? "on" + (m.secureAggregation.map { " t=\($0.threshold)/\($0.selected) \($0.graph)" } ?? "") : "off")]
        if !m.rejected.isEmpty { parts.append("rejected \(m.rejected.count)") }
        if let c = m.communication {
            parts.append("model \(byteCount(c.bytesDown + c.bytesUp))/round")
            if c.parameters < c.fullParameters { parts.append("dropout keeps \(fmt(100 * c.keptFraction, 0))%") }
        }
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
        /// A note wrapped over the rows left to it (two at most while others wait), the last cut with an ellipsis.
        func line(_ s: String, _ role: Style.Role, waiting: Int = 0) {
            guard y < inner.maxY else { return }
            let rows = max(1, min(2, inner.maxY - y - waiting))
            for row in Fit.wrap(context.text(s), width: inner.width, indent: 2, maxLines: rows, ellipsis: ellipsis) {
                screen.put(row, x: inner.x, y: y, style: Style(role), limit: inner.width)
                y += 1
            }
        }
        if m.facts.secureAggregation, let sa = m.secureAggregation, y < inner.maxY {
            drawSecureAggregation(sa, x: inner.x, y: y, width: inner.width, on: &screen, context: context)
            y += 1
            if sa.stage == .aborted, let d = sa.detail { line(d, .warning, waiting: notes.count) }
        }
        // Notes that do not fit are counted on the last row.
        let rowsLeft = inner.maxY - y
        if notes.count > rowsLeft, rowsLeft > 0 {
            let hidden = notes.count - (rowsLeft - 1)
            notes = Array(notes.prefix(rowsLeft - 1)) + [("+\(hidden) more", .dim)]
        }
        for (i, note) in notes.enumerated() { line(note.text, note.role, waiting: notes.count - i - 1) }
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

    /// Bytes in the units people read: `812 B`, `27.3 kB`, `4.1 MB` (decimal, as network figures are).
    public static func byteCount(_ n: Int) -> String {
        let v = Double(max(0, n))
        if v < 1000 { return "\(Int(v)) B" }
        if v < 1e6 { return fmt(v / 1e3, 1) + " kB" }
        if v < 1e9 { return fmt(v / 1e6, 1) + " MB" }
        return fmt(v / 1e9, 2) + " GB"
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
