import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Audit

/// The elements of an XML document, in document order, from Foundation's `XMLParser`; nil when the
/// text is not well-formed.
final class XMLElements: NSObject, XMLParserDelegate {
    struct Element {
        var name: String
        var attributes: [String: String]
        var text: String
    }

    private(set) var elements: [Element] = []
    private var open: [Int] = []

    static func parse(_ text: String) -> [Element]? {
        let parser = XMLParser(data: Data(text.utf8))
        let collector = XMLElements()
        parser.delegate = collector
        return parser.parse() ? collector.elements : nil
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        open.append(elements.count)
        elements.append(Element(name: elementName, attributes: attributeDict, text: ""))
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        open.removeLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let index = open.last { elements[index].text += string }
    }
}

extension XMLElements.Element {
    /// A polyline's vertices.
    var vertices: [(x: Double, y: Double)] {
        (attributes["points"] ?? "").split(separator: " ").map { pair in
            let xy = pair.split(separator: ",").map { Double($0)! }
            return (xy[0], xy[1])
        }
    }

    func number(_ attribute: String) -> Double { Double(attributes[attribute] ?? "") ?? .nan }
}

@Suite("SVG charts")
struct SVGChartTests {
    static func line(_ series: [ChartSeries], xScale: ReportChart.Scale = .linear, yScale: ReportChart.Scale = .linear,
                     xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil, diagonal: Bool = false,
                     title: String = "A chart") -> ReportChart {
        ReportChart(name: "chart", title: title, xLabel: "x", yLabel: "y", xScale: xScale, yScale: yScale,
                    xRange: xRange, yRange: yRange, diagonal: diagonal, series: series)
    }

    static func series(_ label: String, _ points: [(Double, Double)]) -> ChartSeries {
        ChartSeries(label: label, points: points.map { ChartPoint(x: $0.0, y: $0.1) })
    }

    static func parsed(_ chart: ReportChart) throws -> [XMLElements.Element] {
        try #require(XMLElements.parse(SVGChart.render(chart)), "not well-formed XML")
    }

    @Test("a line chart is well-formed XML: one polyline per series, one vertex per point, in order")
    func polylines() throws {
        let chart = Self.line([
            Self.series("five", (0..<5).map { (Double($0), Double($0 * $0)) }),
            Self.series("one", [(2, 3)]),
            Self.series("thirty", (0..<30).map { (Double($0) / 10, sin(Double($0))) }),
        ])
        let elements = try Self.parsed(chart)
        let root = try #require(elements.first)
        #expect(root.name == "svg")
        #expect(root.attributes["xmlns"] == "http://www.w3.org/2000/svg")
        #expect(root.attributes["viewBox"] == "0 0 640 400")
        let lines = elements.filter { $0.name == "polyline" && $0.attributes["class"] == "series" }
        #expect(lines.map(\.vertices.count) == [5, 1, 30])
        // x increases along the first series, y (pixels grow downwards) decreases as x² grows.
        let first = lines[0].vertices
        #expect(zip(first, first.dropFirst()).allSatisfy { $0.x < $1.x && $0.y > $1.y })
        // Three different colours; every label in the legend; title present.
        #expect(Set(lines.compactMap { $0.attributes["stroke"] }).count == 3)
        let texts = elements.filter { $0.name == "text" }.map(\.text)
        #expect(["five", "one", "thirty", "A chart", "x", "y"].allSatisfy(texts.contains))
    }

    @Test("a log axis puts 0.01 halfway between 0.001 and 0.1, on both axes")
    func logPlacement() throws {
        let chart = Self.line([Self.series("s", [(0.001, 0.001), (0.01, 0.01), (0.1, 0.1)])],
                              xScale: .log, yScale: .log, xRange: 0.001...0.1, yRange: 0.001...0.1)
        let v = try #require(Self.parsed(chart).first { $0.attributes["class"] == "series" }).vertices
        #expect(v.count == 3)
        #expect(abs((v[1].x - v[0].x) - (v[2].x - v[1].x)) < 0.02)
        #expect(abs((v[1].y - v[0].y) - (v[2].y - v[1].y)) < 0.02)
        #expect(v[2].x - v[0].x > 100)
        // On a linear axis 0.01 would sit near 0.001, far from the middle.
        let linear = Self.line([Self.series("s", [(0.001, 0.001), (0.01, 0.01), (0.1, 0.1)])], xRange: 0.001...0.1, yRange: 0.001...0.1)
        let w = try #require(Self.parsed(linear).first { $0.attributes["class"] == "series" }).vertices
        #expect((w[1].x - w[0].x) * 5 < w[2].x - w[1].x)
    }

