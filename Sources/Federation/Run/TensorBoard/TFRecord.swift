/// TFRecord framing, the container of TensorBoard's event files: each record is its length as a
/// little-endian UInt64, the masked CRC-32C of those 8 bytes, the data, and the masked CRC-32C of the
/// data (``CRC32C/masked(_:)``).
///
/// Contract: ``frame(_:)`` gives one record's bytes; ``records(in:)`` reads a whole file's bytes back
/// and throws ``TFRecordError`` naming the offset of the first record that is cut short or whose
/// checksum does not match, so a reader never returns data it did not verify.
public enum TFRecord {
    public static func frame(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 16)
        let length = withUnsafeBytes(of: UInt64(data.count).littleEndian, Array.init)
        out += length
        out += withUnsafeBytes(of: CRC32C.masked(CRC32C.checksum(length)).littleEndian, Array.init)
        out += data
        out += withUnsafeBytes(of: CRC32C.masked(CRC32C.checksum(data)).littleEndian, Array.init)
        return out
    }

    /// The largest record ``records(in:)`` accepts (a corrupt length must not allocate without bound).
    public static let maxRecordBytes = 64 << 20

    public static func records(in bytes: [UInt8]) throws(TFRecordError) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var offset = 0
        func word<T: FixedWidthInteger>(_ type: T.Type, at i: Int) -> T {
            var v: T = 0
            for k in 0..<MemoryLayout<T>.size { v |= T(bytes[i + k]) << (8 * k) }
            return v
        }
        while offset < bytes.count {
            guard bytes.count - offset >= 12 else { throw .truncated(offset: offset) }
            let length = word(UInt64.self, at: offset)
            guard word(UInt32.self, at: offset + 8) == CRC32C.masked(CRC32C.checksum(bytes[offset..<(offset + 8)])) else {
                throw .checksum(offset: offset, what: "length")
            }
            guard length <= UInt64(maxRecordBytes) else { throw .tooLarge(offset: offset, bytes: length) }
            let start = offset + 12, end = start + Int(length)
            guard bytes.count - start >= Int(length) + 4 else { throw .truncated(offset: offset) }
            let data = Array(bytes[start..<end])
            guard word(UInt32.self, at: end) == CRC32C.masked(CRC32C.checksum(data)) else {
                throw .checksum(offset: offset, what: "data")
            }
            out.append(data)
            offset = end + 4
        }
        return out
    }
}

/// Why TFRecord bytes could not be read.
public enum TFRecordError: Error, Equatable, CustomStringConvertible {
    case truncated(offset: Int)
    case checksum(offset: Int, what: String)
    case tooLarge(offset: Int, bytes: UInt64)

    public var description: String {
        switch self {
        case .truncated(let o): "TFRecord at byte \(o) is cut short"
        case let .checksum(o, what): "TFRecord at byte \(o): the \(what) checksum does not match"
        case let .tooLarge(o, n): "TFRecord at byte \(o) claims \(n) bytes, more than \(TFRecord.maxRecordBytes)"
        }
    }
}
