import Foundation

/// Loads a classification dataset from a comma-separated text file: numeric feature columns and one
/// label column.
///
/// Contract:
/// - Header: `.detect` (default) takes the first non-blank line as a header when one of its feature
///   cells is not a number, or when the label column is given by name; `.present` and `.absent` say so.
/// - Label column: the last by default, or `.first`, `.index(i)` (0-based) or `.name(_)` (needs a header).
/// - Every feature cell must be a finite number in Float32's range; empty cells, non-numbers, NaN,
///   infinities and rows with a different number of columns are rejected with the file, the 1-based
///   line (counting the header and blank lines) and the 1-based column.
/// - Classes: with `classNames` given, a label is a class name or an integer index into them. Without,
///   labels that are all integers in `0..<1024` are the class indices themselves (class names "0"...
///   the largest, so numbering is the same across files even when a class is absent); any other labels
///   are mapped to classes by sorting their distinct values (numerically when all are integers).
/// - Fields may be quoted (`"a,b"`), see ``CSVReader``. The separator must be one ASCII character.
/// RFC 4180 describes the format.
public enum CSVLoader {
    /// Whether the first non-blank line is a header of column names.
    public enum Header: Sendable, Equatable {
        /// A header when a feature cell of the first line is not a number, or the label is named.
        case detect
        /// The first line is a header.
        case present
        /// There is no header; the first line is a record.
        case absent
    }

    /// Which column holds the class label.
    public enum LabelColumn: Sendable, Equatable {
        case last
        case first
        /// A 0-based column index.
        case index(Int)
        /// The column with this header name.
        case name(String)
    }

    /// Labels that are all integers below this are used as class indices directly.
    public static let maxDirectClassCount = 1024

    /// The dataset in the CSV file at `url`; `name` defaults to the file name without extension.
    /// - Throws: ``DatasetError`` naming the file, line and column of the first problem.
    public static func load(_ url: URL, name: String? = nil, header: Header = .detect,
                            labelColumn: LabelColumn = .last, separator: Character = ",",
                            classNames: [String]? = nil) throws -> Dataset {
        let bytes = try InputFile.bytes(at: url)
        return try parse(bytes[...], file: url.path,
                         name: name ?? url.deletingPathExtension().lastPathComponent,
                         header: header, labelColumn: labelColumn, separator: separator,
                         classNames: classNames)
    }

    /// The dataset in CSV `text`; `file` names it in error messages.
    public static func parse(_ text: String, file: String = "<text>", name: String = "csv",
                             header: Header = .detect, labelColumn: LabelColumn = .last,
                             separator: Character = ",", classNames: [String]? = nil) throws -> Dataset {
        try parse(Array(text.utf8)[...], file: file, name: name, header: header,
                  labelColumn: labelColumn, separator: separator, classNames: classNames)
    }

