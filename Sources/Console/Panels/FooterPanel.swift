/// The bottom line: the most useful keys, or what the operator is being asked (quit, filter), and
/// the recording and theme state on the right.
public enum FooterPanel {
    public static func draw(_ view: ConsoleView, in rect: Rect, on screen: inout Screen, context: RenderContext) {
        let c = view.controller
        let g = context.glyphs
        var right = ""
        if view.recording { right += (g.isASCII ? "REC " : "● REC ") }
        if let r = view.replayStatus { right += r + " " }
        right += "theme \(view.themeName) "
        let keys: [(String, String)]
        if let draft = c.filterDraft {
            keys = [("/", "filter: \(draft)_"), ("enter", "keep"), ("esc", "clear"),
                    ("kinds", LogKind.allCases.map(\.rawValue).joined(separator: " "))]
        } else if view.replayStatus != nil {
            keys = [("space", "pause"), ("s", "step"), ("+/-", "speed"), ("n", "next marker"), ("?", "help"), ("q", "quit")]
        } else if c.pending != nil {
            keys = [("enter", "apply"), ("esc", "cancel"), ("+/-", g.sigma), ("[/]", "C"), ("</>", "lr")]
        } else {
            keys = [("space", view.model.paused ? "resume" : "pause"), ("s", "step"), ("+/-", g.sigma), ("?", "help"),
                    ("q", "quit"), ("[/]", "C"), ("</>", "lr"), (g.isASCII ? "j/k" : "↑↓", "select"), ("enter", "details"),
                    ("d", "drop"), ("x", "malicious"), ("tab", "focus"), ("/", "filter"), ("t", "theme"), ("r", "rec"),
                    ("m", "marker")]
        }
        screen.fill(rect, style: Style(.text, reverse: true))
        let rightWidth = CharacterWidth.of(right)
        let limit = rect.maxX - rightWidth - 1
        var x = rect.x + 1
        if let message = view.message.map(context.text) {
            x += screen.put(message + "  ", x: x, y: rect.y, style: Style(.highlight, bold: true, reverse: true), limit: max(0, limit - x))
        }
        for (key, what) in keys {
            let w = CharacterWidth.of(key) + CharacterWidth.of(what) + 3
            guard x + w <= limit else { break }
            x += screen.put(key, x: x, y: rect.y, style: Style(.highlight, bold: true, reverse: true))
            x += screen.put(" \(what)  ", x: x, y: rect.y, style: Style(.text, reverse: true))
        }
        screen.put(right, x: rect.maxX - rightWidth, y: rect.y, style: Style(view.recording ? .critical : .text, bold: view.recording, reverse: true))
    }
}
