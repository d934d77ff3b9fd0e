import Foundation

/// The top line: run name, dataset and model on the left; `Round r/R`, the engine state in words,
/// elapsed time and ETA on the right. Fields give way whole when the line is short: the model,
/// then the dataset, then the run's name on the left; the ETA, then the elapsed time on the right.
public enum HeaderPanel {
    public static func draw(_ view: ConsoleView, in rect: Rect, on screen: inout Screen, context: RenderContext) {
        let m = view.model
        let state = m.stateWords
        screen.fill(rect, style: Style(.title, reverse: true))
        let stateRole: Style.Role = state.hasPrefix("PAUSED") ? .paused
            : (state.contains("EXHAUSTED") || state == "FAILED") ? .critical : .highlight
        // Right: the round and the state always; the elapsed time, then the ETA, give way first.
        let round = "Round \(max(m.round, 0))/\(m.plannedRounds)  "
        var elapsed = "  \(clock(m.time))" + (m.eta.map { " ETA \(clock($0))" } ?? "")
        // Left: fedtop and the run's name (whole or not at all); dataset and model give way first.
        let bar = " \(context.glyphs.vertical) "
        var fields: [(text: String, priority: Int)] = [("fedtop", 5)]
        if let run = m.run { fields += [(run.name, 3), (run.dataset, 1), (run.model, 0)] }
        if view.replayStatus != nil { fields.append(("REPLAY", 4)) }
        func rightWidth() -> Int { CharacterWidth.of(round) + CharacterWidth.of(state) + CharacterWidth.of(elapsed) + 1 }
        let leftMinimum = 1 + CharacterWidth.of("fedtop") + (view.replayStatus != nil ? CharacterWidth.of(bar + "REPLAY") : 0) + 1
        if rect.width - rightWidth() < leftMinimum, let eta = elapsed.range(of: " ETA ") { elapsed = String(elapsed[..<eta.lowerBound]) }
        if rect.width - rightWidth() < leftMinimum { elapsed = "" }
        var left = Self.fit(fields, width: rect.width - rightWidth() - 2, separator: bar)
        if !left.isEmpty { left = " " + left }
        screen.put(left, x: rect.x, y: rect.y, style: Style(.title, bold: true, reverse: true), limit: max(0, rect.width - rightWidth() - 1))
        var x = rect.maxX - rightWidth()
        x += screen.put(round, x: x, y: rect.y, style: Style(.title, bold: true, reverse: true))
        x += screen.put(state, x: x, y: rect.y, style: Style(stateRole, bold: true, reverse: !context.monochrome || stateRole != .paused))
        screen.put(elapsed, x: x, y: rect.y, style: Style(.title, reverse: true))
    }

    /// The fields that fit in `width`, least important dropped first, none of them cut.
    static func fit(_ fields: [(text: String, priority: Int)], width: Int, separator: String) -> String {
        var kept = fields
        func joined() -> String { kept.map(\.text).joined(separator: separator) }
        while !kept.isEmpty, CharacterWidth.of(joined()) > width {
            let lowest = kept.map(\.priority).min()!
            kept.remove(at: kept.lastIndex { $0.priority == lowest }!)
        }
        return joined()
    }

    /// `mm:ss`, or `h:mm:ss` past an hour.
    static func clock(_ seconds: Double) -> String {
        let s = Int(max(0, seconds.isFinite ? seconds : 0))
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%02d:%02d", s / 60, s % 60)
    }
}
