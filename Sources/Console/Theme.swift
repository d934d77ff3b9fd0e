/// A colour theme: a colour for each ``Style/Role`` (the keys of a theme file), a background, and
/// the selection's colours. Colours are 24-bit; the driver maps them to the terminal's depth.
public struct Theme: Sendable, Equatable {
    /// A 24-bit colour.
    public struct RGB: Sendable, Equatable, Hashable {
        public var r: UInt8, g: UInt8, b: UInt8
        public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }

        /// Parses `#rrggbb` or `#rgb`.
        public init?(hex: String) {
            var s = Substring(hex)
            guard s.first == "#" else { return nil }
            s = s.dropFirst()
            if s.count == 3 { s = Substring(s.map { "\($0)\($0)" }.joined()) }
            guard s.count == 6, let v = UInt32(s, radix: 16) else { return nil }
            self.init(UInt8(v >> 16), UInt8((v >> 8) & 0xff), UInt8(v & 0xff))
        }

        /// The nearest xterm-256 colour (the 6×6×6 cube or the grey ramp).
        public var xterm256: Int {
            func cube(_ v: UInt8) -> Int { v < 48 ? 0 : v < 115 ? 1 : (Int(v) - 35) / 40 }
            let levels = [0, 95, 135, 175, 215, 255]
            let (cr, cg, cb) = (cube(r), cube(g), cube(b))
            let cubeColor = RGB(UInt8(levels[cr]), UInt8(levels[cg]), UInt8(levels[cb]))
            let average = (Int(r) + Int(g) + Int(b)) / 3
            let greyIndex = average > 238 ? 23 : max(0, (average - 3) / 10)
            let greyLevel = UInt8(8 + 10 * greyIndex)
            let grey = RGB(greyLevel, greyLevel, greyLevel)
            return distance(to: grey) < distance(to: cubeColor) ? 232 + greyIndex : 16 + 36 * cr + 6 * cg + cb
        }

        /// The nearest of the 16 ANSI colours.
        public var ansi16: Int {
            let palette = Palette.ansi
            return palette.indices.min { distance(to: palette[$0]) < distance(to: palette[$1]) }!
        }

        func distance(to o: RGB) -> Int {
            let dr = Int(r) - Int(o.r), dg = Int(g) - Int(o.g), db = Int(b) - Int(o.b)
            return 3 * dr * dr + 4 * dg * dg + 2 * db * db
        }
    }

    public var name: String
    /// The foreground of each role.
    public var colors: [Style.Role: RGB]
    /// The background (`main_bg`); nil keeps the terminal's own.
    public var background: RGB?
    /// The selected row's background (`selected_bg`).
    public var selectionBackground: RGB?

    public init(name: String, colors: [Style.Role: RGB], background: RGB?, selectionBackground: RGB?) {
        self.name = name
        self.colors = colors
        self.background = background
        self.selectionBackground = selectionBackground
    }

    /// A theme file's key for each role (`theme[train_loss]="#…"`), and the two backgrounds.
    public static let keys: [Style.Role: String] = [
        .text: "main_fg", .title: "title", .border: "div_line", .dim: "inactive_fg", .highlight: "hi_fg",
        .selected: "selected_fg", .trainLoss: "train_loss", .evalLoss: "eval_loss", .accuracy: "accuracy",
        .marker: "marker", .ok: "ok", .warning: "warning", .critical: "critical", .phaseActive: "phase_active",
        .phaseIdle: "phase_idle", .paused: "paused",
    ]
    public static let backgroundKey = "main_bg"
    public static let selectionBackgroundKey = "selected_bg"

    /// The built-in dark theme; every other theme falls back to it key by key.
    public static let dark = Theme(name: "default", colors: [
        .text: RGB(0xcc, 0xcc, 0xcc), .title: RGB(0xee, 0xee, 0xee), .border: RGB(0x5a, 0x6a, 0x7a),
        .dim: RGB(0x70, 0x70, 0x70), .highlight: RGB(0x5f, 0xd7, 0xff), .selected: RGB(0xff, 0xff, 0xff),
        .trainLoss: RGB(0xff, 0xaf, 0x5f), .evalLoss: RGB(0xd7, 0x87, 0xff), .accuracy: RGB(0x5f, 0xd7, 0x87),
        .marker: RGB(0xff, 0xd7, 0x00), .ok: RGB(0x5f, 0xd7, 0x87), .warning: RGB(0xff, 0xd7, 0x5f),
        .critical: RGB(0xff, 0x5f, 0x5f), .phaseActive: RGB(0x5f, 0xd7, 0xff), .phaseIdle: RGB(0x80, 0x80, 0x80),
        .paused: RGB(0xff, 0xd7, 0x00),
    ], background: nil, selectionBackground: RGB(0x26, 0x3a, 0x4f))
}

/// How many colours the terminal shows: 256, the 16 ANSI colours, the 8 basic ones (`TERM=xterm`,
/// `screen`), or none. ``Palette`` maps a theme's colours to what each depth has.
public enum ColorDepth: String, Sendable, Equatable, CaseIterable {
    case xterm256 = "256", ansi16 = "16", ansi8 = "8", monochrome = "mono"

    /// The depth for a terminal reporting `colors` colours (curses' `COLORS`); monochrome without
    /// colours, with fewer than 8, or when `NO_COLOR` is set (any value but empty).
    public static func detect(colors: Int, hasColors: Bool, environment: [String: String]) -> ColorDepth {
        if let v = environment["NO_COLOR"], !v.isEmpty { return .monochrome }
        guard hasColors, colors >= 8 else { return .monochrome }
        return colors >= 256 ? .xterm256 : colors >= 16 ? .ansi16 : .ansi8
    }
}
