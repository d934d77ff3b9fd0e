/// Hospitals: one row each (name, local or remote, status, records, last loss, ε spent, share of
/// clipped samples, last round time, progress within the round), scrollable, the selected row in
/// reverse video; `enter` opens ``HospitalDetail``.
public enum HospitalsPanel {
    public static func draw(_ view: ConsoleView, in rect: Rect, on screen: inout Screen, context: RenderContext) {
        let focused = view.controller.focus == .hospitals
        Frame.draw("Hospitals (\(view.model.hospitals.count))", in: rect, on: &screen, context: context, focused: focused)
        let inner = Rect(x: rect.x + 2, y: rect.y + 1, width: rect.width - 3, height: rect.height - 2)
        guard inner.height >= 2, inner.width >= 30 else { return }
        if view.controller.showDetail {
            HospitalDetail.draw(view, in: inner, on: &screen, context: context)
            return
        }
        // Where each hospital runs: shown whenever the table has room for it.
        let wide = inner.width >= tableWidth(view, context: context, withWhere: true)
        var columns = Self.columns(view, context: context, withWhere: wide)
        let used = columns.reduce(0) { $0 + $1.width + 1 }
        columns.append(Table.Column("round", width: max(4, inner.width - used)))
        let rows: [[Table.Content]] = view.model.hospitals.map { h in
            var status = h.status.rawValue
            if h.malicious {
                status = view.model.influence.first { $0.hospital == h.name }?.relative.map { "mal " + fmt($0, 1) + "×" } ?? "malicious"
            }
            if h.offline { status = "offline" }
            let role: Style.Role = switch h.status {
            case .training: .highlight
            case .delivered: .ok
            case .rejected, .missed: .warning
            case .dropped, .exhausted: .critical
            case .idle: .dim
            }
            var row: [Table.Content] = [.text(h.name)]
            if wide { row.append(.text(h.location, .dim)) }
            row += [.text(status, h.malicious || h.offline ? .critical : role), .text(h.records > 0 ? "\(h.records)" : "-"),
                    .text(h.lastLoss.map { fmt($0, 3) } ?? "-"), .text(h.epsilon.map { fmtEpsilon($0) } ?? "-"),
                    .text(h.clippedFraction.map { fmt($0 * 100, 0) } ?? "-"), .text(h.lastSeconds.map { fmt($0, 1) + "s" } ?? "-"),
                    .gauge(h.progress)]
            return row
        }
        let selected = view.model.hospitals.isEmpty ? nil : min(view.controller.selectedHospital, view.model.hospitals.count - 1)
        Table(columns: columns, rows: rows, selected: selected).draw(in: inner, on: &screen, context: context)
    }
}

extension HospitalsPanel {
    /// Columns of the progress gauge when the table has its natural width.
    static let gaugeWidth = 12

    /// The table's columns before the progress gauge (`where` only when asked for).
    static func columns(_ view: ConsoleView, context: RenderContext, withWhere: Bool) -> [Table.Column] {
        let remote = view.model.hospitals.contains { $0.location != "local" }
        let whereWidth = remote ? max(6, min(21, view.model.hospitals.map { CharacterWidth.of($0.location) }.max() ?? 6)) : 6
        let nameWidth = max(12, min(20, view.model.hospitals.map { CharacterWidth.of($0.name) }.max() ?? 12))
        var columns: [Table.Column] = [Table.Column("hospital", width: nameWidth)]
        if withWhere { columns.append(Table.Column("where", width: whereWidth)) }
        columns += [Table.Column("status", width: 9), Table.Column("records", width: 7, rightAligned: true),
                    Table.Column("loss", width: 6, rightAligned: true),
                    Table.Column(context.glyphs.isASCII ? "eps" : "ε", width: 5, rightAligned: true),
                    Table.Column("clip%", width: 5, rightAligned: true), Table.Column("time", width: 6, rightAligned: true)]
        return columns
    }

    /// The table's natural width inside the panel: its columns and a gauge of ``gaugeWidth``.
    static func tableWidth(_ view: ConsoleView, context: RenderContext, withWhere: Bool) -> Int {
        columns(view, context: context, withWhere: withWhere).reduce(0) { $0 + $1.width + 1 } + gaugeWidth
    }

    /// The panel's natural width on a screen `screenWidth` columns wide: the whole table with its
    /// `where` column when the log keeps at least 64 columns beside it, else without it.
    public static func naturalWidth(_ view: ConsoleView, screenWidth: Int, context: RenderContext) -> Int {
        let full = tableWidth(view, context: context, withWhere: true) + 3
        return screenWidth - full >= 64 ? full : tableWidth(view, context: context, withWhere: false) + 3
    }
}

/// The selected hospital in full: every field of its row, and why it last missed or was rejected.
public enum HospitalDetail {
    public static func draw(_ view: ConsoleView, in rect: Rect, on screen: inout Screen, context: RenderContext) {
        let m = view.model
        guard !m.hospitals.isEmpty else { return }
        let h = m.hospitals[min(view.controller.selectedHospital, m.hospitals.count - 1)]
        let g = context.glyphs
        var lines: [(String, Style.Role)] = [
            ("\(h.name)  (\(h.location))  \(h.status.rawValue)\(h.malicious ? "  MALICIOUS" : "")\(h.dropped ? "  DROPPED" : "")\(h.offline ? "  OFFLINE" : "")", .title),
            ("records \(h.records > 0 ? "\(h.records)" : "-")  last loss \(h.lastLoss.map { fmt($0, 4) } ?? "-")  clipped \(h.clippedFraction.map { fmt($0 * 100, 1) + "%" } ?? "-")  time \(h.lastSeconds.map { fmt($0, 2) + " s" } ?? "-")", .text),
            ("\(g.epsilon) \(fmtEpsilon(h.epsilon ?? 0)) / \(fmt(m.epsilonBudget ?? .infinity))  progress \(h.stepsDone)/\(h.stepsTotal) steps", .text),
        ]
        if let policy = h.policy { lines.append(("policy: \(context.text(policy))", .text)) }
        if let training = h.training { lines.append(("training: \(context.text(training))", .text)) }
        if let note = h.note { lines.append(("last problem: \(context.text(note))", .warning)) }
        lines.append(("enter/esc: back   d: \(h.dropped ? "restore" : "drop")   x: \(h.malicious ? "honest" : "malicious")", .dim))
        // Long lines (a policy, a reason) wrap rather than being cut.
        let wrapped = lines.flatMap { text, role in TextWrap.lines(text, width: rect.width).map { ($0, role) } }
        for (i, (text, role)) in wrapped.enumerated() where i < rect.height {
            screen.put(text, x: rect.x, y: rect.y + i, style: Style(role, bold: role == .title), limit: rect.width)
        }
    }
}
