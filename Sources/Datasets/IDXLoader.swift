import Foundation

/// Loads a classification dataset from two IDX files, the format of MNIST and Fashion-MNIST: images
/// and labels.
///
/// Contract:
/// - Magic: two zero bytes, a type byte (0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64),
///   and the number of dimensions; then one big-endian UInt32 per dimension; then the big-endian data.
/// - Images: shape `[records, ...]` (the rest is the feature shape, `[28, 28]` for MNIST, as in the
///   file); values become Float32 times `scale` (pass `1/255` for MNIST's bytes); NaN or infinity in
///   float files is rejected.
/// - Labels: an integer type, shape `[records]`, each a class index; the counts must match.
/// - The file must hold exactly the data its dimensions announce: truncation and trailing bytes are
///   errors with the byte offset, never silently cut. Gzipped files are recognised and refused with
///   the fix.
/// Format: Y. LeCun, C. Cortes, C. Burges, "The MNIST database of handwritten digits" (1998).
public enum IDXLoader {
    /// The dataset whose images are in `images` and labels in `labels`; `name` defaults to the images
    /// file's name without extension.
    /// - Throws: ``DatasetError`` naming the file and byte offset of the first problem.
    public static func load(images: URL, labels: URL, name: String? = nil, classNames: [String]? = nil,
                            scale: Float = 1) throws -> Dataset {
        let x = try array(in: InputFile.bytes(at: images), file: images.path)
        let y = try array(in: InputFile.bytes(at: labels), file: labels.path)
        guard y.elementType.isInteger else {
            throw DatasetError.unsupportedDType(SourceLocation(file: y.file, byteOffset: 2),
                                                found: "\(y.elementType)",
                                                expected: "an integer type for labels (0x08, 0x09, 0x0B or 0x0C)")
        }
        return try BinaryArray.dataset(features: x, labels: y, shape: x.shape.count == 1 ? [x.shape[0], 1] : x.shape,
                                       name: name ?? images.deletingPathExtension().lastPathComponent,
                                       classNames: classNames, scale: scale)
    }

    /// The type codes of the IDX format.
    static let types: [UInt8: BinaryArray.ElementType] =
        [0x08: .uint8, 0x09: .int8, 0x0B: .int16, 0x0C: .int32, 0x0D: .float32, 0x0E: .float64]

    /// The array in the IDX bytes of `file`.
    static func array(in bytes: [UInt8], file: String) throws -> BinaryArray {
        func at(_ offset: Int) -> SourceLocation { SourceLocation(file: file, byteOffset: offset) }
        try InputFile.rejectCompressed(bytes, file: file, format: "IDX")
        guard bytes.count >= 4 else {
            throw DatasetError.truncated(at(0), expectedBytes: 4, foundBytes: bytes.count)
        }
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw DatasetError.badMagic(at(0), expected: "0x00 0x00 then a type byte and a dimension count",
                                        found: InputFile.hex(bytes.prefix(4)))
        }
        guard let type = types[bytes[2]] else {
            throw DatasetError.unsupportedDType(at(2), found: InputFile.hex([bytes[2]]),
                                                expected: "0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E")
        }
        let rank = Int(bytes[3])
        guard rank >= 1 else {
            throw DatasetError.malformed(at(3), expected: "at least 1 dimension", found: "0")
        }
        let dataOffset = 4 + 4 * rank
        guard bytes.count >= dataOffset else {
            throw DatasetError.truncated(at(4), expectedBytes: 4 * rank, foundBytes: bytes.count - 4)
        }
        let shape = (0..<rank).map { d in
            let o = 4 + 4 * d
            return Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3])
        }
        try BinaryArray.checkLength(file: file, byteCount: bytes.count, dataOffset: dataOffset, shape: shape,
                                    elementType: type, shapeOffset: 4)
        return BinaryArray(file: file, bytes: bytes, shape: shape, elementType: type, bigEndian: true,
                           dataOffset: dataOffset, shapeOffset: 4)
    }
}