    @Test("a ROC chart on log axes 1e-3…1 is labelled by decades 0.001, 0.01, 0.1, 1, and has the y = x diagonal corner to corner")
    func rocAxes() throws {
        let roc = ReportChart(name: "roc", title: "ROC", xLabel: "FPR", yLabel: "TPR", xScale: .log, yScale: .log,
                              xRange: 0.001...1, yRange: 0.001...1, diagonal: true,
                              series: [Self.series("attack", [(0, 0), (0.0005, 0.02), (0.001, 0.05), (0.01, 0.2), (0.1, 0.6), (1, 1)])])
        let elements = try Self.parsed(roc)
        let labels = elements.filter { $0.name == "text" }.map(\.text)
        for decade in ["0.001", "0.01", "0.1", "1"] {
            #expect(labels.filter { $0 == decade }.count == 2, "\(decade) on both axes")
        }
        #expect(!labels.contains { $0.contains("e-") })
        let frame = try #require(elements.first { $0.attributes["class"] == "frame" })
        let (left, top) = (frame.number("x"), frame.number("y"))
        let (right, bottom) = (left + frame.number("width"), top + frame.number("height"))
        let diagonal = try #require(elements.first { $0.attributes["class"] == "diagonal" }).vertices
        #expect(diagonal.count == 2)
        #expect(abs(diagonal[0].x - left) < 0.02 && abs(diagonal[0].y - bottom) < 0.02)
        #expect(abs(diagonal[1].x - right) < 0.02 && abs(diagonal[1].y - top) < 0.02)
        // (0, 0) cannot be drawn on log axes; the point left of 0.001 is kept (clipped, not dropped).
        let curve = try #require(elements.first { $0.attributes["class"] == "series" }).vertices
        #expect(curve.count == 5)
        #expect(curve[0].x < left - 10)
        #expect(abs(curve[1].x - left) < 0.02)
        #expect(abs(curve[4].x - right) < 0.02 && abs(curve[4].y - top) < 0.02)
    }

    /// Fixed-range parse of SVGChart.render output, without the helper's chart.
    static func parsed(_ svg: String) throws -> [XMLElements.Element] {
        try #require(XMLElements.parse(svg), "not well-formed XML")
    }

    @Test("on a log axis, points with a coordinate ≤ 0 are left out")
    func logSkipsNonPositive() throws {
        let chart = Self.line([Self.series("s", [(0, 0.5), (0.001, 0.01), (-1, 0.5), (0.5, 0.9), (0.1, 0), (0.2, -3)])],
                              xScale: .log, yScale: .log)
        let v = try #require(Self.parsed(chart).first { $0.attributes["class"] == "series" }).vertices
        #expect(v.count == 2)
        // Only one log axis: non-positive values on the linear one are kept.
        let semi = Self.line([Self.series("s", [(0, 0.5), (0.001, 0), (0.5, -0.9)])], xScale: .log)
        #expect(try #require(Self.parsed(semi).first { $0.attributes["class"] == "series" }).vertices.count == 2)
    }

    @Test("NaN and infinite values are skipped and never written")
    func nonFinite() throws {
        let chart = Self.line([
            Self.series("s", [(0, 1), (.nan, 2), (1, .infinity), (2, -.infinity), (3, 4), (.infinity, 1)]),
            Self.series("t", [(.nan, .nan)]),
        ], xRange: 0...Double.infinity)
        let svg = SVGChart.render(chart)
        #expect(!svg.lowercased().contains("nan"))
        #expect(!svg.lowercased().contains("inf"))
        let elements = try Self.parsed(svg)
        #expect(elements.filter { $0.attributes["class"] == "series" }.map(\.vertices.count) == [2])
        for element in elements {
            for (name, value) in element.attributes where ["x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "width", "height"].contains(name) {
                #expect(Double(value)?.isFinite == true, "\(element.name) \(name)=\(value)")
            }
        }
        let bars = ReportChart(name: "b", title: "B", xLabel: "c", yLabel: "v", kind: .bars(categories: ["a", "b"]),
                               series: [Self.series("s", [(0, .nan), (1, 2), (.nan, 1), (0.5, 1), (7, 1)])])
        let barSVG = SVGChart.render(bars)
        #expect(!barSVG.lowercased().contains("nan") && !barSVG.lowercased().contains("inf"))
        #expect(try Self.parsed(barSVG).filter { $0.attributes["class"] == "bar" }.count == 1)
    }

