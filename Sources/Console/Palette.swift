import Foundation

/// The colour numbers a theme is drawn with at one ``ColorDepth``: for each ``Style/Role`` a
/// foreground and a background (`-1` is the terminal's own colour) and any attribute (dim, bold)
/// that stands in for a shade the terminal does not have. The driver turns it into curses colour
/// pairs and the recorder into SGR codes; it is a pure function of the theme and the depth.
///
/// Contract — the contrast rule (WCAG 2 relative luminance, ratio `(L1 + 0.05) / (L2 + 0.05)`):
/// - a theme with a background (`main_bg`): every role, and `selected_fg` on `selected_bg`, is
///   drawn at least 3:1 against the background it is drawn on;
/// - a theme that keeps the terminal's background (a dark theme): every role is at least 3:1
///   against black and never vanishes on a white terminal (at least 1.1:1 against white).
///
/// Reverse video (the header, the footer, the selected row) swaps the two colours of a pair, so it
/// keeps the pair's contrast. At 256 colours the theme's colours are drawn as written, the nearest
/// of the xterm-256 palette (the theme answers for the rule, and the tests over `Themes/` hold
/// every shipped theme to it); at 16 and 8 colours each role gets the nearest colour the terminal
/// has that keeps the rule (a grey that had to be lightened is drawn dim), else black or white on a
/// theme's background, or the terminal's own foreground on its own background. Monochrome draws
/// no colour at all (states are bold, dim and reverse video).
public struct Palette: Sendable, Equatable {
    /// How one role is drawn.
    public struct Entry: Sendable, Equatable {
        /// Colour numbers (0–7, 0–15 or 0–255 by depth); -1: the terminal's own.
        public var foreground: Int
        public var background: Int
        /// Drawn with A_DIM (a grey the terminal has only lighter).
        public var dim: Bool

        public init(foreground: Int, background: Int, dim: Bool = false) {
            self.foreground = foreground
            self.background = background
            self.dim = dim
        }
    }

    public let depth: ColorDepth
    /// The screen's background colour number (-1: the terminal's own).
    public let background: Int
    public let entries: [Style.Role: Entry]

    /// The least contrast the palette keeps, and the least against white for a dark theme drawn on
    /// the terminal's background (so that nothing vanishes on a white terminal).
    public static let minimumContrast = 3.0
    public static let minimumContrastOnWhite = 1.1

    public init(theme: Theme, depth: ColorDepth) {
        self.depth = depth
        guard depth != .monochrome else {
            background = -1
            entries = Dictionary(uniqueKeysWithValues: Style.Role.allCases.map { ($0, Entry(foreground: -1, background: -1)) })
            return
        }
        let screen = theme.background.map { Self.nearest($0, depth: depth) } ?? -1
        background = screen
        var entries: [Style.Role: Entry] = [:]
        for role in Style.Role.allCases {
            var bg = screen
            if role == .selected, let selection = theme.selectionBackground { bg = Self.nearest(selection, depth: depth) }
            guard let wanted = theme.colors[role] else {
                entries[role] = Entry(foreground: -1, background: bg)
                continue
            }
            entries[role] = Self.entry(for: wanted, on: bg, depth: depth)
        }
        self.entries = entries
    }

    /// The entry of `role` (every role has one).
    public subscript(role: Style.Role) -> Entry { entries[role] ?? Entry(foreground: -1, background: background) }

    // MARK: - The colours a depth has

    /// How many colours the depth has (0 for monochrome).
    public static func count(_ depth: ColorDepth) -> Int {
        switch depth {
        case .xterm256: 256
        case .ansi16: 16
        case .ansi8: 8
        case .monochrome: 0
        }
    }

    /// xterm's default colour of each of the 16 ANSI numbers.
    public static let ansi: [Theme.RGB] = [
        Theme.RGB(0, 0, 0), Theme.RGB(205, 0, 0), Theme.RGB(0, 205, 0), Theme.RGB(205, 205, 0), Theme.RGB(0, 0, 238),
        Theme.RGB(205, 0, 205), Theme.RGB(0, 205, 205), Theme.RGB(229, 229, 229), Theme.RGB(127, 127, 127),
        Theme.RGB(255, 0, 0), Theme.RGB(0, 255, 0), Theme.RGB(255, 255, 0), Theme.RGB(92, 92, 255), Theme.RGB(255, 0, 255),
        Theme.RGB(0, 255, 255), Theme.RGB(255, 255, 255),
    ]

