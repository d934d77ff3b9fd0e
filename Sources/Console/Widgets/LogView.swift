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

    public static func draw(_ entries: [LogEntry], scroll: Int, in rect: Rect, on screen: inout Screen, context: RenderContext) {
        guard rect.height > 0, rect.width > 0 else { return }
        let maxScroll = max(0, entries.count - rect.height)
        let s = min(max(0, scroll), maxScroll)
        let end = entries.count - s
        let start = max(0, end - rect.height)
        for (line, entry) in entries[start..<end].enumerated() {
            let y = rect.y + line
            let stamp = String(format: "%02d:%02d r%-3d %@ ", Int(entry.time) / 60, Int(entry.time) % 60, entry.round,
                               tag(entry.kind) as NSString)
            let used = screen.put(stamp, x: rect.x, y: y, style: .dim, limit: rect.width)
            let role: Style.Role = entry.kind == .warning ? .warning : entry.kind == .privacy ? .critical
                : entry.kind == .command ? .highlight : .text
            screen.put(context.text(entry.text), x: rect.x + used, y: y, style: Style(role, bold: context.monochrome && entry.kind == .warning),
                       limit: rect.width - used)
        }
    }
}
