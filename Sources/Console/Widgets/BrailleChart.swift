/// A line chart of several series in a rectangle of cells: braille dots (2×4 per cell), half blocks
/// (1×2 per cell) or ASCII marks (1×1 per cell, one character per series) as fallbacks.
///
/// Contract: x runs over `domain` (e.g. rounds 1…R), each series' y over its own range mapped to
/// the full height (higher is up); non-finite values are gaps. Series tell themselves apart without
/// colour: each has a dot ``Pattern`` (solid, dotted, dashed) and an ASCII mark. A cell where two
/// series (not reference lines) meet is drawn in the neutral `text` role (ASCII `#`) with both
/// series' dots, so no series silently hides another; reference lines (a baseline, a budget) are
/// drawn under the series and never take a cell from one.
public struct BrailleChart: Sendable {
    /// Which dots of a series' line are drawn, counted along the line.
    public enum Pattern: Sendable, Equatable {
        /// Every dot.
        case solid
        /// Every other dot.
        case dotted
        /// Two dots on, two off.
        case dashed
        /// One dot in four (reference lines such as a budget).
        case sparse

        func draws(_ i: Int) -> Bool {
            switch self {
            case .solid: true
            case .dotted: i % 2 == 0
            case .dashed: i % 4 < 2
            case .sparse: i % 4 == 0
            }
        }
    }

    /// One line of the chart.
    public struct Series: Sendable {
        public var values: [(x: Double, y: Double)]
        public var range: ClosedRange<Double>
        public var role: Style.Role
        /// The mark in ASCII mode.
        public var mark: Unicode.Scalar
        public var pattern: Pattern
        /// A reference line (baseline, budget): drawn under the series, never counted in a crossing.
        public var isReference: Bool

        public init(values: [(x: Double, y: Double)], range: ClosedRange<Double>, role: Style.Role, mark: Unicode.Scalar,
                    pattern: Pattern = .solid, isReference: Bool = false) {
            self.values = values
            self.range = range
            self.role = role
            self.mark = mark
            self.pattern = pattern
            self.isReference = isReference
        }
    }

    public var series: [Series]
    public var domain: ClosedRange<Double>

    public init(series: [Series], domain: ClosedRange<Double>) {
        self.series = series
        self.domain = domain
    }

    /// Sub-pixels per cell for a kind of chart.
    static func resolution(_ kind: Glyphs.ChartGlyphs) -> (x: Int, y: Int) {
        kind == .braille ? (2, 4) : kind == .block ? (1, 2) : (1, 1)
    }

    /// The column (0-based, within a chart `width` cells wide) where x is drawn.
    public static func column(of x: Double, domain: ClosedRange<Double>, width: Int, kind: Glyphs.ChartGlyphs) -> Int {
        let sx = resolution(kind).x, pw = width * sx
        let span = max(domain.upperBound - domain.lowerBound, 1e-12)
        let px = Int(((x - domain.lowerBound) / span * Double(pw - 1)).rounded())
        return min(max(px, 0), pw - 1) / sx
    }

    /// The row (0 at the top, within a chart `height` cells high) where y is drawn on `range`.
    public static func row(of y: Double, range: ClosedRange<Double>, height: Int, kind: Glyphs.ChartGlyphs) -> Int {
        let sy = resolution(kind).y, ph = height * sy
        let yspan = max(range.upperBound - range.lowerBound, 1e-12)
        let fy = (min(max(y, range.lowerBound), range.upperBound) - range.lowerBound) / yspan
        return min(max(ph - 1 - Int((fy * Double(ph - 1)).rounded()), 0), ph - 1) / sy
    }

