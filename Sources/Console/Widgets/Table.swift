/// A table with a header row, fixed-width columns and a selected row that stays in view while
/// the rows scroll. Cells are text or a gauge; the selected row is drawn in reverse video.
public struct Table: Sendable {
    /// One column: title, width in cells, and alignment.
    public struct Column: Sendable {
        public var title: String
        public var width: Int
        public var rightAligned: Bool

        public init(_ title: String, width: Int, rightAligned: Bool = false) {
            self.title = title
            self.width = width
            self.rightAligned = rightAligned
        }
    }

    /// One cell's content.
    public enum Content: Sendable {
        case text(String, Style.Role = .text)
        case gauge(Double)
    }

    public var columns: [Column]
    public var rows: [[Content]]
    public var selected: Int?

    public init(columns: [Column], rows: [[Content]], selected: Int?) {
        self.columns = columns
        self.rows = rows
        self.selected = selected
    }

    /// The first row shown so that `selected` is visible in `visibleRows`.
    public static func firstVisible(selected: Int?, count: Int, visibleRows: Int) -> Int {
        guard let s = selected, visibleRows > 0, count > visibleRows else { return 0 }
        return min(max(0, s - visibleRows + 1), count - visibleRows)
    }

    public func draw(in rect: Rect, on screen: inout Screen, context: RenderContext) {
        guard rect.height > 0 else { return }
        var x = rect.x
        for c in columns where x < rect.maxX {
            screen.put(align(c.title, c), x: x, y: rect.y, style: Style(.title, bold: true, underline: context.monochrome),
                       limit: min(c.width, rect.maxX - x))
            x += c.width + 1
        }
        let visible = rect.height - 1
        let first = Self.firstVisible(selected: selected, count: rows.count, visibleRows: visible)
        for (line, index) in (first..<min(rows.count, first + visible)).enumerated() {
            let y = rect.y + 1 + line
            let isSelected = index == selected
            x = rect.x
            for (c, content) in zip(columns, rows[index]) where x < rect.maxX {
                let width = min(c.width, rect.maxX - x)
                switch content {
                case let .text(text, role):
                    screen.put(align(text, c), x: x, y: y, style: Style(role), limit: width)
                case .gauge(let f):
                    Gauge.draw(f, x: x, y: y, width: width, on: &screen, context: context, role: .highlight)
                }
                x += c.width + 1
            }
            if isSelected {
                screen.put(context.glyphs.selectionMark, x: rect.x - 1, y: y, style: Style(.selected, bold: true), limit: 1)
                screen.restyle(Rect(x: rect.x, y: y, width: min(x, rect.maxX) - rect.x, height: 1)) { $0.reverse = true }
            }
        }
        if rows.count > visible, visible > 0 {
            let label = "\(first + 1)-\(min(rows.count, first + visible))/\(rows.count)"
            screen.put(label, x: rect.maxX - label.count, y: rect.maxY, style: .dim)
        }
    }

    private func align(_ text: String, _ c: Column) -> String {
        let w = CharacterWidth.of(text)
        guard w < c.width else { return text }
        let pad = String(repeating: " ", count: c.width - w)
        return c.rightAligned ? pad + text : text + pad
    }
}
