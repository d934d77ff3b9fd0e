/// Turns frames of the virtual screen into the escape sequences a terminal (or `asciinema play`)
/// understands: cursor moves, SGR attributes and 256/16 colours, only for the cells that changed.
public struct AnsiEncoder: Sendable {
    public var theme: Theme
    public var depth: ColorDepth

    public init(theme: Theme, depth: ColorDepth) {
        self.theme = theme
        self.depth = depth
    }

    /// The bytes that turn `previous` into `screen` (a full redraw when `previous` is nil or another size).
    public func encode(_ screen: Screen, since previous: Screen?) -> String {
        var out = ""
        let full = previous == nil || previous?.width != screen.width || previous?.height != screen.height
        if full { out += "\u{1b}[0m\u{1b}[H\u{1b}[2J" }
        let changed = full ? Array(screen.cells.indices) : screen.changes(since: previous)
        var cursor = -1
        var style: Style?
        for i in changed {
            let cell = screen.cells[i]
            guard let scalar = cell.scalar else { continue }
            if full && scalar == " " && cell.style == .plain && style == .plain { cursor = -1; continue }
            if cursor != i { out += "\u{1b}[\(i / screen.width + 1);\(i % screen.width + 1)H" }
            if style != cell.style {
                out += sgr(cell.style)
                style = cell.style
            }
            out.unicodeScalars.append(scalar)
            cursor = i + CharacterWidth.of(scalar)
            if cursor % screen.width == 0 { cursor = -1 }
        }
        if !out.isEmpty { out += "\u{1b}[0m" }
        return out
    }

    func sgr(_ style: Style) -> String {
        var codes = ["0"]
        if style.bold { codes.append("1") }
        if style.underline { codes.append("4") }
        if style.reverse { codes.append("7") }
        switch depth {
        case .monochrome:
            switch style.role {
            case .title, .critical, .paused, .phaseActive, .marker: codes.append("1")
            case .dim, .phaseIdle, .border: codes.append("2")
            case .selected: codes.append("7")
            default: break
            }
        case .xterm256, .ansi16, .ansi8:
            let entry = Palette(theme: theme, depth: depth)[style.role]
            if entry.dim { codes.append("2") }
            if entry.foreground >= 0 { codes.append(color(entry.foreground, foreground: true)) }
            if entry.background >= 0 { codes.append(color(entry.background, foreground: false)) }
        }
        return "\u{1b}[" + codes.joined(separator: ";") + "m"
    }

    private func color(_ n: Int, foreground: Bool) -> String {
        if depth == .xterm256 { return (foreground ? "38;5;" : "48;5;") + String(n) }
        return String((foreground ? 30 : 40) + (n < 8 ? n : n - 8 + 60))
    }
}
