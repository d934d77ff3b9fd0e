import Foundation

/// Boxes drawn over the panels: the help (every key, on `?`), the quit confirmation and the
/// message shown when the terminal is smaller than the console needs.
public enum Overlays {
    /// A centred box of `lines`, cleared underneath.
    static func box(_ title: String, _ lines: [(String, Style.Role)], on screen: inout Screen, context: RenderContext) {
        let width = min(screen.width - 2, max(CharacterWidth.of(title) + 6, (lines.map { CharacterWidth.of($0.0) }.max() ?? 0) + 4))
        let height = min(screen.height - 2, lines.count + 2)
        let rect = Rect(x: (screen.width - width) / 2, y: (screen.height - height) / 2, width: width, height: height)
        screen.fill(rect)
        Frame.draw(title, in: rect, on: &screen, context: context, focused: true)
        var lines = lines
        // Lines that do not fit are counted on the last row.
        if lines.count > height - 2, height > 2 {
            let hidden = lines.count - (height - 3)
            lines = Array(lines.prefix(height - 3)) + [("+\(hidden) more (a taller terminal shows them)", .dim)]
        }
        for (i, (text, role)) in lines.enumerated() where i < height - 2 {
            screen.put(text, x: rect.x + 2, y: rect.y + 1 + i, style: Style(role, bold: role == .highlight), limit: width - 4)
        }
    }

    public static func help(on screen: inout Screen, context: RenderContext, replay: Bool) {
        var lines: [(String, Style.Role)] = []
        if replay {
            lines = [("space  pause / resume the replay", .text), ("s      one event while paused", .text),
                     ("+ -    faster / slower", .text), ("n m    jump to the next marker", .text),
                     ("t      next theme", .text), ("q      quit", .text)]
        } else {
            for b in KeyMap.bindings {
                var keys = b.keys
                if context.glyphs.isASCII { keys = keys.replacingOccurrences(of: "↑ ↓", with: "up down") }
                var help = b.help
                if context.glyphs.isASCII { help = help.replacingOccurrences(of: "×", with: "x").replacingOccurrences(of: "÷", with: "/") }
                lines.append((context.text(keys.padding(toLength: 9, withPad: " ", startingAt: 0) + help), .text))
            }
        }
        lines.append(("any key closes this help", .dim))
        box("Keys", lines, on: &screen, context: context)
    }

    public static func confirmQuit(on screen: inout Screen, context: RenderContext) {
        box("Quit?", [("Stop the run? The engine finishes its round,", .text),
                      ("saves its checkpoint, and the terminal is restored.", .text),
                      ("y / q / enter: quit     any other key: stay", .highlight)], on: &screen, context: context)
    }

    public static func tooSmall(on screen: inout Screen, context: RenderContext) {
        screen.clear()
        let by = context.glyphs.isASCII ? "x" : "×"
        let lines = ["Terminal too small: \(screen.width)\(by)\(screen.height)",
                     "fedtop needs at least \(Layout.minimumWidth)\(by)\(Layout.minimumHeight)", "(q quits)"]
        for (i, line) in lines.enumerated() {
            let w = CharacterWidth.of(line)
            screen.put(line, x: max(0, (screen.width - w) / 2), y: max(0, screen.height / 2 - 1 + i), style: Style(i == 0 ? .warning : .text, bold: i == 0))
        }
    }
}
