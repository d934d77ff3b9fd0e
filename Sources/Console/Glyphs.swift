/// The characters the console draws with: Unicode (Greek letters, box drawing, braille, blocks) or
/// plain ASCII for terminals without them (`--ascii`). Text tokens follow the set: `ε 1.23 / 3.00`
/// and `σ 1.10` in Unicode, `eps 1.23 / 3.00` and `sigma 1.10` in ASCII.
public struct Glyphs: Sendable, Equatable {
    public var epsilon: String
    public var sigma: String
    public var delta: String
    public var ellipsis: String
    public var arrow: String
    public var horizontal: Unicode.Scalar
    public var vertical: Unicode.Scalar
    public var topLeft: Unicode.Scalar
    public var topRight: Unicode.Scalar
    public var bottomLeft: Unicode.Scalar
    public var bottomRight: Unicode.Scalar
    /// Gauge fill from empty to full (the last is a full cell).
    public var gaugeSteps: [Unicode.Scalar]
    public var gaugeEmpty: Unicode.Scalar
    /// How the line chart draws: braille dots, half blocks or ASCII marks.
    public var chart: ChartGlyphs
    public var marker: Unicode.Scalar
    public var selectionMark: String
    public var isASCII: Bool
    /// The separator between short phrases (`·`, or `-` in ASCII).
    public var bullet: String { isASCII ? "-" : "·" }

    /// The chart's drawing method.
    public enum ChartGlyphs: String, Sendable, Equatable { case braille, block, ascii }

    public static let unicode = Glyphs(
        epsilon: "ε", sigma: "σ", delta: "δ", ellipsis: "…", arrow: "→", horizontal: "─", vertical: "│",
        topLeft: "╭", topRight: "╮", bottomLeft: "╰", bottomRight: "╯",
        gaugeSteps: ["▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"], gaugeEmpty: "·", chart: .braille, marker: "▲",
        selectionMark: "▶", isASCII: false)

    public static let ascii = Glyphs(
        epsilon: "eps", sigma: "sigma", delta: "delta", ellipsis: "...", arrow: "->", horizontal: "-", vertical: "|",
        topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+",
        gaugeSteps: ["#"], gaugeEmpty: ".", chart: .ascii, marker: "^", selectionMark: ">", isASCII: true)

    /// Unicode text with the chart in half blocks (for fonts without braille).
    public static let blocks: Glyphs = {
        var g = Glyphs.unicode
        g.chart = .block
        return g
    }()
}
