import Foundation

/// What an audit found, as a document: sections of prose, tables and charts, rendered by
/// ``ReportWriter`` into `report.html` (self-contained: inline CSS and SVG, no scripts), `report.md`
/// and one CSV per table and per chart (the numbers behind every picture).
///
/// Contract: names of tables and charts are the stems of their CSV files, so they are unique in a
/// report and made of `[a-z0-9-]`; ``problem`` says which one is not. Values are already measured:
/// the report only lays them out.
public struct AuditReport: Sendable, Equatable {
    public var title: String
    /// Lines describing the set-up (data, model, hospitals, commands that reproduce it).
    public var setup: [String]
    public var sections: [ReportSection]
    /// When the audit ran (shown, not used).
    public var generated: Date

    public init(title: String, setup: [String] = [], sections: [ReportSection] = [], generated: Date = Date()) {
        self.title = title
        self.setup = setup
        self.sections = sections
        self.generated = generated
    }

    /// The first name that is not a valid, unique CSV stem, or nil.
    public var problem: String? {
        var seen = Set<String>()
        for section in sections {
            for name in section.tables.map(\.name) + section.charts.map(\.name) {
                guard !name.isEmpty, name.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }) else {
                    return "'\(name)' is not a valid file stem (use a-z, 0-9 and -)"
                }
                guard seen.insert(name).inserted else { return "two tables or charts are named '\(name)'" }
            }
        }
        return nil
    }
}

/// One part of the report: a heading, paragraphs, then its tables and charts.
public struct ReportSection: Sendable, Equatable {
    public var title: String
    /// Paragraphs of plain text (no markup).
    public var paragraphs: [String]
    public var tables: [ReportTable]
    public var charts: [ReportChart]

    public init(title: String, paragraphs: [String] = [], tables: [ReportTable] = [], charts: [ReportChart] = []) {
        self.title = title
        self.paragraphs = paragraphs
        self.tables = tables
        self.charts = charts
    }
}

/// A table: written as `name.csv` and shown in both documents.
public struct ReportTable: Sendable, Equatable {
    /// The CSV file's stem.
    public var name: String
    public var caption: String
    public var columns: [String]
    /// Each row has one cell per column (already formatted).
    public var rows: [[String]]

    public init(name: String, caption: String, columns: [String], rows: [[String]]) {
        self.name = name
        self.caption = caption
        self.columns = columns
        self.rows = rows
    }
}

/// A chart: drawn as inline SVG in `report.html`, listed in `report.md` with its CSV, and written as
/// `name.csv` in long form (`series,x,y`; for bars `series,category,value`).
public struct ReportChart: Sendable, Equatable {
    public enum Scale: String, Sendable, Equatable {
        case linear
        /// Base-10 logarithmic; points with a coordinate ≤ 0 cannot be drawn and are left out of the
        /// picture (still in the CSV).
        case log
    }

    public enum Kind: Sendable, Equatable {
        /// Lines through each series' points, in order.
        case line
        /// Grouped bars: one group per category, one bar per series; each series' points use
        /// `x` = the category's index in `categories`.
        case bars(categories: [String])
    }

    /// The CSV file's stem.
    public var name: String
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var kind: Kind
    public var xScale: Scale
    public var yScale: Scale
    /// Fixed axis ranges (nil: from the data).
    public var xRange: ClosedRange<Double>?
    public var yRange: ClosedRange<Double>?
    /// Draw the y = x diagonal (chance on a ROC curve).
    public var diagonal: Bool
    public var series: [ChartSeries]

    public init(name: String, title: String, xLabel: String, yLabel: String, kind: Kind = .line,
                xScale: Scale = .linear, yScale: Scale = .linear, xRange: ClosedRange<Double>? = nil,
                yRange: ClosedRange<Double>? = nil, diagonal: Bool = false, series: [ChartSeries]) {
        self.name = name
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.kind = kind
        self.xScale = xScale
        self.yScale = yScale
        self.xRange = xRange
        self.yRange = yRange
        self.diagonal = diagonal
        self.series = series
    }
}

/// One labelled series of points.
public struct ChartSeries: Sendable, Equatable {
    public var label: String
    public var points: [ChartPoint]

    public init(label: String, points: [ChartPoint]) {
        self.label = label
        self.points = points
    }
}

/// A point of a chart.
public struct ChartPoint: Sendable, Equatable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}
