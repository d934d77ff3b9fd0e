/// How a frame is drawn: which glyphs, and whether colour is available (without it, states that
/// colour would show are drawn with attributes and extra marks instead).
public struct RenderContext: Sendable, Equatable {
    public var glyphs: Glyphs
    public var monochrome: Bool

    public init(glyphs: Glyphs = .unicode, monochrome: Bool = false) {
        self.glyphs = glyphs
        self.monochrome = monochrome
    }

    /// Text from the engine or the user as this terminal can show it: Greek letters and symbols
    /// spelled out in ASCII mode (`σ` → `sigma`), anything else outside ASCII as `?`.
    public func text(_ s: String) -> String {
        guard glyphs.isASCII, s.unicodeScalars.contains(where: { !$0.isASCII }) else { return s }
        var out = ""
        for scalar in s.unicodeScalars {
            if scalar.isASCII { out.unicodeScalars.append(scalar); continue }
            switch scalar {
            case "ε": out += "eps"
            case "σ": out += "sigma"
            case "δ": out += "delta"
            case "μ": out += "mu"
            case "…": out += "..."
            case "→": out += "->"
            case "×": out += "x"
            case "÷": out += "/"
            case "≥": out += ">="
            case "≤": out += "<="
            case "∞": out += "inf"
            case "·": out += "."
            case "—", "–": out += "-"
            default: out += "?"
            }
        }
        return out
    }
}
