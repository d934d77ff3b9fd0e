import Foundation

/// Loads a classification dataset from two NumPy `.npy` files: features and labels.
///
/// Contract:
/// - Versions 1.0, 2.0 and 3.0; C order only (`fortran_order: True` is rejected with the fix).
/// - Features: dtype `<f4`, `<f8` or `|u1`, shape `[records, ...]` (two or more dimensions; the rest
///   is the feature shape); every element finite (the first NaN or infinity is reported by flat
///   index, record and byte offset); values are multiplied by `scale` (pass `1/255` for 8-bit images).
/// - Labels: dtype `<i8`, `<i4`, `<i2`, `|i1` or `|u1`, shape `[records]` or `[records, 1]`, each a class
///   index (see ``BinaryArray/classLabels(classNames:)``); class names default to "0"... the largest.
/// - Big-endian and object dtypes, bad magic, bad header dictionaries, truncated data and trailing
///   bytes are ``DatasetError``s with the byte offset; the two files must hold the same record count.
/// Format: NEP 1 (numpy.lib.format).
public enum NPYLoader {
    /// The feature dtypes this loader reads.
    static let featureTypes: [String: BinaryArray.ElementType] = ["<f4": .float32, "<f8": .float64, "|u1": .uint8]
    /// The label dtypes this loader reads.
    static let labelTypes: [String: BinaryArray.ElementType] =
        ["<i8": .int64, "<i4": .int32, "<i2": .int16, "|i1": .int8, "|u1": .uint8]

    /// The dataset whose features are in `features` and labels in `labels`; `name` defaults to the
    /// features file's name without extension.
    /// - Throws: ``DatasetError`` naming the file and byte offset of the first problem.
    public static func load(features: URL, labels: URL, name: String? = nil, classNames: [String]? = nil,
                            scale: Float = 1) throws -> Dataset {
        let x = try read(features, allowed: featureTypes, expected: "<f4, <f8 or |u1")
        let y = try read(labels, allowed: labelTypes, expected: "<i8, <i4, <i2, |i1 or |u1")
        guard x.shape.count >= 2 else {
            throw DatasetError.malformed(SourceLocation(file: x.file, byteOffset: x.shapeOffset),
                                         expected: "features of shape [records, features...] (2 or more dimensions)",
                                         found: "shape \(x.shape) (reshape it with x.reshape(-1, 1) if it is one feature)")
        }
        return try BinaryArray.dataset(features: x, labels: y, shape: x.shape,
                                       name: name ?? features.deletingPathExtension().lastPathComponent,
                                       classNames: classNames, scale: scale)
    }

    /// The array in the `.npy` file at `url`, whose dtype must be one of `allowed`.
    static func read(_ url: URL, allowed: [String: BinaryArray.ElementType], expected: String) throws -> BinaryArray {
        let bytes = try InputFile.bytes(at: url)
        return try array(in: bytes, file: url.path, allowed: allowed, expected: expected)
    }

    /// The array in the `.npy` bytes of `file`, whose dtype must be one of `allowed`.
    static func array(in bytes: [UInt8], file: String, allowed: [String: BinaryArray.ElementType],
                      expected: String) throws -> BinaryArray {
        try InputFile.rejectCompressed(bytes, file: file, format: "NPY")
        let header = try NPYHeader.parse(bytes, file: file)
        let at = SourceLocation(file: file, byteOffset: header.descrOffset)
        guard let type = allowed[header.descr] else {
            var hint = expected
            if header.descr.hasPrefix(">") {
                hint += "; the data is big-endian: save it with arr.astype(arr.dtype.newbyteorder('<'))"
            } else if header.descr.dropFirst().hasPrefix("O") {
                hint += "; object arrays hold pickled Python objects: save a numeric array"
            }
            throw DatasetError.unsupportedDType(at, found: header.descr, expected: hint)
        }
        if header.fortranOrder {
            throw DatasetError.unsupportedLayout(SourceLocation(file: file, byteOffset: header.fortranOffset),
                                                 found: "fortran_order: True",
                                                 fix: "save a C-ordered array, e.g. np.save(path, np.ascontiguousarray(arr))")
        }
        try BinaryArray.checkLength(file: file, byteCount: bytes.count, dataOffset: header.dataOffset,
                                    shape: header.shape, elementType: type, shapeOffset: header.shapeOffset)
        return BinaryArray(file: file, bytes: bytes, shape: header.shape, elementType: type, bigEndian: false,
                           dataOffset: header.dataOffset, shapeOffset: header.shapeOffset)
    }
}
