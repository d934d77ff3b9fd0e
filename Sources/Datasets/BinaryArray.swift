/// A numeric array read from a binary file (NPY or IDX): its shape, element type and byte order, and
/// where its elements start; decoding turns it into Float32 features or integer class labels.
///
/// Contract: `bytes[dataOffset...]` holds exactly `elementCount × elementType.byteWidth` bytes (the
/// readers check this, so truncation is never silent). Decoding checks values and throws
/// ``DatasetError`` with the byte offset and flat index of the first bad element.
struct BinaryArray {
    /// The element types the readers know.
    enum ElementType: Sendable {
        case uint8, int8, int16, int32, int64, float32, float64

        var byteWidth: Int {
            switch self {
            case .uint8, .int8: 1
            case .int16: 2
            case .int32, .float32: 4
            case .int64, .float64: 8
            }
        }

        var isInteger: Bool { self != .float32 && self != .float64 }
    }

    let file: String
    let bytes: [UInt8]
    let shape: [Int]
    let elementType: ElementType
    let bigEndian: Bool
    let dataOffset: Int
    /// Where the shape was declared, for shape errors.
    let shapeOffset: Int

    var elementCount: Int { shape.reduce(1, *) }

    /// The byte offset of element `index`.
    func offset(of index: Int) -> Int { dataOffset + index * elementType.byteWidth }

    /// The elements as Float32 times `scale`.
    /// - Throws: ``DatasetError/nonFiniteElement(_:index:record:found:)`` for NaN, infinity, or a
    ///   float64 beyond Float32's range.
    func floats(scale: Float = 1) throws -> [Float] {
        let n = elementCount
        let perRecord = max(shape.dropFirst().reduce(1, *), 1)
        var out = [Float](repeating: 0, count: n)
        try bytes.withUnsafeBytes { raw in
            func fail(_ i: Int, _ found: String) -> DatasetError {
                .nonFiniteElement(SourceLocation(file: file, byteOffset: offset(of: i)),
                                  index: i, record: i / perRecord, found: found)
            }
            switch elementType {
            case .float32:
                for i in 0..<n {
                    let bits = raw.loadUnaligned(fromByteOffset: offset(of: i), as: UInt32.self)
                    let value = Float(bitPattern: bigEndian ? UInt32(bigEndian: bits) : UInt32(littleEndian: bits))
                    guard value.isFinite else { throw fail(i, "\(value)") }
                    out[i] = value * scale
                }
            case .float64:
                for i in 0..<n {
                    let bits = raw.loadUnaligned(fromByteOffset: offset(of: i), as: UInt64.self)
                    let value = Double(bitPattern: bigEndian ? UInt64(bigEndian: bits) : UInt64(littleEndian: bits))
                    let single = Float(value)
                    guard single.isFinite else {
                        throw fail(i, value.isFinite ? "\(value), beyond the range of Float32" : "\(value)")
                    }
                    out[i] = single * scale
                }
            default:
                for i in 0..<n { out[i] = Float(integer(at: i, raw)) * scale }
            }
        }
        return out
    }

    /// The elements as integers.
    /// - Precondition: the element type is an integer type.
    func integers() -> [Int] {
        precondition(elementType.isInteger, "BinaryArray.integers on \(elementType)")
        return bytes.withUnsafeBytes { raw in (0..<elementCount).map { integer(at: $0, raw) } }
    }

    private func integer(at i: Int, _ raw: UnsafeRawBufferPointer) -> Int {
        let at = offset(of: i)
        switch elementType {
        case .uint8: return Int(raw[at])
        case .int8: return Int(Int8(bitPattern: raw[at]))
        case .int16:
            let bits = raw.loadUnaligned(fromByteOffset: at, as: UInt16.self)
            return Int(Int16(bitPattern: bigEndian ? UInt16(bigEndian: bits) : UInt16(littleEndian: bits)))
        case .int32:
            let bits = raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)
            return Int(Int32(bitPattern: bigEndian ? UInt32(bigEndian: bits) : UInt32(littleEndian: bits)))
        case .int64:
            let bits = raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)
            return Int(truncatingIfNeeded: Int64(bitPattern: bigEndian ? UInt64(bigEndian: bits) : UInt64(littleEndian: bits)))
        case .float32, .float64:
            return 0
        }
    }

    /// The elements as class indices with their class names: `classNames` when given (every label
    /// must index it), otherwise "0"... the largest label.
    /// - Throws: ``DatasetError/invalidLabel(_:found:expected:)`` for a negative label, one beyond the
    ///   given class names, or one of `CSVLoader.maxDirectClassCount` or more without class names.
    func classLabels(classNames: [String]?) throws -> (labels: [Int], classNames: [String]) {
        let labels = integers()
        let limit = classNames?.count ?? CSVLoader.maxDirectClassCount
        if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= limit }) {
            let expected = classNames.map { "a class index in 0..<\($0.count) (\($0.count) class names given)" }
                ?? "a class index in 0..<\(limit)"
            throw DatasetError.invalidLabel(SourceLocation(file: file, byteOffset: offset(of: bad)),
                                            found: "\(labels[bad]) at index \(bad)", expected: expected)
        }
        let names = classNames ?? (0...(labels.max() ?? 0)).map(String.init)
        return (labels, names)
    }

    /// The number of records of a labels array: rank 1, or rank 2 with one column.
    /// - Throws: ``DatasetError/malformed(_:expected:found:)`` for any other shape.
    func labelCount() throws -> Int {
        if shape.count == 1 { return shape[0] }
        if shape.count == 2, shape[1] == 1 { return shape[0] }
        throw DatasetError.malformed(SourceLocation(file: file, byteOffset: shapeOffset),
                                     expected: "labels of shape [records] or [records, 1]",
                                     found: "shape \(shape)")
    }

    /// Checks that the file holds exactly the announced data, no less and no more.
    static func checkLength(file: String, byteCount: Int, dataOffset: Int, shape: [Int],
                            elementType: ElementType, shapeOffset: Int) throws {
        var needed = elementType.byteWidth
        for d in shape {
            let (product, overflow) = needed.multipliedReportingOverflow(by: d)
            guard !overflow else {
                throw DatasetError.malformed(SourceLocation(file: file, byteOffset: shapeOffset),
                                             expected: "a shape whose size fits in memory", found: "shape \(shape)")
            }
            needed = product
        }
        let available = max(byteCount - dataOffset, 0)
        if available < needed {
            throw DatasetError.truncated(SourceLocation(file: file, byteOffset: dataOffset),
                                         expectedBytes: needed, foundBytes: available)
        }
        if available > needed {
            throw DatasetError.trailingBytes(SourceLocation(file: file, byteOffset: dataOffset + needed),
                                             count: available - needed)
        }
    }
}

extension BinaryArray {
    /// A dataset from a features array and a labels array (NPY or IDX): the record counts must agree,
    /// features become Float32 (times `scale`), labels become class indices.
    static func dataset(features x: BinaryArray, labels y: BinaryArray, shape: [Int], name: String,
                        classNames: [String]?, scale: Float) throws -> Dataset {
        let labelCount = try y.labelCount()
        guard x.shape[0] == labelCount else {
            throw DatasetError.countMismatch(featuresFile: x.file, featureCount: x.shape[0],
                                             labelsFile: y.file, labelCount: labelCount)
        }
        let scalars = try x.floats(scale: scale)
        let (classes, names) = try y.classLabels(classNames: classNames)
        return Dataset(name: name, features: Tensor(shape: shape, scalars: scalars), labels: classes, classNames: names)
    }
}
