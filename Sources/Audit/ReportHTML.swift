import Foundation

/// The report as one self-contained HTML5 document (`report.html`).
///
/// Contract: the document needs nothing else to be read or printed: `<meta charset="utf-8">`, an
/// inline `<style>` (light, readable, print-friendly), charts inlined as SVG (``SVGChart``); it holds
/// no `<script>`, no URL (no `http:`, `https:` or `//`, no web font) — its only links are the
/// in-page table of contents and each table's and chart's CSV (`name.csv`, relative, written beside
/// it by ``ReportWriter``). Every piece of the report's text is escaped. Element ids are prefixed
/// (`section-N`, `table-name`, `chart-name`) so that no two collide.
public enum ReportHTML {
    /// The whole document.
    public static func render(_ report: AuditReport) -> String {
        var html = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(report.title))</title>
        <style>
        \(style)
        </style>
        </head>
        <body>
        <header>
        <h1>\(escape(report.title))</h1>
        <p class="generated">Generated \(escape(timestamp(report.generated)))</p>

        """
        if !report.setup.isEmpty {
            html += "<h2 class=\"setup-heading\">Set-up</h2>\n<ul class=\"setup\">\n"
            for line in report.setup { html += "<li>\(escape(line))</li>\n" }
            html += "</ul>\n"
        }
        html += "</header>\n"
        if report.sections.isEmpty {
            html += "<p>This report has no sections.</p>\n"
        } else {
            html += "<nav>\n<h2>Contents</h2>\n<ol>\n"
            for (index, section) in report.sections.enumerated() {
                html += "<li><a href=\"#section-\(index + 1)\">\(escape(section.title))</a></li>\n"
            }
            html += "</ol>\n</nav>\n"
        }
        for (index, section) in report.sections.enumerated() {
            html += "<section id=\"section-\(index + 1)\">\n<h2>\(escape(section.title))</h2>\n"
            for paragraph in section.paragraphs { html += "<p>\(escape(paragraph))</p>\n" }
            for table in section.tables { html += render(table) }
            for chart in section.charts { html += render(chart) }
            html += "</section>\n"
        }
        return html + "</body>\n</html>\n"
    }

    /// A table in a `<figure>`: caption, header row, body (short rows padded), a link to its CSV.
    static func render(_ table: ReportTable) -> String {
        let name = escape(table.name)
        var html = "<figure class=\"table\" id=\"table-\(name)\">\n<div class=\"scroll\">\n<table>\n"
        if !table.caption.isEmpty { html += "<caption>\(escape(table.caption))</caption>\n" }
        html += "<thead>\n<tr>" + table.columns.map { "<th scope=\"col\">\(escape($0))</th>" }.joined() + "</tr>\n</thead>\n<tbody>\n"
        for row in table.rows {
            let cells = row + Array(repeating: "", count: max(0, table.columns.count - row.count))
            html += "<tr>" + cells.map { cell in
                isNumber(cell) ? "<td class=\"number\">\(escape(cell))</td>" : "<td>\(escape(cell))</td>"
            }.joined() + "</tr>\n"
        }
        html += "</tbody>\n</table>\n</div>\n"
        html += "<p class=\"data\">Data: <a href=\"\(name).csv\">\(name).csv</a></p>\n</figure>\n"
        return html
    }

    /// A chart in a `<figure>`: the inline SVG, then its title and a link to its CSV.
    static func render(_ chart: ReportChart) -> String {
        let name = escape(chart.name)
        return "<figure class=\"chart\" id=\"chart-\(name)\">\n"
            + SVGChart.render(chart, width: 640, height: 400, standalone: false)
            + "<figcaption>\(escape(chart.title)) — data: <a href=\"\(name).csv\">\(name).csv</a></figcaption>\n</figure>\n"
    }

    static func escape(_ text: String) -> String { SVGChart.escape(text) }

    /// Cells that read as numbers (`0.93`, `-1e-3`, `12 %`) are right-aligned.
    static func isNumber(_ cell: String) -> Bool {
        var text = cell.trimmingCharacters(in: .whitespaces)
        if text.hasSuffix("%") { text = String(text.dropLast()).trimmingCharacters(in: .whitespaces) }
        return !text.isEmpty && Double(text) != nil
    }

    /// `2025-03-01T12:00:00Z`.
    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    static let style = """
    :root { color-scheme: light; }
    body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
           max-width: 62rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; color: #1a1a1a; background: #ffffff; }
    h1 { font-size: 1.8rem; margin-bottom: 0.2rem; }
    h2 { font-size: 1.35rem; margin-top: 2.2rem; border-bottom: 1px solid #dddddd; padding-bottom: 0.2rem; }
    .generated { color: #555555; margin-top: 0; }
    .setup li { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9rem; }
    nav ol { padding-left: 1.6rem; }
    a { color: #0b5cad; }
    figure { margin: 1.5rem 0; }
    .scroll { overflow-x: auto; }
    table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
    caption { caption-side: top; text-align: left; font-weight: 600; padding-bottom: 0.3rem; }
    th, td { border: 1px solid #cccccc; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
    thead th { background: #f2f2f2; }
    tbody tr:nth-child(even) { background: #fafafa; }
    td.number { text-align: right; }
    figure svg { display: block; max-width: 100%; height: auto; }
    figcaption, .data { font-size: 0.9rem; color: #444444; margin-top: 0.3rem; }
    @media print {
      body { max-width: none; margin: 0; font-size: 10.5pt; }
      a { color: inherit; text-decoration: none; }
      nav { break-after: page; }
      h2 { break-after: avoid; }
      figure, tr { break-inside: avoid; }
      tbody tr:nth-child(even) { background: none; }
    }
    """
}