    @Test("text is escaped: a <script> label is not raw, and reads back unchanged")
    func escaping() throws {
        let evil = "<script>alert(\"x\") & 'y'</script>"
        let chart = ReportChart(name: "e", title: evil, xLabel: "a<b", yLabel: "c&d", kind: .bars(categories: [evil, "ok"]),
                                series: [Self.series(evil, [(0, 1), (1, 2)])])
        let svg = SVGChart.render(chart)
        #expect(!svg.contains("<script"))
        #expect(!svg.contains("a<b") && !svg.contains("c&d"))
        let elements = try Self.parsed(svg)
        #expect(elements.contains { $0.name == "title" && $0.text == evil })
        #expect(elements.contains { $0.name == "text" && $0.text == "a<b" })
        #expect(SVGChart.escape("&<>\"'\u{1}x") == "&amp;&lt;&gt;&quot;&apos;x")
    }

    @Test("no series, no points, only NaN, nothing positive on a log axis, no categories: an SVG saying no data")
    func noData() throws {
        let charts = [
            Self.line([]),
            Self.line([Self.series("s", [])]),
            Self.line([Self.series("s", [(.nan, 1), (2, .nan)])]),
            Self.line([Self.series("s", [(0, 1), (-1, 2)])], xScale: .log),
            ReportChart(name: "b", title: "B", xLabel: "", yLabel: "", kind: .bars(categories: []), series: [Self.series("s", [(0, 1)])]),
            ReportChart(name: "b", title: "B", xLabel: "", yLabel: "", kind: .bars(categories: ["a"]), series: []),
        ]
        for chart in charts {
            let elements = try Self.parsed(chart)
            #expect(elements.contains { $0.name == "text" && $0.text == "no data" })
            #expect(!elements.contains { $0.name == "polyline" || $0.attributes["class"] == "bar" })
        }
    }

    @Test("linear ticks are round numbers inside the range; log ticks are decades with labels 0.001 … 1000")
    func ticks() {
        let unit = SVGChart.linearTicks(-0.05, 1.05)
        #expect(unit.map(\.label) == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        #expect(zip(unit.map(\.value), [0, 0.2, 0.4, 0.6, 0.8, 1.0]).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(SVGChart.linearTicks(0, 37).map(\.label) == ["0", "10", "20", "30"])
        #expect(SVGChart.linearTicks(-3, 3).map(\.label) == ["-3", "-2", "-1", "0", "1", "2", "3"])
        let log = SVGChart.logTicks(0.001, 1000)
        #expect(log.compactMap(\.label) == ["0.001", "0.01", "0.1", "1", "10", "100", "1000"])
        #expect(log.filter { $0.label == nil }.count == 6 * 8)
        #expect(SVGChart.decadeLabel(-7) == "1e-7" && SVGChart.decadeLabel(7) == "1e7")
    }

