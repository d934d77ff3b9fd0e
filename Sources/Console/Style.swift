/// What a cell is drawn as, by meaning rather than by colour: a theme turns each ``Role`` into
/// colours, and a monochrome terminal into attributes, so the drawing code never names a colour.
public struct Style: Sendable, Equatable, Hashable {
    /// The part of the screen a cell belongs to; the keys of a theme file name the same things.
    public enum Role: String, Sendable, CaseIterable, Hashable, Codable {
        case text, title, border, dim, highlight, selected
        case trainLoss, evalLoss, accuracy, marker
        case ok, warning, critical
        case phaseActive, phaseIdle
        case paused
    }

    public var role: Role
    public var bold: Bool
    public var reverse: Bool
    public var underline: Bool

    public init(_ role: Role = .text, bold: Bool = false, reverse: Bool = false, underline: Bool = false) {
        self.role = role
        self.bold = bold
        self.reverse = reverse
        self.underline = underline
    }

    public static let plain = Style()
    public static let title = Style(.title, bold: true)
    public static let border = Style(.border)
    public static let dim = Style(.dim)
    public static let selected = Style(.selected, reverse: true)
}
