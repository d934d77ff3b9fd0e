import Foundation
import Testing
@testable import Audit

@Suite("Markdown report")
struct ReportMarkdownTests {
    let markdown = ReportMarkdown.render(SampleReport.make())
    var lines: [String] { markdown.components(separatedBy: "\n") }

    /// `|` not preceded by a backslash.
    static func pipes(_ line: String) -> Int {
        var count = 0
        var escaped = false
        for character in line {
            if character == "|" && !escaped { count += 1 }
            escaped = character == "\\" && !escaped
        }
        return count
    }

    @Test("title, generation time, set-up list, one ## heading per section, in order")
    func structure() {
        #expect(markdown.hasPrefix("# Privacy audit \\<wdbc\\> \\& friends\n\nGenerated 2025-06-15T15:06:40Z.\n"))
        #expect(lines.contains("- data: wdbc, 3 hospitals"))
        #expect(lines.contains("- command: fedtop audit --rounds 5 --out runs/a"))
        #expect(lines.filter { $0.hasPrefix("## ") } == ["## Membership inference", "## Poisoning \\& robustness", "## Empty section"])
    }

    @Test("plain text stays plain: no raw HTML, no accidental lists")
    func escaping() {
        // Every < is backslash-escaped (GFM then shows it literally): no raw HTML tag.
        #expect(markdown.range(of: #"(?<!\\)<"#, options: .regularExpression) == nil)
        #expect(lines.contains("\\<script\\>alert('x') \\&\\& \"y\"\\</script\\>"))
        #expect(lines.contains("\\- not a list"))
        #expect(lines.contains("1\\. not a list either"))
        #expect(ReportMarkdown.escape("a_b *c* [d](e) `f` ~g~ #h \\") == "a\\_b \\*c\\* \\[d\\](e) \\`f\\` \\~g\\~ \\#h \\\\")
    }

    @Test("tables are GFM tables: | escaped in cells, one cell per column in every row, CSV linked")
    func tables() throws {
        let header = try #require(lines.firstIndex(of: "| attack | AUC | TPR @ 0.1% FPR |"))
        #expect(lines[header + 1] == "| --- | --- | --- |")
        #expect(lines[header + 2] == "| membership \\| loss | 0.62 | 0.004 |")
        #expect(lines[header + 3] == "| a, b | -0.5 | 12 % |")
        #expect(lines[header + 4].hasSuffix("|  |  |"))
        for row in lines[header...(header + 4)] { #expect(Self.pipes(row) == 4, "\(row)") }
        #expect(lines.contains("**Attack summary \\& verdict**"))
        #expect(lines.contains("Data: [summary.csv](summary.csv)"))
        let cell = ReportMarkdown.pipeTable(header: ["a|b"], rows: [["x\ny|z"]])
        #expect(cell == "| a\\|b |\n| --- |\n| x y\\|z |\n")
    }

    @Test("each chart: a Chart: line with its CSV; a line chart lists short series and counts long ones")
    func charts() throws {
        #expect(lines.contains("Chart: ROC of the membership attack — data in [roc-mia.csv](roc-mia.csv)"))
        #expect(lines.contains("Chart: Accuracy under poisoning — data in [poison-accuracy.csv](poison-accuracy.csv)"))
        // "loss threshold" has 41 points: counted, not listed; "shadow | models" has 3: listed.
        #expect(lines.contains("- loss threshold: 41 points, in [roc-mia.csv](roc-mia.csv)"))
        #expect(!lines.contains { $0.hasPrefix("| loss threshold |") })
        let header = try #require(lines.firstIndex(of: "| series | false-positive rate | true-positive rate |"))
        #expect(Array(lines[(header + 2)...(header + 4)]) == [
            "| shadow \\| models | 0 | 0 |", "| shadow \\| models | 0.01 | 0.05 |", "| shadow \\| models | 1 | 1 |",
        ])
        #expect(lines[header + 5] == "")
        // The bar chart as a category × series table (the NaN bar written as nan).
        #expect(lines.contains("| attack | FedAvg | median |"))
        #expect(lines.contains("| label flip | 0.7 | 0.9 |"))
        #expect(lines.contains("| \\<script\\>alert('x') \\&\\& \"y\"\\</script\\> | 0.5 | nan |"))
    }

    @Test("short series sharing their x values are one table with a column per series; others long form")
    func sharedX() throws {
        let rounds = ReportChart(name: "loss", title: "Loss", xLabel: "round", yLabel: "loss", series: (0..<3).map { h in
            ChartSeries(label: "hospital \(h)", points: (1...4).map { ChartPoint(x: Double($0), y: Double(h) + 1 / Double($0)) })
        } + [ChartSeries(label: "empty", points: [])])
        let lines = ReportMarkdown.render(rounds).components(separatedBy: "\n")
        let header = try #require(lines.firstIndex(of: "| round | hospital 0 | hospital 1 | hospital 2 |"))
        #expect(Array(lines[(header + 2)...(header + 6)]) == [
            "| 1 | 1 | 2 | 3 |", "| 2 | 0.5 | 1.5 | 2.5 |", "| 3 | 0.3333 | 1.333 | 2.333 |", "| 4 | 0.25 | 1.25 | 2.25 |", "",
        ])
        #expect(lines.contains("- empty: 0 points"))
        var shifted = rounds
        shifted.series[1].points[0].x = 1.5
        #expect(ReportMarkdown.render(shifted).contains("| series | round | loss |"))
    }

    @Test("a series of exactly 20 points is listed; 21 are counted")
    func pointLimit() {
        func chart(_ count: Int) -> ReportChart {
            ReportChart(name: "c", title: "C", xLabel: "x", yLabel: "y",
                        series: [ChartSeries(label: "s", points: (0..<count).map { ChartPoint(x: Double($0), y: 1) })])
        }
        let twenty = ReportMarkdown.render(chart(20))
        #expect(twenty.components(separatedBy: "\n").filter { $0.hasPrefix("| s |") }.count == 20)
        let more = ReportMarkdown.render(chart(21))
        #expect(!more.contains("| s |"))
        #expect(more.contains("- s: 21 points, in [c.csv](c.csv)"))
    }
}
