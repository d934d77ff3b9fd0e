/// A panel's border with its title: `╭─ Privacy ─────╮` (`+- Privacy -----+` in ASCII). A focused
/// panel's border is highlighted (bold in monochrome).
public enum Frame {
    public static func draw(_ title: String, in rect: Rect, on screen: inout Screen, context: RenderContext, focused: Bool = false) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        let g = context.glyphs
        let style = focused ? Style(.highlight, bold: true) : Style.border
        screen.set(g.topLeft, x: rect.x, y: rect.y, style: style)
        screen.set(g.topRight, x: rect.maxX - 1, y: rect.y, style: style)
        screen.set(g.bottomLeft, x: rect.x, y: rect.maxY - 1, style: style)
        screen.set(g.bottomRight, x: rect.maxX - 1, y: rect.maxY - 1, style: style)
        for x in (rect.x + 1)..<(rect.maxX - 1) {
            screen.set(g.horizontal, x: x, y: rect.y, style: style)
            screen.set(g.horizontal, x: x, y: rect.maxY - 1, style: style)
        }
        for y in (rect.y + 1)..<(rect.maxY - 1) {
            screen.set(g.vertical, x: rect.x, y: y, style: style)
            screen.set(g.vertical, x: rect.maxX - 1, y: y, style: style)
        }
        let label = focused && context.monochrome ? "[\(title)]" : title
        screen.put(" \(label) ", x: rect.x + 2, y: rect.y, style: Style(.title, bold: true), limit: max(0, rect.width - 4))
    }
}
