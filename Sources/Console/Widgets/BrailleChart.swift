/// A line chart of several series in a rectangle of cells: braille dots (2×4 per cell), half blocks
/// (1×2 per cell) or ASCII marks (1×1 per cell, one character per series) as fallbacks.
///
/// Contract: x runs over `domain` (e.g. rounds 1…R), each series' y over its own range mapped to
/// the full height (higher is up); nil values are gaps. Where series overlap in a cell, the last
/// series drawn gives the cell its colour.
public struct BrailleChart: Sendable {
    /// One line of the chart.
    public struct Series: Sendable {
        public var values: [(x: Double, y: Double)]
        public var range: ClosedRange<Double>
        public var role: Style.Role
        /// The mark in ASCII mode.
        public var mark: Unicode.Scalar

        public init(values: [(x: Double, y: Double)], range: ClosedRange<Double>, role: Style.Role, mark: Unicode.Scalar) {
            self.values = values
            self.range = range
            self.role = role
            self.mark = mark
        }
    }

    public var series: [Series]
    public var domain: ClosedRange<Double>

    public init(series: [Series], domain: ClosedRange<Double>) {
        self.series = series
        self.domain = domain
    }

    public func draw(in rect: Rect, on screen: inout Screen, kind: Glyphs.ChartGlyphs) {
        guard rect.width > 0, rect.height > 0 else { return }
        let (sx, sy) = kind == .braille ? (2, 4) : kind == .block ? (1, 2) : (1, 1)
        let pw = rect.width * sx, ph = rect.height * sy
        var bits = [UInt8](repeating: 0, count: rect.width * rect.height)
        var roles = [Style.Role?](repeating: nil, count: rect.width * rect.height)
        var marks = [Unicode.Scalar?](repeating: nil, count: rect.width * rect.height)
        let span = max(domain.upperBound - domain.lowerBound, 1e-12)
        for s in series {
            let yspan = max(s.range.upperBound - s.range.lowerBound, 1e-12)
            func pixel(_ p: (x: Double, y: Double)) -> (Int, Int) {
                let px = Int(((p.x - domain.lowerBound) / span * Double(pw - 1)).rounded())
                let fy = (min(max(p.y, s.range.lowerBound), s.range.upperBound) - s.range.lowerBound) / yspan
                let py = ph - 1 - Int((fy * Double(ph - 1)).rounded())
                return (min(max(px, 0), pw - 1), min(max(py, 0), ph - 1))
            }
            func plot(_ x: Int, _ y: Int) {
                let cx = x / sx, cy = y / sy, i = cy * rect.width + cx
                roles[i] = s.role
                marks[i] = s.mark
                bits[i] |= Self.bit(kind: kind, dx: x % sx, dy: y % sy)
            }
            var previous: (Int, Int)?
            for p in s.values where p.y.isFinite {
                let q = pixel(p)
                if let a = previous { line(from: a, to: q, plot) } else { plot(q.0, q.1) }
                previous = q
            }
        }
        for cy in 0..<rect.height {
            for cx in 0..<rect.width {
                let i = cy * rect.width + cx
                guard let role = roles[i], bits[i] != 0 else { continue }
                let scalar: Unicode.Scalar
                switch kind {
                case .braille: scalar = Unicode.Scalar(0x2800 + UInt32(bits[i]))!
                case .block: scalar = bits[i] == 3 ? "█" : bits[i] == 1 ? "▀" : "▄"
                case .ascii: scalar = marks[i] ?? "*"
                }
                screen.set(scalar, x: rect.x + cx, y: rect.y + cy, style: Style(role))
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
