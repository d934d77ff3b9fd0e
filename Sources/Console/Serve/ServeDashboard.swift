import Foundation

/// The live panel of `fedtop serve` on a terminal, in the run console's style (framed panels,
/// braille charts, the same themes and glyph fallbacks): the served model and address; requests a
/// second and p50/p99 latency over the last two minutes; refusals by code (last 10 s and total);
/// the last second; a footer with the keys and any problem.
///
/// Contract: draws within the screen whatever its size; nothing is cut silently (text that does not
/// fit ends in an ellipsis); below ``minimumSize`` it draws the last second's figures and says the
/// terminal is too small; ASCII glyphs and monochrome terminals get the same information.
public enum ServeDashboard {
    public static let minimumSize = (width: 50, height: 14)

    public static func draw(_ model: ServeDashboardModel, on screen: inout Screen, context: RenderContext) {
        screen.clear()
        let last = model.samples.last
        guard screen.width >= minimumSize.width, screen.height >= minimumSize.height else {
            let lines = [
                "fedtop serve " + model.title,
                "req/s \(last?.requests ?? 0)  ok \(last?.answered ?? 0)",
                String(format: "p50 %.1f ms  p99 %.1f ms", last?.p50Milliseconds ?? 0, last?.p99Milliseconds ?? 0),
                "terminal too small for the panel (\(minimumSize.width)×\(minimumSize.height)); q quits",
            ]
            for (y, line) in lines.enumerated() where y < screen.height {
                screen.put(context.text(line), x: 0, y: y, style: y == 0 ? .title : .plain, limit: screen.width)
            }
            return
        }
        let width = screen.width, height = screen.height
        // Header: 4 rows; footer: 1 row; the rest split between charts (top) and tables (bottom).
        let header = Rect(x: 0, y: 0, width: width, height: 4)
        Frame.draw(context.text("fedtop serve — " + model.title), in: header, on: &screen, context: context)
        let inner = header.inner
        screen.put(context.text(model.modelLine), x: inner.x + 1, y: inner.y, limit: inner.width - 2)
        let up = Int(model.uptime)
        let status = context.text(String(format: "%@ · up %02d:%02d:%02d · %@ requests, %@ answered", model.address, up / 3600,
                                         up / 60 % 60, up % 60, grouped(model.totalRequests), grouped(model.totalAnswered)))
        screen.put(status, x: inner.x + 1, y: inner.y + 1, style: .dim, limit: inner.width - 2)

        let body = Rect(x: 0, y: header.maxY, width: width, height: height - header.height - 1)
        let chartHeight = max(4, body.height * 11 / 20)
        let charts = Rect(x: 0, y: body.y, width: width, height: chartHeight)
        let tables = Rect(x: 0, y: charts.maxY, width: width, height: body.maxY - charts.maxY)
        let half = width / 2
        drawRequests(model, in: Rect(x: 0, y: charts.y, width: half, height: charts.height), on: &screen, context: context)
        drawLatency(model, in: Rect(x: half, y: charts.y, width: width - half, height: charts.height), on: &screen, context: context)
        drawRefusals(model, in: Rect(x: 0, y: tables.y, width: half, height: tables.height), on: &screen, context: context)
        drawNow(model, in: Rect(x: half, y: tables.y, width: width - half, height: tables.height), on: &screen, context: context)
        drawFooter(model, in: Rect(x: 0, y: height - 1, width: width, height: 1), on: &screen, context: context)
    }

    private static func drawRequests(_ m: ServeDashboardModel, in rect: Rect, on screen: inout Screen, context: RenderContext) {
        let values = m.samples.map { Double($0.requests) }, answered = m.samples.map { Double($0.answered) }
        let peak = max(1, values.max() ?? 1)
        Frame.draw(context.text("Requests/s · peak \(grouped(Int(peak))) · answered dotted"), in: rect, on: &screen, context: context)
        chart([(values, .accuracy, "*", .solid), (answered, .ok, "o", .dotted)], range: 0...peak * 1.1, in: rect.inner, on: &screen,
              context: context)
    }

    private static func drawLatency(_ m: ServeDashboardModel, in rect: Rect, on screen: inout Screen, context: RenderContext) {
        // Seconds without requests have no latency: gaps, not zeros.
        let p50 = m.samples.map { $0.requests > 0 ? $0.p50Milliseconds : .nan }, p99 = m.samples.map { $0.requests > 0 ? $0.p99Milliseconds : .nan }
        let top = max(1, p99.filter(\.isFinite).max() ?? 1)
        Frame.draw(context.text(String(format: "Latency ms · p50 solid, p99 dashed · max %.1f", top)), in: rect, on: &screen, context: context)
        chart([(p50, .trainLoss, "5", .solid), (p99, .evalLoss, "9", .dashed)], range: 0...top * 1.1, in: rect.inner, on: &screen, context: context)
    }

