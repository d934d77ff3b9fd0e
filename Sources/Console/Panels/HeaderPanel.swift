import Foundation

/// The top line: run name, dataset and model on the left; `Round r/R`, the engine state in words,
/// elapsed time and ETA on the right.
public enum HeaderPanel {
    public static func draw(_ view: ConsoleView, in rect: Rect, on screen: inout Screen, context: RenderContext) {
        let m = view.model
        screen.fill(rect, style: Style(.title, reverse: true))
        let state = m.stateWords
        let stateRole: Style.Role = state.hasPrefix("PAUSED") ? .paused
            : (state.contains("EXHAUSTED") || state == "FAILED") ? .critical : .highlight
        let right = "Round \(max(m.round, 0))/\(m.plannedRounds)  "
        let elapsed = "  \(clock(m.time))" + (m.eta.map { " ETA \(clock($0))" } ?? "")
        let rightWidth = CharacterWidth.of(right) + CharacterWidth.of(state) + CharacterWidth.of(elapsed) + 1
        var left = " fedtop"
        if let run = m.run { left += " \(context.glyphs.vertical) \(run.name) \(context.glyphs.vertical) \(run.dataset) \(context.glyphs.vertical) \(run.model)" }
        if view.replayStatus != nil { left += " \(context.glyphs.vertical) REPLAY" }
        screen.put(left, x: rect.x, y: rect.y, style: Style(.title, bold: true, reverse: true), limit: max(0, rect.width - rightWidth - 1))
        var x = rect.maxX - rightWidth
        x += screen.put(right, x: x, y: rect.y, style: Style(.title, bold: true, reverse: true))
        x += screen.put(state, x: x, y: rect.y, style: Style(stateRole, bold: true, reverse: !context.monochrome || stateRole != .paused))
        screen.put(elapsed, x: x, y: rect.y, style: Style(.title, reverse: true))
    }

    /// `mm:ss`, or `h:mm:ss` past an hour.
    static func clock(_ seconds: Double) -> String {
        let s = Int(max(0, seconds.isFinite ? seconds : 0))
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%02d:%02d", s / 60, s % 60)
    }
}
