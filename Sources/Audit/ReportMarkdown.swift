import Foundation

/// The report as GitHub-flavoured Markdown (`report.md`), for reading in a terminal, a diff or a
/// repository browser.
///
/// Contract: `# title`, the generation time, the set-up as a list, then `## section` with its
/// paragraphs, its tables (GFM pipe tables, with a link to `name.csv`) and for each chart the line
/// `Chart: <title> — data in [name.csv](name.csv)`. A line chart follows it with a compact table of
/// the points (4 significant digits) of its series of at most ``pointLimit`` points — one row per x
/// and one column per series when those series share their x values, else `series | x | y` rows —
/// and a line giving the number of points and the CSV for each longer (or empty) series; a bar chart follows it with a
/// category × series table (unless it has more than ``pointLimit`` categories). The report's text
/// is plain: Markdown's markup characters in it are backslash-escaped (so `|` cannot break a table
/// and `<script>` is not raw HTML), and line breaks inside a table cell, heading or list item become
/// spaces. Links to CSV files use the names as they are (valid stems, see ``AuditReport/problem``).
public enum ReportMarkdown {
    /// A longer series (or bar chart with more categories) is not listed point by point.
    public static let pointLimit = 20

    /// The whole document.
    public static func render(_ report: AuditReport) -> String {
        var md = "# \(line(report.title))\n\nGenerated \(ReportHTML.timestamp(report.generated)).\n\n"
        if !report.setup.isEmpty {
            md += "Set-up:\n\n"
            for item in report.setup { md += "- \(line(item))\n" }
            md += "\n"
        }
        for section in report.sections {
            md += "## \(line(section.title))\n\n"
            for paragraph in section.paragraphs { md += escape(paragraph) + "\n\n" }
            for table in section.tables { md += render(table) }
            for chart in section.charts { md += render(chart) }
        }
        return md
    }

    /// The caption in bold, the GFM table, the CSV link.
    static func render(_ table: ReportTable) -> String {
        var md = ""
        if !table.caption.isEmpty { md += "**\(line(table.caption))**\n\n" }
        md += pipeTable(header: table.columns, rows: table.rows)
        return md + "\nData: [\(table.name).csv](\(table.name).csv)\n\n"
    }

    /// The chart line, then its compact data (see the type's contract).
    static func render(_ chart: ReportChart) -> String {
        let csv = "[\(chart.name).csv](\(chart.name).csv)"
        var md = "Chart: \(line(chart.title)) — data in \(csv)\n\n"
        switch chart.kind {
        case .line:
            let short = chart.series.filter { $0.points.count <= pointLimit && !$0.points.isEmpty }
            let xs = short.first.map { $0.points.map(\.x) } ?? []
            if short.count > 1, short.allSatisfy({ $0.points.map(\.x) == xs }) {
                // The series share their x values (rounds, say): one row per x, one column per series.
                let rows = xs.indices.map { i in [number(xs[i])] + short.map { number($0.points[i].y) } }
                md += pipeTable(header: [chart.xLabel] + short.map(\.label), rows: rows) + "\n"
            } else if !short.isEmpty {
                let rows = short.flatMap { series in series.points.map { [series.label, number($0.x), number($0.y)] } }
                md += pipeTable(header: ["series", chart.xLabel, chart.yLabel], rows: rows) + "\n"
            }
            for series in chart.series where series.points.count > pointLimit || series.points.isEmpty {
                md += "- \(line(series.label)): \(series.points.count) point\(series.points.count == 1 ? "" : "s")"
                    + (series.points.isEmpty ? "\n" : ", in \(csv)\n")
            }
            if chart.series.contains(where: { $0.points.count > pointLimit || $0.points.isEmpty }) { md += "\n" }
        case .bars(let categories):
            if categories.isEmpty || chart.series.isEmpty {
                md += "No data.\n\n"
            } else if categories.count > pointLimit {
                md += "\(categories.count) categories × \(chart.series.count) series, in \(csv)\n\n"
            } else {
                let rows = categories.indices.map { index in
                    [categories[index]] + chart.series.map { series in
                        series.points.filter { $0.x == Double(index) }.map { number($0.y) }.joined(separator: "; ")
                    }
                }
                md += pipeTable(header: [chart.xLabel] + chart.series.map(\.label), rows: rows) + "\n"
            }
        }
        return md
    }

    /// A GFM pipe table; cells escaped, short rows padded, an empty header cell for a table without columns.
    static func pipeTable(header: [String], rows: [[String]]) -> String {
        let width = max(1, header.count)
        let cells = { (row: [String]) in
            "| " + (row + Array(repeating: "", count: max(0, width - row.count))).map { line($0, lineStarts: false) }.joined(separator: " | ") + " |\n"
        }
        var md = cells(header)
        md += "|" + String(repeating: " --- |", count: width) + "\n"
        for row in rows { md += cells(row) }
        return md
    }

    /// A number for reading: 4 significant digits (`nan`, `inf`, `-inf` as in the CSV).
    static func number(_ value: Double) -> String {
        value.isFinite ? String(format: "%.4g", value) : ReportCSV.number(value)
    }

    /// Text on one line (heading, list item, table cell): line breaks become spaces, then escaped.
    static func line(_ text: String, lineStarts: Bool = true) -> String {
        let joined = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).joined(separator: " ")
        return escape(joined, lineStarts: lineStarts)
    }

    /// Plain text made literal in Markdown: a backslash before each markup character (backslash,
    /// backtick, `*`, `_`, `~`, `[`, `]`, `<`, `>`, `|`, `#`, `&`), and — with `lineStarts`, for text
    /// that can open a block (paragraphs, list items) — before a `+`, `-` or `=` that starts a line
    /// and the `.` or `)` of a line starting `12.` or `12)`, so that no text becomes a list, a heading
    /// or raw HTML. Table cells are inline only and keep a leading `-` (`-0.5`) as it is.
    static func escape(_ text: String, lineStarts: Bool = true) -> String {
        var out = ""
        var atLineStart = true
        var digitsRun = false
        for character in text {
            if character.isNewline {
                out.append(character)
                atLineStart = true
                digitsRun = false
                continue
            }
            switch character {
            case "\\", "`", "*", "_", "~", "[", "]", "<", ">", "|", "#", "&":
                out += "\\" + String(character)
            case "+", "-", "=":
                out += lineStarts && atLineStart ? "\\" + String(character) : String(character)
            case ".", ")":
                out += lineStarts && digitsRun ? "\\" + String(character) : String(character)
            default:
                out.append(character)
            }
            digitsRun = (atLineStart || digitsRun) && character.isASCII && character.isNumber
            atLineStart = atLineStart && character == " "
        }
        return out
    }
}
