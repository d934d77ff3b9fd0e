import Console
import Testing

@Suite("The line chart's marks: patterns that survive no colour, crossings, reference lines")
struct BrailleChartTests {
    static let rising: [(x: Double, y: Double)] = (1...10).map { (Double($0), Double($0)) }

    func draw(_ series: [BrailleChart.Series], kind: Glyphs.ChartGlyphs, width: Int = 20, height: Int = 5) -> Screen {
        var screen = Screen(width: width, height: height)
        BrailleChart(series: series, domain: 1...10).draw(in: Rect(x: 0, y: 0, width: width, height: height), on: &screen, kind: kind)
        return screen
    }

    @Test("two series with the same points differ cell by cell in every pattern (no colour needed)")
    func patternsDiffer() {
        let patterns: [BrailleChart.Pattern] = [.solid, .dotted, .dashed, .sparse]
        for kind in [Glyphs.ChartGlyphs.braille, .block] {
            let drawn = patterns.map { p in
                draw([.init(values: Self.rising, range: 1...10, role: .trainLoss, mark: "*", pattern: p)], kind: kind).text()
            }
            #expect(Set(drawn).count == patterns.count, "\(kind): \(drawn)")
        }
        // ASCII: the marks differ.
        let a = draw([.init(values: Self.rising, range: 1...10, role: .trainLoss, mark: "*")], kind: .ascii).text()
        let b = draw([.init(values: Self.rising, range: 1...10, role: .evalLoss, mark: "o")], kind: .ascii).text()
        #expect(a != b && a.contains("*") && b.contains("o"))
    }

    @Test("where two series meet, the cell is neutral and keeps both series' dots; elsewhere each keeps its role")
    func crossings() {
        let falling: [(x: Double, y: Double)] = (1...10).map { (Double($0), 11 - Double($0)) }
        let screen = draw([.init(values: Self.rising, range: 1...10, role: .trainLoss, mark: "*"),
                           .init(values: falling, range: 1...10, role: .evalLoss, mark: "o")], kind: .braille)
        let roles = screen.cells.filter { $0.scalar != nil && $0.scalar != " " }.map(\.style.role)
        #expect(roles.contains(.text), "the crossing is drawn neutrally")
        #expect(roles.contains(.trainLoss) && roles.contains(.evalLoss), "neither line hides the other")
        let ascii = draw([.init(values: Self.rising, range: 1...10, role: .trainLoss, mark: "*"),
                          .init(values: falling, range: 1...10, role: .evalLoss, mark: "o")], kind: .ascii)
        #expect(ascii.contains("#") && ascii.contains("*") && ascii.contains("o"))
    }

    @Test("a reference line is drawn under the series: visible where they are not, never taking their cells")
    func referenceLine() {
        let flat: [(x: Double, y: Double)] = [(1, 5), (10, 5)]
        let screen = draw([.init(values: Self.rising, range: 1...10, role: .accuracy, mark: "+"),
                           .init(values: flat, range: 1...10, role: .dim, mark: ".", pattern: .dotted, isReference: true)], kind: .ascii)
        let text = screen.text()
        #expect(text.contains("."), "the baseline shows")
        #expect(!text.contains("#"), "a reference line makes no crossing")
        #expect(text.filter { $0 == "+" }.count >= 10, "the series keeps every cell it crosses the line in:\n\(text)")
    }
}
