/// Numbers three rows tall, for the presenter view ("larger type where the terminal allows it":
/// a terminal cannot change its font, so the figures that matter are drawn in block characters).
///
/// Contract: digits are three columns wide, `.` and space one, `%` three; ASCII terminals get `#`
/// for every block; characters it has no glyph for are drawn as they are on the bottom row.
enum BigDigits {
    static let font: [Character: [String]] = [
        "0": ["█▀█", "█ █", "▀▀▀"], "1": ["▀█ ", " █ ", "▀▀▀"], "2": ["▀▀█", "█▀▀", "▀▀▀"],
        "3": ["▀▀█", " ▀█", "▀▀▀"], "4": ["█ █", "▀▀█", "  ▀"], "5": ["█▀▀", "▀▀█", "▀▀▀"],
        "6": ["█▀▀", "█▀█", "▀▀▀"], "7": ["▀▀█", "  █", "  ▀"], "8": ["█▀█", "█▀█", "▀▀▀"],
        "9": ["█▀█", "▀▀█", "▀▀▀"], ".": [" ", " ", "▀"], " ": [" ", " ", " "], "%": ["█ ▄", "▄▀ ", "▀ █"],
    ]

    /// The columns `text` takes when drawn big.
    static func width(_ text: String) -> Int {
        text.reduce(0) { $0 + (font[$1]?[0].count ?? CharacterWidth.of(String($1))) } + max(0, text.count - 1)
    }

    /// The three rows of `text`, glyphs one column apart.
    static func rows(_ text: String, ascii: Bool) -> [String] {
        (0..<3).map { row in
            text.map { c -> String in
                guard let glyph = font[c] else { return row == 2 ? String(c) : String(repeating: " ", count: CharacterWidth.of(String(c))) }
                return ascii ? String(glyph[row].map { $0 == " " ? " " : "#" }) : glyph[row]
            }.joined(separator: " ")
        }
    }

    /// Draws `text` big at (x, y) when it fits in `width`; returns the rows used (0 if it did not fit).
    @discardableResult
    static func draw(_ text: String, x: Int, y: Int, width: Int, style: Style, on screen: inout Screen, context: RenderContext) -> Int {
        guard self.width(text) <= width else { return 0 }
        for (i, row) in rows(text, ascii: context.glyphs.isASCII).enumerated() {
            screen.put(row, x: x, y: y + i, style: style)
        }
        return 3
    }
}