    public func draw(in rect: Rect, on screen: inout Screen, kind: Glyphs.ChartGlyphs) {
        guard rect.width > 0, rect.height > 0 else { return }
        let (sx, sy) = Self.resolution(kind)
        let pw = rect.width * sx, ph = rect.height * sy
        let cells = rect.width * rect.height
        var bits = [UInt8](repeating: 0, count: cells)
        /// The series (not reference lines) with a dot in each cell, and the reference line there.
        var owners = [[Int]](repeating: [], count: cells)
        var reference = [Int?](repeating: nil, count: cells)
        let span = max(domain.upperBound - domain.lowerBound, 1e-12)
        // Reference lines first: the series are drawn over them.
        let order = series.indices.filter { series[$0].isReference } + series.indices.filter { !series[$0].isReference }
        for index in order {
            let s = series[index]
            let yspan = max(s.range.upperBound - s.range.lowerBound, 1e-12)
            func pixel(_ p: (x: Double, y: Double)) -> (Int, Int) {
                let px = Int(((p.x - domain.lowerBound) / span * Double(pw - 1)).rounded())
                let fy = (min(max(p.y, s.range.lowerBound), s.range.upperBound) - s.range.lowerBound) / yspan
                let py = ph - 1 - Int((fy * Double(ph - 1)).rounded())
                return (min(max(px, 0), pw - 1), min(max(py, 0), ph - 1))
            }
            // ASCII cells hold one mark: patterns there thin out only reference lines.
            let pattern: Pattern = kind == .ascii && !s.isReference ? .solid : s.pattern
            var count = 0
            var last: (Int, Int)?
            func plot(_ x: Int, _ y: Int) {
                if let l = last, l == (x, y) { return }
                last = (x, y)
                defer { count += 1 }
                guard pattern.draws(count) else { return }
                let i = (y / sy) * rect.width + x / sx
                if s.isReference {
                    guard owners[i].isEmpty else { return }
                    reference[i] = index
                } else {
                    if reference[i] != nil { reference[i] = nil; bits[i] = 0 }
                    if !owners[i].contains(index) { owners[i].append(index) }
                }
                bits[i] |= Self.bit(kind: kind, dx: x % sx, dy: y % sy)
            }
            var previous: (Int, Int)?
            for p in s.values {
                guard p.y.isFinite, p.x.isFinite else { previous = nil; continue }
                let q = pixel(p)
                if let a = previous { line(from: a, to: q, plot) } else { plot(q.0, q.1) }
                previous = q
            }
        }
        for cy in 0..<rect.height {
            for cx in 0..<rect.width {
                let i = cy * rect.width + cx
                guard bits[i] != 0 else { continue }
                let role: Style.Role, mark: Unicode.Scalar
                if owners[i].count > 1 {
                    role = .text
                    mark = "#"
                } else if let o = owners[i].first ?? reference[i] {
                    role = series[o].role
                    mark = series[o].mark
                } else { continue }
                let scalar: Unicode.Scalar
                switch kind {
                case .braille: scalar = Unicode.Scalar(0x2800 + UInt32(bits[i]))!
                case .block: scalar = bits[i] == 3 ? "█" : bits[i] == 1 ? "▀" : "▄"
                case .ascii: scalar = mark
                }
                screen.set(scalar, x: rect.x + cx, y: rect.y + cy, style: Style(role, bold: owners[i].count > 1))
            }
        }
    }

    /// The dot of sub-pixel (dx, dy) in a cell.
    static func bit(kind: Glyphs.ChartGlyphs, dx: Int, dy: Int) -> UInt8 {
        switch kind {
        case .braille:
            let table: [[UInt8]] = [[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]]
            return table[dy][dx]
        case .block: return dy == 0 ? 1 : 2
        case .ascii: return 1
        }
    }

    /// How a series looks in a legend: a short horizontal run of its pattern (`⠒⠒⠒`, `⠂⠂⠂`, `⠒ ⠒`)
    /// in braille, its ASCII mark in ASCII.
    public static func legendMark(_ pattern: Pattern, mark: Unicode.Scalar, kind: Glyphs.ChartGlyphs) -> String {
        switch kind {
        case .ascii: return String(Character(mark)) + String(Character(mark))
        case .block:
            switch pattern {
            case .solid: return "▀▀"
            case .dotted: return "▀ ▀"
            case .dashed: return "▀▀ ▀▀"
            case .sparse: return "▀  ▀"
            }
        case .braille:
            switch pattern {
            case .solid: return "⠒⠒"
            case .dotted: return "⠂⠂"
            case .dashed: return "⠒⠀⠒"
            case .sparse: return "⠂⠀⠂"
            }
        }
    }

    /// Bresenham's line between two pixels, both ends included.
    private func line(from a: (Int, Int), to b: (Int, Int), _ plot: (Int, Int) -> Void) {
        var (x0, y0) = a
        let (x1, y1) = b
        let dx = abs(x1 - x0), dy = -abs(y1 - y0)
        let stepX = x0 < x1 ? 1 : -1, stepY = y0 < y1 ? 1 : -1
        var err = dx + dy
        while true {
            plot(x0, y0)
            if x0 == x1 && y0 == y1 { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x0 += stepX }
            if e2 <= dx { err += dx; y0 += stepY }
        }
    }
}
