/// A tokenizer for comma-separated text, working on UTF-8 bytes with line and column numbers.
///
/// Contract: records are physical lines (LF or CRLF); blank lines are skipped but counted; a field may
/// be quoted with `"` (a doubled `""` inside stands for one quote) but may not span lines; blanks
/// around a field are trimmed; a UTF-8 byte-order mark at the start is skipped. A quote left open or
/// text after a closing quote is a ``DatasetError/malformed(_:expected:found:)`` at that line and
/// column. RFC 4180 is the reference, minus multi-line fields.
struct CSVReader {
    /// One non-blank line split into its fields.
    struct Record {
        /// The 1-based line number in the file.
        let line: Int
        /// The fields, trimmed and unquoted.
        let cells: [String]
    }

    private let bytes: ArraySlice<UInt8>
    private let file: String
    private let separator: UInt8
    /// Columns (0-based) whose cells are skipped: returned as "" without their bytes being copied or
    /// decoded (identifier columns, ``PatientTable``).
    var skipped: [Bool] = []
    private var position: Int
    private var line: Int

    /// A reader of `bytes`, whose first line is line `firstLine` of `file`.
    init(bytes: ArraySlice<UInt8>, file: String, separator: UInt8, firstLine: Int = 1) {
        self.bytes = bytes
        self.file = file
        self.separator = separator
        self.line = firstLine - 1
        var start = bytes.startIndex
        if bytes.count >= 3, bytes[start] == 0xEF, bytes[start + 1] == 0xBB, bytes[start + 2] == 0xBF {
            start += 3
        }
        self.position = start
    }

    /// The next non-blank line, or `nil` at the end of the text.
    mutating func next() throws -> Record? {
        while position < bytes.endIndex {
            line += 1
            var end = position
            while end < bytes.endIndex, bytes[end] != 0x0A { end += 1 }
            var contentEnd = end
            if contentEnd > position, bytes[contentEnd - 1] == 0x0D { contentEnd -= 1 }
            let start = position
            position = end < bytes.endIndex ? end + 1 : end
            if isBlank(start..<contentEnd) { continue }
            if !skipped.isEmpty {
                // With skipped columns, a row of another width is answered before any cell is decoded: a
                // comma inside an unquoted identifier would otherwise shift its tail into a decoded column.
                guard let count = fieldCount(start..<contentEnd) else {
                    throw DatasetError.malformed(SourceLocation(file: file, line: line),
                                                 expected: "fields quoted as RFC 4180 says", found: "an unbalanced quote")
                }
                if count != skipped.count { return Record(line: line, cells: [String](repeating: "", count: count)) }
            }
            return Record(line: line, cells: try fields(start..<contentEnd))
        }
        return nil
    }

    /// The number of fields on the line, reading quotes but copying nothing; nil for a quote left open.
    private func fieldCount(_ range: Range<Int>) -> Int? {
        var count = 1, quoted = false, i = range.lowerBound
        while i < range.upperBound {
            let b = bytes[i]
            if b == 0x22 {
                if quoted, i + 1 < range.upperBound, bytes[i + 1] == 0x22 { i += 2; continue }
                quoted.toggle()
            } else if b == separator, !quoted {
                count += 1
            }
            i += 1
        }
        return quoted ? nil : count
    }

    private func isBlank(_ range: Range<Int>) -> Bool {
        bytes[range].allSatisfy { $0 == 0x20 || $0 == 0x09 }
    }

    private func fields(_ range: Range<Int>) throws -> [String] {
        var cells: [String] = []
        var i = range.lowerBound
        while true {
            let column = cells.count + 1
            let skip = column <= skipped.count && skipped[column - 1]
            while i < range.upperBound, bytes[i] == 0x20 || bytes[i] == 0x09 { i += 1 }
            if i < range.upperBound, bytes[i] == 0x22 {
                var value: [UInt8] = []
                i += 1
                var closed = false
                while i < range.upperBound {
                    if bytes[i] == 0x22 {
                        if i + 1 < range.upperBound, bytes[i + 1] == 0x22 {
                            if !skip { value.append(0x22) }
                            i += 2
                            continue
                        }
                        closed = true
                        i += 1
                        break
                    }
                    if !skip { value.append(bytes[i]) }
                    i += 1
                }
                guard closed else {
                    throw DatasetError.malformed(SourceLocation(file: file, line: line, column: column),
                                                 expected: "a closing quote", found: "the end of the line")
                }
                while i < range.upperBound, bytes[i] == 0x20 || bytes[i] == 0x09 { i += 1 }
                if i < range.upperBound, bytes[i] != separator {
                    throw DatasetError.malformed(
                        SourceLocation(file: file, line: line, column: column),
                        expected: "a separator after the closing quote",
                        found: skip ? "more text (in a column that is not read)" : "'\(String(decoding: [bytes[i]], as: UTF8.self))'")
                }
                cells.append(skip ? "" : String(decoding: value, as: UTF8.self))
            } else {
                let start = i
                while i < range.upperBound, bytes[i] != separator { i += 1 }
                var end = i
                while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
                cells.append(skip ? "" : String(decoding: bytes[start..<end], as: UTF8.self))
            }
            if i < range.upperBound {
                i += 1  // the separator; a field follows, possibly empty
            } else {
                return cells
            }
        }
    }
}
