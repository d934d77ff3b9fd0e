import Foundation

/// The CSV text behind a table or a chart of the report (RFC 4180).
///
/// Contract: records end with CRLF; a field is quoted when it holds a comma, a double quote, CR or LF,
/// and its quotes are doubled; nothing else is altered. A table is its header (the columns) then its
/// rows, a short row padded with empty fields (a long one is written whole). A chart is in long form,
/// one record per point in series order: `series,x,y` for a line chart, `series,category,value` for a
/// bar chart (a point whose `x` is not a whole index into the categories keeps its number as the
/// category). Numbers are written in full (`String(describing:)`: `0.001`, `1e-05`, `nan`, `inf`,
/// `-inf`; a NaN of either sign is `nan`), every point included — also those a log axis cannot draw.
public enum ReportCSV {
    /// `table` as CSV: header, then one record per row.
    public static func table(_ table: ReportTable) -> String {
        var text = record(table.columns)
        for row in table.rows {
            text += record(row + Array(repeating: "", count: max(0, table.columns.count - row.count)))
        }
        return text
    }

    /// `chart`'s points as CSV in long form.
    public static func chart(_ chart: ReportChart) -> String {
        switch chart.kind {
        case .line:
            var text = record(["series", "x", "y"])
            for series in chart.series {
                for point in series.points {
                    text += record([series.label, number(point.x), number(point.y)])
                }
            }
            return text
        case .bars(let categories):
            var text = record(["series", "category", "value"])
            for series in chart.series {
                for point in series.points {
                    let category = point.x.isFinite && point.x == point.x.rounded() && point.x >= 0
                        && point.x < Double(categories.count) ? categories[Int(point.x)] : number(point.x)
                    text += record([series.label, category, number(point.y)])
                }
            }
            return text
        }
    }

    /// One record: the fields, quoted where needed, comma-separated, then CRLF.
    public static func record(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    /// A field, quoted (quotes doubled) when it holds a comma, a quote, CR or LF.
    public static func field(_ text: String) -> String {
        // Unicode scalars, not Characters: "\r\n" is one Character, which equals neither "\r" nor "\n".
        guard text.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }) else {
            return text
        }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A number in full: `String(describing:)` (`nan`, `inf` and `-inf` for the non-finite).
    public static func number(_ value: Double) -> String {
        value.isNaN ? "nan" : String(describing: value)  // a negative NaN would print "-nan"
    }
}
