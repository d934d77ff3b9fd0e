/// One position of the ``Screen``: a character (or the right half of a wide one) and its style.
public struct Cell: Sendable, Equatable, Hashable {
    /// The character shown; `nil` for the second column of a wide character.
    public var scalar: Unicode.Scalar?
    public var style: Style

    public init(_ scalar: Unicode.Scalar? = " ", style: Style = .plain) {
        self.scalar = scalar
        self.style = style
    }

    public static let blank = Cell()
}

/// A rectangle of the screen, in columns and rows from the top left.
public struct Rect: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var x: Int, y: Int, width: Int, height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var isEmpty: Bool { width == 0 || height == 0 }

    /// The rectangle inside a one-cell border.
    public var inner: Rect { Rect(x: x + 1, y: y + 1, width: width - 2, height: height - 2) }

    public var description: String { "\(width)×\(height)+\(x)+\(y)" }
}

/// The virtual screen: a grid of ``Cell``s that every panel draws into. The curses driver sends
/// only the cells that changed since the last frame; tests and the recorder read the grid directly.
///
/// Contract: drawing is clipped to the grid (and to an optional clip rectangle), never wraps, and
/// is width-aware: a wide character takes two cells (the second holds `nil`), one that would not
/// fit is replaced by a space, and Greek letters, braille and box drawing take one cell. Text given
/// a `limit` it does not fit in ends in ``ellipsis`` (trailing spaces aside): nothing is cut silently.
public struct Screen: Sendable, Equatable {
    public private(set) var width: Int
    public private(set) var height: Int
    public private(set) var cells: [Cell]
    /// Drawing outside this rectangle is discarded (the panels' own bounds).
    public var clip: Rect?
    /// What ends text cut at its `limit` (`…`, or `...` on an ASCII terminal).
    public var ellipsis = "…"

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public var bounds: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    private func visible(_ x: Int, _ y: Int) -> Bool {
        guard x >= 0, y >= 0, x < width, y < height else { return false }
        if let c = clip { return x >= c.x && x < c.maxX && y >= c.y && y < c.maxY }
        return true
    }

    /// Clears every cell to blank with `style`.
    public mutating func clear(_ style: Style = .plain) {
        for i in cells.indices { cells[i] = Cell(" ", style: style) }
    }

    /// Fills a rectangle with a character.
    public mutating func fill(_ rect: Rect, with scalar: Unicode.Scalar = " ", style: Style = .plain) {
        for y in rect.y..<rect.maxY { for x in rect.x..<rect.maxX where visible(x, y) { self[x, y] = Cell(scalar, style: style) } }
    }

    /// Writes `text` from (x, y) rightwards, at most `limit` columns, ending in ``ellipsis`` when the
    /// text does not fit (its trailing spaces may be dropped silently); returns the columns used.
    /// Panels fit their text by rule first (``Fit``); this is the last resort.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: Style = .plain, limit: Int? = nil) -> Int {
        var text = text
        if let limit, CharacterWidth.of(text) > limit {
            while text.last == " " { text.removeLast() }
            text = Fit.truncate(text, width: max(0, limit), ellipsis: ellipsis)
        }
        var column = x
        let end = limit.map { x + $0 } ?? Int.max
        for scalar in text.unicodeScalars {
            let w = CharacterWidth.of(scalar)
            if w == 0 { continue }
            if column + w > end { break }
            if w == 2 {
                if visible(column, y) && visible(column + 1, y) {
                    self[column, y] = Cell(scalar, style: style)
                    self[column + 1, y] = Cell(nil, style: style)
                } else if visible(column, y) {
                    self[column, y] = Cell(" ", style: style)
                }
            } else if visible(column, y) {
                // Overwriting half of a wide character blanks the other half.
                if self[column, y].scalar == nil, column > 0 { self[column - 1, y] = Cell(" ", style: self[column - 1, y].style) }
                if column + 1 < width, self[column + 1, y].scalar == nil { self[column + 1, y] = Cell(" ", style: self[column + 1, y].style) }
                self[column, y] = Cell(scalar, style: style)
            }
            column += w
        }
        return column - x
    }

    /// Sets one cell's character and style.
    public mutating func set(_ scalar: Unicode.Scalar, x: Int, y: Int, style: Style = .plain) {
        guard visible(x, y) else { return }
        self[x, y] = Cell(scalar, style: style)
    }

    /// Changes the style of the cells in a rectangle, keeping their characters.
    public mutating func restyle(_ rect: Rect, _ change: (inout Style) -> Void) {
        for y in rect.y..<rect.maxY { for x in rect.x..<rect.maxX where visible(x, y) { change(&self[x, y].style) } }
    }

    /// Row `y` as text (wide characters once, trailing spaces kept).
    public func line(_ y: Int) -> String {
        var s = String.UnicodeScalarView()
        for x in 0..<width { if let c = self[x, y].scalar { s.append(c) } }
        return String(s)
    }

    /// The text of a rectangle, one line per row, trailing spaces trimmed.
    public func text(_ rect: Rect? = nil) -> String {
        let r = rect ?? bounds
        var lines: [String] = []
        for y in max(0, r.y)..<min(height, r.maxY) {
            var s = String.UnicodeScalarView()
            for x in max(0, r.x)..<min(width, r.maxX) { if let c = self[x, y].scalar { s.append(c) } }
            var line = String(s)
            while line.last == " " { line.removeLast() }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// Replaces every character outside ASCII with `?` (the last guard of `--ascii`).
    public mutating func replaceNonASCII() {
        for i in cells.indices {
            if let s = cells[i].scalar, !s.isASCII { cells[i].scalar = "?" } else if cells[i].scalar == nil { cells[i].scalar = " " }
        }
    }

    /// Whether `token` appears on any row.
    public func contains(_ token: String) -> Bool { (0..<height).contains { line($0).contains(token) } }

    /// The indices of cells that differ from `previous` (all of them when the sizes differ).
    public func changes(since previous: Screen?) -> [Int] {
        guard let previous, previous.width == width, previous.height == height else { return Array(cells.indices) }
        return cells.indices.filter { cells[$0] != previous.cells[$0] }
    }
}
