import Foundation
import TensorCore

/// A patient table read under a ``DataSchema``: quasi-identifiers as text (for the k-anonymity check),
/// numeric features and the label. Identifier and sensitive columns are never decoded: their cells are
/// skipped by the reader without being copied, and the file's bytes are held only in one buffer that is
/// zeroed before it is freed, so nothing of an identifier is left in memory once ``load(_:schema:)``
/// returns (a test plants a unique token in them and searches the process's memory for it).
///
/// Contract: every column of the file has a role in the schema and every quasi-identifier, feature and
/// label column of the schema is in the file (header required), otherwise an error names the column; feature cells are finite numbers (errors
/// name the file, line and column, as ``CSVLoader``'s); labels map to classes as ``CSVLoader``'s do.
public struct PatientTable: Sendable {
    public let schema: DataSchema
    public let file: String
    /// The quasi-identifier columns, in the schema's order, and their values per record.
    public let quasiNames: [String]
    public let quasi: [[String]]
    public let featureNames: [String]
    /// Records × features, row-major.
    public let features: [Float]
    public let labels: [Int]
    public let classNames: [String]

    public var count: Int { labels.count }

    public static func load(_ path: String, schema: DataSchema) throws -> PatientTable {
        try InputFile.withBytesZeroedAfter(at: path) { bytes in try parse(bytes, file: path, schema: schema) }
    }

    static func parse(_ bytes: ArraySlice<UInt8>, file: String, schema: DataSchema) throws -> PatientTable {
        var reader = CSVReader(bytes: bytes, file: file, separator: UInt8(ascii: ","))
        guard let header = try reader.next() else { throw DatasetError.noRecords(file: file) }
        let names = header.cells
        for (i, name) in names.enumerated() where schema.role(of: name) == nil {
            throw DatasetError.malformed(SourceLocation(file: file, line: header.line, column: i + 1, columnName: name),
                                         expected: "a column the schema names (every column needs a role)", found: "'\(name)'")
        }
        // Identifier and sensitive columns may be absent (a generalised table leaves them out); the rest must be there.
        for column in schema.columns where !names.contains(column.name) && column.role != .identifier && column.role != .sensitive {
            throw DatasetError.labelColumnNotFound(file: file, requested: column.name, available: names)
        }
        let roles = names.map { schema.role(of: $0)! }
        reader.skipped = roles.map { $0 == .identifier || $0 == .sensitive }
        let quasiNames = schema.quasiIdentifiers.map(\.name)
        let quasiIndex = quasiNames.map { names.firstIndex(of: $0)! }
        let featureIndex = names.indices.filter { roles[$0] == .feature }
        let labelIndex = roles.firstIndex(of: .label)!
        var quasi = [[String]](repeating: [], count: quasiNames.count)
        var features: [Float] = []
        var labelCells: [(text: String, line: Int)] = []
        while let record = try reader.next() {
            guard record.cells.count == names.count else {
                throw DatasetError.raggedRow(SourceLocation(file: file, line: record.line), expected: names.count, found: record.cells.count)
            }
            for (k, i) in quasiIndex.enumerated() { quasi[k].append(record.cells[i]) }
            for i in featureIndex {
                let at = SourceLocation(file: file, line: record.line, column: i + 1, columnName: names[i])
                let cell = record.cells[i]
                guard !cell.isEmpty else { throw DatasetError.emptyCell(at) }
                guard let value = Double(cell) else { throw DatasetError.notANumber(at, found: cell) }
                guard Float(value).isFinite else { throw DatasetError.nonFiniteValue(at, found: cell) }
                features.append(Float(value))
            }
            guard !record.cells[labelIndex].isEmpty else {
                throw DatasetError.emptyCell(SourceLocation(file: file, line: record.line, column: labelIndex + 1, columnName: names[labelIndex]))
            }
            labelCells.append((record.cells[labelIndex], record.line))
        }
        guard !labelCells.isEmpty else { throw DatasetError.noRecords(file: file) }
        let (labels, classNames) = try CSVLoader.classes(of: labelCells, classNames: nil) {
            SourceLocation(file: file, line: $0, column: labelIndex + 1, columnName: names[labelIndex])
        }
        return PatientTable(schema: schema, file: file, quasiNames: quasiNames, quasi: quasi,
                            featureNames: featureIndex.map { names[$0] }, features: features, labels: labels, classNames: classNames)
    }

    /// The model's records: the feature columns, and with `includingQuasi` the quasi-identifiers too
    /// (finite numbers as they are, other text as the index of its value among this table's sorted values
    /// of the column: a vocabulary of this table, so hospitals of one federation should agree on one) —
    /// `quasi`'s columns instead of the table's when given (generalised ones, ``Datafly``).
    public func dataset(name: String, includingQuasi: Bool = false, quasi replacement: [[String]]? = nil) -> Dataset {
        let quasi = replacement ?? self.quasi
        let n = count, f = featureNames.count
        guard includingQuasi, !quasiNames.isEmpty else {
            return Dataset(name: name, features: Tensor(shape: [n, f], scalars: features), labels: labels,
                           classNames: classNames, featureNames: featureNames)
        }
        let encoded: [[Float]] = quasi.map { column in
            if column.allSatisfy({ Double($0).map { Float($0).isFinite } ?? false }) { return column.map { Float(Double($0)!) } }
            let order = Dictionary(uniqueKeysWithValues: Array(Set(column)).sorted().enumerated().map { ($1, Float($0)) })
            return column.map { order[$0]! }
        }
        var scalars: [Float] = []
        scalars.reserveCapacity(n * (f + encoded.count))
        for r in 0..<n {
            scalars += features[(r * f)..<((r + 1) * f)]
            for column in encoded { scalars.append(column[r]) }
        }
        return Dataset(name: name, features: Tensor(shape: [n, f + encoded.count], scalars: scalars), labels: labels,
                       classNames: classNames, featureNames: featureNames + quasiNames)
    }
}
