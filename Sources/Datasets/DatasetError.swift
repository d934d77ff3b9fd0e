/// Everything that can go wrong while reading, checking, splitting or partitioning data.
///
/// Contract: every case that concerns a file carries where (a ``SourceLocation``: file and line and
/// column for CSV, file and byte offset for NPY and IDX) and what was expected versus what was found,
/// so `description` is a message a user can act on, for example
/// `digits.csv line 14: expected 65 columns, found 64` or
/// `x.npy byte 10: unsupported dtype '<i8' (expected <f4, <f8 or |u1)`.
/// Data problems are always thrown as these errors, never trapped.
public enum DatasetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be opened or read.
    case unreadable(file: String, reason: String)
    /// The file holds no records (it is empty, or has only a header).
    case noRecords(file: String)
    /// A CSV row has a different number of columns from the header or the first row.
    case raggedRow(SourceLocation, expected: Int, found: Int)
    /// A CSV cell is empty (or only blanks).
    case emptyCell(SourceLocation)
    /// A CSV feature cell is not a number.
    case notANumber(SourceLocation, found: String)
    /// A CSV cell is NaN, infinite, or beyond the range of Float32.
    case nonFiniteValue(SourceLocation, found: String)
    /// The structure of the file is not what the format requires (a quote left open, a bad NPY
    /// header dictionary, a bad built-in header line, a shape with too few dimensions).
    case malformed(SourceLocation, expected: String, found: String)
    /// The CSV label column named by the caller is not in the header.
    case labelColumnNotFound(file: String, requested: String, available: [String])
    /// The file does not start with the format's magic bytes.
    case badMagic(SourceLocation, expected: String, found: String)
    /// The element type is not one this loader reads.
    case unsupportedDType(SourceLocation, found: String, expected: String)
    /// The array's memory layout is not one this loader reads (NPY `fortran_order: True`).
    case unsupportedLayout(SourceLocation, found: String, fix: String)
    /// The file ends before the data its header announces.
    case truncated(SourceLocation, expectedBytes: Int, foundBytes: Int)
    /// The file continues after the data its header announces.
    case trailingBytes(SourceLocation, count: Int)
    /// A feature element of a binary file is NaN or infinite (`index` is the flat element index).
    case nonFiniteElement(SourceLocation, index: Int, record: Int, found: String)
    /// A label is not a valid class index (negative, too large, or beyond the given class names).
    case invalidLabel(SourceLocation, found: String, expected: String)
    /// The features file and the labels file hold different numbers of records.
    case countMismatch(featuresFile: String, featureCount: Int, labelsFile: String, labelCount: Int)
    /// An option has a value outside its domain (a test fraction of 1.5, a scheme of "dirichlet:-1").
    case invalidOption(name: String, expected: String, found: String)
    /// The data has too few records to give every hospital its minimum.
    case tooFewRecords(records: Int, hospitals: Int, minimumPerHospital: Int)
    /// `BuiltinDataset.named(_:)` was given a name it does not know.
    case unknownDataset(name: String, available: [String])
    /// A resource of the package is missing from its bundle (a broken installation).
    case missingResource(name: String)

    /// The place in a file the error is about, when it is about one place.
    public var location: SourceLocation? {
        switch self {
        case .raggedRow(let at, _, _), .emptyCell(let at), .notANumber(let at, _),
             .nonFiniteValue(let at, _), .malformed(let at, _, _), .badMagic(let at, _, _),
             .unsupportedDType(let at, _, _), .unsupportedLayout(let at, _, _),
             .truncated(let at, _, _), .trailingBytes(let at, _), .nonFiniteElement(let at, _, _, _),
             .invalidLabel(let at, _, _):
            return at
        default:
            return nil
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let file, let reason):
            return "\(file): cannot read the file (\(reason))"
        case .noRecords(let file):
            return "\(file): no records found (the file is empty or has only a header)"
        case .raggedRow(let at, let expected, let found):
            return "\(at): expected \(expected) columns, found \(found)"
        case .emptyCell(let at):
            return "\(at): empty cell; every cell needs a value"
        case .notANumber(let at, let found):
            return "\(at): expected a number, found '\(found)'"
        case .nonFiniteValue(let at, let found):
            return "\(at): expected a finite Float32 number, found '\(found)'"
        case .malformed(let at, let expected, let found):
            return "\(at): expected \(expected), found \(found)"
        case .labelColumnNotFound(let file, let requested, let available):
            return "\(file): no label column named '\(requested)' (columns: \(available.joined(separator: ", ")))"
        case .badMagic(let at, let expected, let found):
            return "\(at): bad magic number: expected \(expected), found \(found)"
        case .unsupportedDType(let at, let found, let expected):
            return "\(at): unsupported dtype '\(found)' (expected \(expected))"
        case .unsupportedLayout(let at, let found, let fix):
            return "\(at): unsupported layout \(found); \(fix)"
        case .truncated(let at, let expectedBytes, let foundBytes):
            return "\(at): file is truncated: expected \(expectedBytes) bytes of data, found \(foundBytes)"
        case .trailingBytes(let at, let count):
            return "\(at): expected end of file, found \(count) more bytes"
        case .nonFiniteElement(let at, let index, let record, let found):
            return "\(at): element \(index) (record \(record)) is \(found); expected finite values"
        case .invalidLabel(let at, let found, let expected):
            return "\(at): invalid label \(found) (expected \(expected))"
        case .countMismatch(let featuresFile, let featureCount, let labelsFile, let labelCount):
            return "\(featuresFile) has \(featureCount) records but \(labelsFile) has \(labelCount) labels; they must match"
        case .invalidOption(let name, let expected, let found):
            return "\(name): expected \(expected), found '\(found)'"
        case .tooFewRecords(let records, let hospitals, let minimum):
            return "cannot give \(hospitals) hospitals at least \(minimum) records each from \(records) records; "
                + "use at most \(records / max(minimum, 1)) hospitals or more data"
        case .unknownDataset(let name, let available):
            return "unknown dataset '\(name)' (available: \(available.joined(separator: ", ")))"
        case .missingResource(let name):
            return "the resource \(name) is missing from the Datasets bundle; reinstall fedtop"
        }
    }
}
