import Foundation

/// The log's lines, newest at the bottom: `00:12 r3   priv hospital-2: budget exhausted …`,
/// scrolled back by `scroll` lines; warnings stand out.
public enum LogView {
    /// A four-letter tag per kind.
    static func tag(_ kind: LogKind) -> String {
        switch kind {
        case .run: "run "
        case .round: "rnd "
        case .hospital: "hosp"
        case .privacy: "priv"
        case .command: "cmd "
        case .checkpoint: "ckpt"
        case .warning: "warn"
        }
    }

    /// At most this many lines per entry; a longer one ends in an ellipsis.
    static let maxLinesPerEntry = 3

    /// Draws the entries that fit, newest at the bottom, `scroll` entries back. An entry wider than
    /// the log wraps at spaces under its text (continuation lines indented), paths in it shortened
    /// in the middle when one alone is wider than the line; nothing is cut silently.
    public static func draw(_ entries: [LogEntry], scroll: Int, in rect: Rect, on screen: inout Screen, context: RenderContext) {
        guard rect.height > 0, rect.width > 0 else { return }
        let s = min(max(0, scroll), max(0, entries.count - 1))
        let ellipsis = context.glyphs.ellipsis
        let maxLines = min(maxLinesPerEntry, rect.height)
        var end = entries.count - s
        // Lines from the bottom up, as many whole entries as fill the rectangle.
        var rows: [(x: Int, stamp: String?, text: String, entry: LogEntry)] = []
        while end > 0, rows.count < rect.height {
            end -= 1
            let entry = entries[end]
            let stamp = String(format: "%02d:%02d r%-3d %@ ", Int(entry.time) / 60, Int(entry.time) % 60, entry.round,
                               tag(entry.kind) as NSString)
            let text = context.text(entry.text)
            let textX = CharacterWidth.of(stamp)
            let entryRows: [(x: Int, stamp: String?, text: String, entry: LogEntry)]
            if rect.width - textX >= 12 {
                entryRows = Fit.wrap(text, width: rect.width - textX, indent: 2, maxLines: maxLines, ellipsis: ellipsis)
                    .enumerated().map { (x: textX, stamp: $0.offset == 0 ? stamp : nil, text: $0.element, entry: entry) }
            } else {
                entryRows = Fit.wrap(stamp + text, width: rect.width, indent: 2, maxLines: maxLines, ellipsis: ellipsis)
                    .map { (x: 0, stamp: nil, text: $0, entry: entry) }
            }
            // An entry that does not fit whole above the newer ones is left out, not shown in part.
            guard rows.count + entryRows.count <= rect.height else { break }
            rows.insert(contentsOf: entryRows, at: 0)
        }
        for (line, row) in rows.enumerated() {
            let y = rect.y + line
            if let stamp = row.stamp { screen.put(stamp, x: rect.x, y: y, style: .dim, limit: rect.width) }
            let entry = row.entry
            let role: Style.Role = entry.kind == .warning ? .warning : entry.kind == .privacy ? .critical
                : entry.kind == .command ? .highlight : .text
            screen.put(row.text, x: rect.x + row.x, y: y, style: Style(role, bold: context.monochrome && entry.kind == .warning),
                       limit: rect.width - row.x)
        }
    }
}
