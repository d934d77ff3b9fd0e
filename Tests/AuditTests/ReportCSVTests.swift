import Testing
@testable import Audit

@Suite("CSV of tables and charts")
struct ReportCSVTests {
    /// An RFC 4180 reader (CRLF or LF records, quoted fields with doubled quotes), to read back what
    /// ReportCSV wrote.
    static func parse(_ text: String) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var scalars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        while true {
            let c: Unicode.Scalar
            if let waiting = pending {
                c = waiting
                pending = nil
            } else if let next = scalars.next() {
                c = next
            } else {
                break
            }
            if quoted {
                if c == "\"" {
                    let next = scalars.next()
                    if next == "\"" { field += "\"" } else { quoted = false; pending = next }
                } else {
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                record.append(field)
                field = ""
            } else if c == "\r" || c == "\n" {
                if c == "\r" { let next = scalars.next(); if next != "\n" { pending = next } }
                record.append(field)
                records.append(record)
                record = []
                field = ""
            } else {
                field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
        return records
    }

    @Test("fields with a comma, a quote, CR or LF are quoted with doubled quotes; others are left alone")
    func quoting() {
        #expect(ReportCSV.field("plain text 0.5") == "plain text 0.5")
        #expect(ReportCSV.field("a,b") == "\"a,b\"")
        #expect(ReportCSV.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(ReportCSV.field("two\nlines") == "\"two\nlines\"")
        #expect(ReportCSV.field("crlf\r\nend") == "\"crlf\r\nend\"")
        #expect(ReportCSV.field("cr\r") == "\"cr\r\"")
        #expect(ReportCSV.field("") == "")
        #expect(ReportCSV.record(["a", "b,c"]) == "a,\"b,c\"\r\n")
    }

    @Test("a table round-trips through an RFC 4180 reader, tricky fields included; short rows are padded")
    func tableRoundTrip() {
        let rows = [["wdbc, 10 hospitals", "0.93", "he said \"no\""], ["multi\nline\r\ncell", "", "ünïcödé ✓"], ["short"]]
        let table = ReportTable(name: "t", caption: "c", columns: ["data set", "AUC", "note"], rows: rows)
        let text = ReportCSV.table(table)
        #expect(text.hasPrefix("data set,AUC,note\r\n"))
        #expect(text.hasSuffix("\r\n"))
        let back = Self.parse(text)
        #expect(back == [["data set", "AUC", "note"], rows[0], rows[1], ["short", "", ""]])
    }

    @Test("a line chart is long form series,x,y with every point in full precision; nan and inf spelled out")
    func lineChart() {
        let chart = ReportChart(name: "roc", title: "ROC", xLabel: "FPR", yLabel: "TPR", xScale: .log, yScale: .log, series: [
            ChartSeries(label: "attack, shadow", points: [ChartPoint(x: 0, y: 0), ChartPoint(x: 0.1 + 0.2, y: 1e-5)]),
            ChartSeries(label: "b", points: [ChartPoint(x: .nan, y: .infinity), ChartPoint(x: -.nan, y: -.infinity)]),
        ])
        let records = Self.parse(ReportCSV.chart(chart))
        #expect(records == [
            ["series", "x", "y"],
            ["attack, shadow", "0.0", "0.0"],
            ["attack, shadow", "0.30000000000000004", "1e-05"],
            ["b", "nan", "inf"],
            ["b", "nan", "-inf"],
        ])
        #expect(Double(records[2][1]) == 0.1 + 0.2)
    }

    @Test("a bar chart is long form series,category,value; an x that is no category index keeps its number")
    func barChart() {
        let chart = ReportChart(name: "acc", title: "Accuracy", xLabel: "attack", yLabel: "accuracy",
                                kind: .bars(categories: ["none", "flip \"labels\""]), series: [
                                    ChartSeries(label: "clean", points: [ChartPoint(x: 0, y: 0.9), ChartPoint(x: 1, y: 0.85)]),
                                    ChartSeries(label: "odd", points: [ChartPoint(x: 2, y: 1), ChartPoint(x: 0.5, y: .nan)]),
                                ])
        #expect(Self.parse(ReportCSV.chart(chart)) == [
            ["series", "category", "value"],
            ["clean", "none", "0.9"],
            ["clean", "flip \"labels\"", "0.85"],
            ["odd", "2.0", "1.0"],
            ["odd", "0.5", "nan"],
        ])
    }

    @Test("a chart without series is just its header")
    func emptyChart() {
        let chart = ReportChart(name: "e", title: "E", xLabel: "x", yLabel: "y", series: [])
        #expect(ReportCSV.chart(chart) == "series,x,y\r\n")
    }
}