    /// The colour xterm shows for colour number `n` (0–255).
    public static func rgb(_ n: Int) -> Theme.RGB {
        if n < 16 { return ansi[max(0, n)] }
        if n >= 232 { let v = UInt8(8 + 10 * (n - 232)); return Theme.RGB(v, v, v) }
        let levels: [UInt8] = [0, 95, 135, 175, 215, 255]
        let i = n - 16
        return Theme.RGB(levels[i / 36], levels[(i / 6) % 6], levels[i % 6])
    }

    /// The colour number nearest to `c` among those the depth has.
    public static func nearest(_ c: Theme.RGB, depth: ColorDepth) -> Int {
        switch depth {
        case .xterm256: return c.xterm256
        case .ansi16: return c.ansi16
        case .ansi8, .monochrome: return (0..<8).min { c.distance(to: ansi[$0]) < c.distance(to: ansi[$1]) }!
        }
    }

    // MARK: - Contrast

    /// WCAG 2 relative luminance (0 black … 1 white).
    public static func luminance(_ c: Theme.RGB) -> Double {
        func channel(_ v: UInt8) -> Double {
            let s = Double(v) / 255
            return s <= 0.03928 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b)
    }

    /// WCAG 2 contrast ratio of two colours (1 … 21).
    public static func contrast(_ a: Theme.RGB, _ b: Theme.RGB) -> Double {
        let (la, lb) = (luminance(a), luminance(b))
        return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
    }

    /// Whether foreground colour number `fg` keeps the rule on background `bg` (-1: the terminal's,
    /// black or white). The terminal's own foreground on its own background always does.
    public static func keepsContrast(foreground fg: Int, background bg: Int) -> Bool {
        if fg < 0 { return bg < 0 }
        let color = rgb(fg)
        if bg < 0 {
            return contrast(color, Theme.RGB(0, 0, 0)) >= minimumContrast
                && contrast(color, Theme.RGB(255, 255, 255)) >= minimumContrastOnWhite
        }
        return contrast(color, rgb(bg)) >= minimumContrast
    }

    /// The entry for a role of colour `wanted` drawn on `bg`: at 256 colours the nearest; at 16 and
    /// 8 the nearest of the colours that keep the rule, a grey for a grey and otherwise the closest
    /// hue (in 10° steps, then the nearest), so that green stays green rather than the nearest grey.
    static func entry(for wanted: Theme.RGB, on bg: Int, depth: ColorDepth) -> Entry {
        if depth == .xterm256 { return Entry(foreground: wanted.xterm256, background: bg) }
        let passing = (0..<count(depth)).filter { keepsContrast(foreground: $0, background: bg) }
        let alike = passing.filter { isGrey(rgb($0)) == isGrey(wanted) }
        func score(_ n: Int) -> (Int, Int) {
            let c = rgb(n)
            guard !isGrey(wanted), !isGrey(c) else { return (0, wanted.distance(to: c)) }
            let d = abs(hue(wanted) - hue(c))
            return (Int(min(d, 360 - d) / 10), wanted.distance(to: c))
        }
        guard let pick = (alike.isEmpty ? passing : alike).min(by: { score($0) < score($1) }) else {
            if bg < 0 { return Entry(foreground: -1, background: bg) }
            let white = depth == .ansi8 ? 7 : 15
            return Entry(foreground: contrast(rgb(0), rgb(bg)) >= contrast(rgb(white), rgb(bg)) ? 0 : white, background: bg)
        }
        let lightened = luminance(rgb(pick)) > 2.5 * luminance(wanted) + 0.05
        return Entry(foreground: pick, background: bg, dim: isGrey(wanted) && lightened && (bg < 0 || luminance(rgb(bg)) < 0.2))
    }

    /// A grey: its channels within 40 of each other.
    static func isGrey(_ c: Theme.RGB) -> Bool { Int(max(c.r, c.g, c.b)) - Int(min(c.r, c.g, c.b)) < 40 }

    /// The hue in degrees (0 red, 120 green, 240 blue).
    static func hue(_ c: Theme.RGB) -> Double {
        let (r, g, b) = (Double(c.r), Double(c.g), Double(c.b))
        let hi = max(r, g, b), span = hi - min(r, g, b)
        guard span > 0 else { return 0 }
        let h = hi == r ? (g - b) / span : hi == g ? (b - r) / span + 2 : (r - g) / span + 4
        return (h * 60 + 360).truncatingRemainder(dividingBy: 360)
    }
}
