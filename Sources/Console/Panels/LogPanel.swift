/// Log: recent events, newest at the bottom, scrollable when focused, filtered by kind or text
/// (`/`); the filter shows in the title.
public enum LogPanel {
    public static func draw(_ view: ConsoleView, in rect: Rect, on screen: inout Screen, context: RenderContext) {
        let c = view.controller
        let filter = c.filterDraft ?? c.logFilter
        var title = "Log"
        if !filter.isEmpty || c.filterDraft != nil { title += " /\(filter)" + (c.filterDraft != nil ? "_" : "") }
        if c.logScroll > 0 { title += " (+\(c.logScroll))" }
        Frame.draw(title, in: rect, on: &screen, context: context, focused: c.focus == .log)
        let inner = Rect(x: rect.x + 2, y: rect.y + 1, width: rect.width - 3, height: rect.height - 2)
        guard inner.height >= 1, inner.width >= 10 else { return }
        LogView.draw(view.model.logEntries(matching: filter), scroll: c.logScroll, in: inner, on: &screen, context: context)
    }
}
