/// Where in an input file a problem was found: a line and column for text formats (CSV), a byte
/// offset for binary formats (NPY, IDX).
///
/// Contract: `line` and `column` are 1-based, as editors and spreadsheets show them, and `line`
/// counts every physical line of the file (a header and blank lines included). `byteOffset` is
/// 0-based from the start of the file, as `xxd` and `hexdump` show it. `description` reads like
/// `digits.csv line 14, column 3 ('pixel2')` or `x.npy byte 10`.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    /// The file as the caller named it (for the built-in data, the resource's file name).
    public let file: String
    /// The 1-based line, for text formats.
    public let line: Int?
    /// The 1-based column, when the problem is in one cell.
    public let column: Int?
    /// The column's name from the header, when there is one.
    public let columnName: String?
    /// The 0-based byte offset, for binary formats.
    public let byteOffset: Int?

    /// A position in a text file.
    public init(file: String, line: Int, column: Int? = nil, columnName: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.columnName = columnName
        self.byteOffset = nil
    }

    /// A position in a binary file.
    public init(file: String, byteOffset: Int) {
        self.file = file
        self.line = nil
        self.column = nil
        self.columnName = nil
        self.byteOffset = byteOffset
    }

    public var description: String {
        var text = file
        if let line { text += " line \(line)" }
        if let column {
            text += ", column \(column)"
            if let columnName, !columnName.isEmpty { text += " ('\(columnName)')" }
        }
        if let byteOffset { text += " byte \(byteOffset)" }
        return text
    }
}