    /// The dataset in `bytes`, whose first line is line `firstLine` of `file`.
    static func parse(_ bytes: ArraySlice<UInt8>, file: String, name: String, header: Header,
                      labelColumn: LabelColumn, separator: Character, classNames: [String]?,
                      firstLine: Int = 1) throws -> Dataset {
        guard let separatorByte = separator.asciiValue, separator != "\"", !separator.isNewline else {
            throw DatasetError.invalidOption(name: "separator", expected: "one ASCII character other than a quote or newline",
                                             found: String(separator))
        }
        var reader = CSVReader(bytes: bytes, file: file, separator: separatorByte, firstLine: firstLine)
        guard let first = try reader.next() else { throw DatasetError.noRecords(file: file) }
        let columns = first.cells.count
        guard columns >= 2 else {
            throw DatasetError.malformed(SourceLocation(file: file, line: first.line),
                                         expected: "at least 2 columns (features and a label)",
                                         found: "\(columns) column")
        }

        let hasHeader: Bool
        switch header {
        case .present: hasHeader = true
        case .absent: hasHeader = false
        case .detect:
            if case .name = labelColumn {
                hasHeader = true
            } else {
                let guess = try resolve(labelColumn, columns: columns, header: nil, file: file)
                hasHeader = first.cells.enumerated().contains { column, cell in
                    column != guess && !cell.isEmpty && Double(cell) == nil
                }
            }
        }
        let columnNames = hasHeader ? first.cells : nil
        let labelIndex = try resolve(labelColumn, columns: columns, header: columnNames, file: file)

        var features: [Float] = []
        var labelCells: [(text: String, line: Int)] = []
        func take(_ record: CSVReader.Record) throws {
            guard record.cells.count == columns else {
                throw DatasetError.raggedRow(SourceLocation(file: file, line: record.line),
                                             expected: columns, found: record.cells.count)
            }
            for (column, cell) in record.cells.enumerated() {
                let at = SourceLocation(file: file, line: record.line, column: column + 1,
                                        columnName: columnNames?[column])
                guard !cell.isEmpty else { throw DatasetError.emptyCell(at) }
                if column == labelIndex {
                    labelCells.append((cell, record.line))
                    continue
                }
                guard let value = Double(cell) else { throw DatasetError.notANumber(at, found: cell) }
                let single = Float(value)
                guard single.isFinite else { throw DatasetError.nonFiniteValue(at, found: cell) }
                features.append(single)
            }
        }
        if !hasHeader { try take(first) }
        while let record = try reader.next() { try take(record) }
        guard !labelCells.isEmpty else { throw DatasetError.noRecords(file: file) }

        let labelAt = { (line: Int) in
            SourceLocation(file: file, line: line, column: labelIndex + 1, columnName: columnNames?[labelIndex])
        }
        let (labels, names) = try classes(of: labelCells, classNames: classNames, at: labelAt)
        let tensor = Tensor(shape: [labels.count, columns - 1], scalars: features)
        // A header names the features (the label column left out); unnamed or repeated headers name none.
        let featureNames = columnNames.map { all in all.enumerated().filter { $0.offset != labelIndex }.map(\.element) }
            .flatMap { $0.allSatisfy { !$0.isEmpty } && Set($0).count == $0.count ? $0 : nil }
        return Dataset(name: name, features: tensor, labels: labels, classNames: names, featureNames: featureNames)
    }

    /// The 0-based index of the label column.
    static func resolve(_ labelColumn: LabelColumn, columns: Int, header: [String]?, file: String) throws -> Int {
        switch labelColumn {
        case .last: return columns - 1
        case .first: return 0
        case .index(let i):
            guard (0..<columns).contains(i) else {
                throw DatasetError.invalidOption(name: "label column",
                                                 expected: "a 0-based column index in 0..<\(columns)", found: String(i))
            }
            return i
        case .name(let wanted):
            guard let header else {
                throw DatasetError.invalidOption(name: "label column",
                                                 expected: "an index when the file has no header", found: wanted)
            }
            guard let i = header.firstIndex(of: wanted) else {
                throw DatasetError.labelColumnNotFound(file: file, requested: wanted, available: header)
            }
            return i
        }
    }

    /// Class indices and class names for the label cells (see the type's contract).
    static func classes(of cells: [(text: String, line: Int)], classNames: [String]?,
                        at location: (Int) -> SourceLocation) throws -> ([Int], [String]) {
        if let classNames {
            var byName: [String: Int] = [:]
            for (i, name) in classNames.enumerated() where byName[name] == nil { byName[name] = i }
            let labels = try cells.map { cell -> Int in
                if let k = byName[cell.text] { return k }
                if let k = Int(cell.text), (0..<classNames.count).contains(k) { return k }
                throw DatasetError.invalidLabel(location(cell.line), found: "'\(cell.text)'",
                                                expected: "a class index in 0..<\(classNames.count) or one of "
                                                    + classNames.joined(separator: ", "))
            }
            return (labels, classNames)
        }
        let integers = cells.compactMap { Int($0.text) }
        if integers.count == cells.count, let low = integers.min(), let high = integers.max(),
           low >= 0, high < maxDirectClassCount {
            return (integers, (0...high).map(String.init))
        }
        var distinct = Array(Set(cells.map(\.text)))
        if integers.count == cells.count {
            distinct.sort { (Int($0) ?? 0) < (Int($1) ?? 0) }  // all parsed as Int just above
        } else {
            distinct.sort()
        }
        let index = Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($1, $0) })
        return (cells.map { index[$0.text] ?? 0 }, distinct)
    }
}