    @Test("ranges: fixed when usable, else the data's, padded on linear axes, whole decades on log axes, bars from 0")
    func domains() throws {
        let fixed = try #require(SVGChart.domain(of: [5], scale: .linear, fixed: 0...1, includeZero: false))
        #expect(fixed.lower == 0 && fixed.upper == 1)
        let padded = try #require(SVGChart.domain(of: [0, 1], scale: .linear, fixed: nil, includeZero: false))
        #expect(abs(padded.lower + 0.05) < 1e-12 && abs(padded.upper - 1.05) < 1e-12)
        let log = try #require(SVGChart.domain(of: [0.002, 0.5], scale: .log, fixed: nil, includeZero: false))
        #expect(abs(log.lower - 0.001) < 1e-15 && abs(log.upper - 1) < 1e-12)
        // A fixed log range starting at 0 cannot be used: the data's decades instead.
        let unusable = try #require(SVGChart.domain(of: [0.02, 0.5], scale: .log, fixed: 0...1, includeZero: false))
        #expect(abs(unusable.lower - 0.01) < 1e-15 && abs(unusable.upper - 1) < 1e-12)
        let bars = try #require(SVGChart.domain(of: [3, 5], scale: .linear, fixed: nil, includeZero: true))
        #expect(bars.lower == 0 && abs(bars.upper - 5.25) < 1e-12)
        let single = try #require(SVGChart.domain(of: [2, 2], scale: .linear, fixed: nil, includeZero: false))
        #expect(single.lower < 2 && single.upper > 2)
    }

    @Test("the diagonal is clipped to the plot area: it starts where y = x enters it")
    func diagonalClipped() throws {
        let chart = Self.line([Self.series("s", [(0, 0.5), (1, 2)])], xRange: 0...1, yRange: 0.5...2, diagonal: true)
        let elements = try Self.parsed(chart)
        let frame = try #require(elements.first { $0.attributes["class"] == "frame" })
        let (left, top, width, height) = (frame.number("x"), frame.number("y"), frame.number("width"), frame.number("height"))
        let d = try #require(elements.first { $0.attributes["class"] == "diagonal" }).vertices
        #expect(d.count == 2)
        #expect(abs(d[0].x - (left + width / 2)) < 0.02 && abs(d[0].y - (top + height)) < 0.02)
        #expect(abs(d[1].x - (left + width)) < 0.02 && abs(d[1].y - (top + height * 2 / 3)) < 0.02)
        // Ranges that y = x never crosses: no diagonal.
        let apart = Self.line([Self.series("s", [(0, 5)])], xRange: 0...1, yRange: 2...3, diagonal: true)
        #expect(try !Self.parsed(apart).contains { $0.attributes["class"] == "diagonal" })
    }

    @Test("bars: one rect per drawable point, grouped by category, heights from 0, category labels shown")
    func bars() throws {
        let chart = ReportChart(name: "b", title: "Accuracy", xLabel: "attack", yLabel: "rate",
                                kind: .bars(categories: ["none", "label flip", "backdoor"]),
                                series: [Self.series("clean", [(0, 1), (1, 2), (2, 4)]), Self.series("poisoned", [(0, 0.5), (2, 3)])])
        let elements = try Self.parsed(chart)
        let rects = elements.filter { $0.attributes["class"] == "bar" }
        #expect(rects.count == 5)
        #expect(abs(rects[1].number("height") - 2 * rects[0].number("height")) < 0.02)
        #expect(abs(rects[2].number("height") - 4 * rects[0].number("height")) < 0.02)
        // All bars stand on the same baseline.
        let bases = Set(rects.map { ($0.number("y") + $0.number("height")) * 100 }.map { $0.rounded() })
        #expect(bases.count == 1)
        // Each series' bars have their own colour; groups left to right.
        #expect(Set(rects.prefix(3).map { $0.attributes["fill"]! }).count == 1)
        #expect(rects[3].attributes["fill"] != rects[0].attributes["fill"])
        #expect(rects[0].number("x") < rects[3].number("x") && rects[3].number("x") < rects[1].number("x"))
        let texts = elements.filter { $0.name == "text" }.map(\.text)
        #expect(["none", "label flip", "backdoor", "clean", "poisoned"].allSatisfy(texts.contains))
    }

    @Test("more series than colours: the palette repeats with dashes; long series get no markers")
    func manySeries() throws {
        let chart = Self.line((0..<10).map { k in Self.series("s\(k)", (0..<(k == 0 ? 60 : 3)).map { (Double($0), Double($0 + k)) }) })
        let elements = try Self.parsed(chart)
        let lines = elements.filter { $0.attributes["class"] == "series" }
        #expect(lines.count == 10)
        let styles = Set(lines.map { "\($0.attributes["stroke"]!) \($0.attributes["stroke-dasharray"] ?? "")" })
        #expect(styles.count == 10)
        #expect(elements.filter { $0.name == "circle" }.count == 9 * 3)
    }
}
