import Foundation
import Testing
@testable import Audit

/// A report with the awkward parts: markup in every kind of text, a log–log ROC chart, a long series,
/// a bar chart, a table with `|` and a short row. Shared by the HTML, Markdown and writer tests.
enum SampleReport {
    static let evil = "<script>alert('x') && \"y\"</script>"

    static func make() -> AuditReport {
        let roc = ReportChart(name: "roc-mia", title: "ROC of the membership attack", xLabel: "false-positive rate",
                              yLabel: "true-positive rate", xScale: .log, yScale: .log, xRange: 0.001...1, yRange: 0.001...1,
                              diagonal: true, series: [
                                  ChartSeries(label: "loss threshold", points: (0...40).map { k in
                                      let x = pow(10, -3 + Double(k) * 3 / 40)
                                      return ChartPoint(x: x, y: min(1, x.squareRoot()))
                                  }),
                                  ChartSeries(label: "shadow | models", points: [ChartPoint(x: 0, y: 0), ChartPoint(x: 0.01, y: 0.05),
                                                                               ChartPoint(x: 1, y: 1)]),
                              ])
        let bars = ReportChart(name: "poison-accuracy", title: "Accuracy under poisoning", xLabel: "attack", yLabel: "accuracy",
                               kind: .bars(categories: ["none", "label flip", evil]), series: [
                                   ChartSeries(label: "FedAvg", points: [ChartPoint(x: 0, y: 0.95), ChartPoint(x: 1, y: 0.7), ChartPoint(x: 2, y: 0.5)]),
                                   ChartSeries(label: "median", points: [ChartPoint(x: 0, y: 0.94), ChartPoint(x: 1, y: 0.9), ChartPoint(x: 2, y: .nan)]),
                               ])
        let summary = ReportTable(name: "summary", caption: "Attack summary & verdict", columns: ["attack", "AUC", "TPR @ 0.1% FPR"],
                                  rows: [["membership | loss", "0.62", "0.004"], ["a, b", "-0.5", "12 %"], [evil]])
        return AuditReport(
            title: "Privacy audit <wdbc> & friends",
            setup: ["data: wdbc, 3 hospitals", "command: fedtop audit --rounds 5 --out runs/a"],
            sections: [
                ReportSection(title: "Membership inference", paragraphs: ["An attacker guesses who was trained on.", evil],
                              tables: [summary], charts: [roc]),
                ReportSection(title: "Poisoning & robustness", paragraphs: ["- not a list", "1. not a list either"],
                              charts: [bars]),
                ReportSection(title: "Empty section"),
            ],
            generated: Date(timeIntervalSince1970: 1_750_000_000))
    }
}

@Suite("HTML report")
struct ReportHTMLTests {
    let report = SampleReport.make()
    var html: String { ReportHTML.render(report) }

    @Test("a complete HTML5 document: doctype, utf-8, inline style, title, generation time")
    func document() {
        let html = html
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        #expect(html.contains("<meta charset=\"utf-8\">"))
        #expect(html.contains("<style>") && html.contains("@media print"))
        #expect(html.contains("<title>Privacy audit &lt;wdbc&gt; &amp; friends</title>"))
        #expect(html.contains("2025-06-15T15:06:40Z"))
        #expect(html.hasSuffix("</body>\n</html>\n"))
        for tag in ["section", "figure", "table", "svg", "nav", "header", "ul", "ol"] {
            #expect(html.components(separatedBy: "<\(tag)").count == html.components(separatedBy: "</\(tag)>").count, "\(tag) balanced")
        }
    }

    @Test("no script, no URL of any kind: no http, no //, no external stylesheet or font")
    func selfContained() {
        let lower = html.lowercased()
        #expect(!lower.contains("<script"))
        #expect(!lower.contains("http"))
        #expect(!lower.contains("//"))
        #expect(!lower.contains("<link") && !lower.contains("@import") && !lower.contains("@font-face"))
        #expect(!lower.contains("javascript:"))
        #expect(lower.range(of: #"<[^>]* on[a-z]+="#, options: .regularExpression) == nil, "no event handler attributes")
        // The only url() references are the charts' in-document clip paths.
        for piece in lower.components(separatedBy: "url(").dropFirst() { #expect(piece.hasPrefix("#clip-")) }
    }

    @Test("every section in the contents and as a heading; every paragraph; every set-up line; all escaped")
    func sections() {
        let html = html
        for (index, section) in report.sections.enumerated() {
            let title = SVGChart.escape(section.title)
            #expect(html.contains("<a href=\"#section-\(index + 1)\">\(title)</a>"))
            #expect(html.contains("<section id=\"section-\(index + 1)\">\n<h2>\(title)</h2>"))
        }
        #expect(html.contains("<h2>Poisoning &amp; robustness</h2>"))
        #expect(html.contains("<p>&lt;script&gt;alert(&apos;x&apos;) &amp;&amp; &quot;y&quot;&lt;/script&gt;</p>"))
        #expect(html.contains("<li>command: fedtop audit --rounds 5 --out runs/a</li>"))
    }

    @Test("each table has a header row, its rows (short ones padded) and a link to its CSV")
    func tables() {
        let html = html
        #expect(html.contains("<tr><th scope=\"col\">attack</th><th scope=\"col\">AUC</th><th scope=\"col\">TPR @ 0.1% FPR</th></tr>"))
        #expect(html.contains("<tr><td>membership | loss</td><td class=\"number\">0.62</td><td class=\"number\">0.004</td></tr>"))
        #expect(html.contains("<tr><td>&lt;script&gt;alert(&apos;x&apos;) &amp;&amp; &quot;y&quot;&lt;/script&gt;</td><td></td><td></td></tr>"))
        #expect(html.contains("<caption>Attack summary &amp; verdict</caption>"))
    }

    @Test("every table and chart links its CSV; every chart is an inline, well-formed SVG")
    func csvLinksAndCharts() throws {
        let html = html
        let names = report.sections.flatMap { $0.tables.map(\.name) + $0.charts.map(\.name) }
        #expect(names.count == 3)
        for name in names { #expect(html.contains("<a href=\"\(name).csv\">\(name).csv</a>")) }
        let svgs = html.components(separatedBy: "<svg").dropFirst().map { "<svg" + $0.components(separatedBy: "</svg>")[0] + "</svg>" }
        #expect(svgs.count == 2)
        for svg in svgs {
            let elements = try #require(XMLElements.parse(svg))
            #expect(elements.first?.attributes["xmlns"] == nil, "inline SVG needs no namespace URL")
        }
        let ids = html.components(separatedBy: " id=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
        #expect(Set(ids).count == ids.count, "ids are unique")
    }

    @Test("a report without sections says so and has no contents list")
    func empty() {
        let html = ReportHTML.render(AuditReport(title: "Nothing", generated: Date(timeIntervalSince1970: 0)))
        #expect(html.contains("This report has no sections."))
        #expect(!html.contains("<nav>"))
        #expect(html.contains("1970-01-01T00:00:00Z"))
    }
}