    private static func chart(_ lines: [(values: [Double], role: Style.Role, mark: Unicode.Scalar, pattern: BrailleChart.Pattern)],
                              range: ClosedRange<Double>, in rect: Rect, on screen: inout Screen, context: RenderContext) {
        guard rect.width > 2, rect.height > 0 else { return }
        let window = Double(ServeDashboardModel.window - 1)
        let series = lines.map { line -> BrailleChart.Series in
            let offset = window - Double(line.values.count - 1)
            return BrailleChart.Series(values: line.values.enumerated().map { (x: offset + Double($0.offset), y: $0.element) }, range: range,
                                       role: line.role, mark: line.mark, pattern: line.pattern)
        }
        let plot = Rect(x: rect.x + 1, y: rect.y, width: rect.width - 2, height: rect.height - 1)
        BrailleChart(series: series, domain: 0...window).draw(in: plot, on: &screen, kind: context.glyphs.chart)
        let axis = "-2 min", now = "now"
        screen.put(axis, x: plot.x, y: rect.maxY - 1, style: .dim, limit: plot.width)
        screen.put(now, x: plot.maxX - now.count, y: rect.maxY - 1, style: .dim)
    }

    private static func drawRefusals(_ m: ServeDashboardModel, in rect: Rect, on screen: inout Screen, context: RenderContext) {
        Frame.draw("Refused", in: rect, on: &screen, context: context)
        let inner = rect.inner
        guard inner.width > 4, inner.height > 0 else { return }
        let recent = m.recentRefusals(seconds: 10)
        let codes = m.refusalTotals.keys.sorted { (m.refusalTotals[$0] ?? 0, $1) > (m.refusalTotals[$1] ?? 0, $0) }
        // The code column gets its longest code first; the counts share what is left (9 wide at most, 5 at
        // least). When even that does not fit, the 10-second column goes and the code keeps its width.
        let tableWidth = inner.width - 2
        let longest = max(12, codes.map(\.count).max() ?? 0)
        let countWidth = max(5, min(9, (tableWidth - longest - 2) / 2))
        let showRecent = tableWidth - 2 * countWidth - 2 >= min(longest, 12)
        let codeWidth = max(4, tableWidth - (showRecent ? 2 * countWidth + 2 : countWidth + 1))
        var rows: [[Table.Content]] = codes.map { code in
            let role: Style.Role = code == "rate_limited" || code == "budget_exhausted" ? .warning : .critical
            return [.text(code, role), .text(grouped(recent[code] ?? 0)), .text(grouped(m.refusalTotals[code] ?? 0))]
        }
        if rows.isEmpty { rows = [[.text("none", .ok), .text("0"), .text("0")]] }
        // Rows that do not fit are summed into the last line shown, never dropped silently.
        let visible = inner.height - 1
        if rows.count > visible, visible >= 1 {
            let hidden = codes.suffix(rows.count - visible + 1)
            rows = Array(rows.prefix(visible - 1)) + [[.text("\(hidden.count) more codes", .dim),
                                                      .text(grouped(hidden.reduce(0) { $0 + (recent[$1] ?? 0) })),
                                                      .text(grouped(hidden.reduce(0) { $0 + (m.refusalTotals[$1] ?? 0) }))]]
        }
        if !showRecent { rows = rows.map { [$0[0], $0[2]] } }
        let columns: [Table.Column] = showRecent
            ? [.init("code", width: codeWidth), .init("10 s", width: countWidth, rightAligned: true),
               .init("total", width: countWidth, rightAligned: true)]
            : [.init("code", width: codeWidth), .init("total", width: countWidth, rightAligned: true)]
        Table(columns: columns, rows: rows, selected: nil)
            .draw(in: Rect(x: inner.x + 1, y: inner.y, width: tableWidth, height: inner.height), on: &screen, context: context)
    }

    private static func drawNow(_ m: ServeDashboardModel, in rect: Rect, on screen: inout Screen, context: RenderContext) {
        Frame.draw("Last second", in: rect, on: &screen, context: context)
        let inner = rect.inner
        let s = m.samples.last
        let refused = (s?.requests ?? 0) - (s?.answered ?? 0)
        let lines: [(String, Style)] = [
            ("requests \(grouped(s?.requests ?? 0)) · answered \(grouped(s?.answered ?? 0)) · refused \(grouped(refused))", refused > 0 ? Style(.warning) : .plain),
            (String(format: "p50 %.2f ms · p99 %.2f ms", s?.p50Milliseconds ?? 0, s?.p99Milliseconds ?? 0), .plain),
            ("rate-limited keys \(s?.rateLimitedKeys ?? 0)", (s?.rateLimitedKeys ?? 0) > 0 ? Style(.warning) : .plain),
        ]
        for (i, (text, style)) in lines.enumerated() where i < inner.height {
            screen.put(context.text(text), x: inner.x + 1, y: inner.y + i, style: style, limit: inner.width - 2)
        }
    }

    private static func drawFooter(_ m: ServeDashboardModel, in rect: Rect, on screen: inout Screen, context: RenderContext) {
        screen.fill(rect, style: Style(.text, reverse: true))
        var x = rect.x + 1
        for (key, what) in [("q", "quit"), ("t", "theme")] {
            x += screen.put(key, x: x, y: rect.y, style: Style(.highlight, bold: true, reverse: true))
            x += screen.put(" \(what)  ", x: x, y: rect.y, style: Style(.text, reverse: true))
        }
        if let problem = m.problems.last {
            screen.put(context.text(problem), x: x, y: rect.y, style: Style(.critical, bold: true, reverse: true), limit: max(0, rect.maxX - x - 1))
        }
    }

    /// 12,345
    static func grouped(_ n: Int) -> String {
        let digits = String(abs(n))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }
}
