/// The header of a NumPy `.npy` file: magic, version, and the Python dictionary literal with
/// `descr`, `fortran_order` and `shape`.
///
/// Contract: reads versions 1.0 (2-byte header length), 2.0 and 3.0 (4-byte header length); the
/// dictionary must have exactly the three keys; `descr` must be a type string (a list means a
/// structured dtype, which is rejected). Every error carries the byte offset of the offending token.
/// Format: NEP 1, "A simple file format for NumPy arrays" (numpy.lib.format).
struct NPYHeader {
    /// The dtype string, e.g. `<f4`, and the byte offset of its opening quote.
    let descr: String
    let descrOffset: Int
    let fortranOrder: Bool
    let fortranOffset: Int
    let shape: [Int]
    let shapeOffset: Int
    /// Where the array data starts.
    let dataOffset: Int

    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY

    /// Parses the header at the start of `bytes`.
    static func parse(_ bytes: [UInt8], file: String) throws -> NPYHeader {
        func at(_ offset: Int) -> SourceLocation { SourceLocation(file: file, byteOffset: offset) }
        guard bytes.count >= 6, Array(bytes[0..<6]) == magic else {
            throw DatasetError.badMagic(at(0), expected: "\\x93NUMPY (" + InputFile.hex(magic) + ")",
                                        found: bytes.isEmpty ? "an empty file" : InputFile.hex(bytes.prefix(6)))
        }
        guard bytes.count >= 10 else {
            throw DatasetError.truncated(at(6), expectedBytes: 4, foundBytes: bytes.count - 6)
        }
        let major = bytes[6], minor = bytes[7]
        guard (1...3).contains(major), minor == 0 else {
            throw DatasetError.malformed(at(6), expected: "format version 1.0, 2.0 or 3.0", found: "version \(major).\(minor)")
        }
        let headerStart: Int, headerLength: Int
        if major == 1 {
            headerStart = 10
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        } else {
            guard bytes.count >= 12 else {
                throw DatasetError.truncated(at(8), expectedBytes: 4, foundBytes: bytes.count - 8)
            }
            headerStart = 12
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        }
        guard bytes.count >= headerStart + headerLength else {
            throw DatasetError.truncated(at(headerStart), expectedBytes: headerLength,
                                         foundBytes: bytes.count - headerStart)
        }
        var parser = DictionaryParser(bytes: bytes, position: headerStart, end: headerStart + headerLength, file: file)
        return try parser.parseHeader(dataOffset: headerStart + headerLength)
    }
}

/// A parser for the small subset of Python literals an `.npy` header uses.
private struct DictionaryParser {
    let bytes: [UInt8]
    var position: Int
    let end: Int
    let file: String

    private func at(_ offset: Int) -> SourceLocation { SourceLocation(file: file, byteOffset: offset) }

    private var current: String {
        position < end ? "'\(String(decoding: [bytes[position]], as: UTF8.self))'" : "the end of the header"
    }

    private mutating func skipSpace() {
        while position < end, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws {
        skipSpace()
        guard position < end, bytes[position] == byte else {
            throw DatasetError.malformed(at(position), expected: what, found: current)
        }
        position += 1
    }

    mutating func parseHeader(dataOffset: Int) throws -> NPYHeader {
        let start = position
        try expect(0x7B, "'{' opening the header dictionary")
        var descr: (String, Int)?, fortran: (Bool, Int)?, shape: ([Int], Int)?
        while true {
            skipSpace()
            if position < end, bytes[position] == 0x7D { position += 1; break }
            let keyOffset = position
            let key = try parseString()
            try expect(0x3A, "':' after the key '\(key)'")
            skipSpace()
            let valueOffset = position
            switch key {
            case "descr":
                if position < end, bytes[position] == 0x5B {
                    throw DatasetError.unsupportedDType(at(valueOffset), found: "a structured (record) dtype",
                                                        expected: "a plain numeric dtype")
                }
                descr = (try parseString(), valueOffset)
            case "fortran_order": fortran = (try parseBool(), valueOffset)
            case "shape": shape = (try parseTuple(), valueOffset)
            default:
                throw DatasetError.malformed(at(keyOffset), expected: "the key 'descr', 'fortran_order' or 'shape'",
                                             found: "'\(key)'")
            }
            skipSpace()
            if position < end, bytes[position] == 0x2C { position += 1; continue }
            if position < end, bytes[position] == 0x7D { position += 1; break }
            throw DatasetError.malformed(at(position), expected: "',' or '}' in the header dictionary", found: current)
        }
        skipSpace()
        if position < end {
            throw DatasetError.malformed(at(position), expected: "only padding after the header dictionary", found: current)
        }
        guard let descr, let fortran, let shape else {
            throw DatasetError.malformed(at(start), expected: "the keys 'descr', 'fortran_order' and 'shape'",
                                         found: "a dictionary missing "
                                             + [descr == nil ? "'descr'" : nil, fortran == nil ? "'fortran_order'" : nil,
                                                shape == nil ? "'shape'" : nil].compactMap { $0 }.joined(separator: " and "))
        }
        return NPYHeader(descr: descr.0, descrOffset: descr.1, fortranOrder: fortran.0, fortranOffset: fortran.1,
                         shape: shape.0, shapeOffset: shape.1, dataOffset: dataOffset)
    }

    private mutating func parseString() throws -> String {
        skipSpace()
        guard position < end, bytes[position] == 0x27 || bytes[position] == 0x22 else {
            throw DatasetError.malformed(at(position), expected: "a quoted string", found: current)
        }
        let quote = bytes[position]
        let start = position
        position += 1
        let contentStart = position
        while position < end, bytes[position] != quote { position += 1 }
        guard position < end else {
            throw DatasetError.malformed(at(start), expected: "a closing quote", found: "the end of the header")
        }
        let text = String(decoding: bytes[contentStart..<position], as: UTF8.self)
        position += 1
        return text
    }

    private mutating func parseBool() throws -> Bool {
        for (word, value) in [("True", true), ("False", false)] {
            let utf8 = Array(word.utf8)
            if position + utf8.count <= end, Array(bytes[position..<position + utf8.count]) == utf8 {
                position += utf8.count
                return value
            }
        }
        throw DatasetError.malformed(at(position), expected: "True or False", found: current)
    }

    private mutating func parseTuple() throws -> [Int] {
        try expect(0x28, "'(' opening the shape tuple")
        var dims: [Int] = []
        while true {
            skipSpace()
            if position < end, bytes[position] == 0x29 { position += 1; return dims }
            let start = position
            while position < end, (0x30...0x39).contains(bytes[position]) { position += 1 }
            guard position > start, let value = Int(String(decoding: bytes[start..<position], as: UTF8.self)) else {
                throw DatasetError.malformed(at(start), expected: "a non-negative dimension", found: current)
            }
            if position < end, bytes[position] == 0x4C { position += 1 }  // Python 2 long suffix
            dims.append(value)
            skipSpace()
            if position < end, bytes[position] == 0x2C { position += 1; continue }
            if position < end, bytes[position] == 0x29 { position += 1; return dims }
            throw DatasetError.malformed(at(position), expected: "',' or ')' in the shape tuple", found: current)
        }
    }
}
