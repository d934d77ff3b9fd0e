/// The contents of a safetensors file: named tensors in order, plus string metadata.
///
/// Format (huggingface/safetensors): an 8-byte little-endian `UInt64` header length N; N bytes of a
/// UTF-8 JSON object mapping each tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}`
/// (offsets into the data buffer) plus an optional `"__metadata__"` object of strings; then the data
/// buffer, packed: every byte belongs to exactly one tensor. Contract:
/// - ``encoded()`` writes F32 tensors in the order of ``tensors``, metadata keys sorted, the header
///   space-padded to a multiple of 8 bytes: the same value always gives the same bytes.
/// - ``init(decoding:source:)`` reads F32, and converts F64, F16 and BF16 to `Float` (rounding F64 to
///   nearest, overflow to ±Inf; half formats exactly), keeping the header's tensor order. It validates
///   everything before allocating a tensor and throws ``SafeTensorsError`` on malformed input rather
///   than trapping; NaN and ±Inf scalars are data, not errors.
/// - ``write(to:)`` replaces the file atomically and durably; ``init(contentsOf:)`` reads one.
public struct SafeTensors: Sendable {
    /// The tensors, in file order; names are unique when encoded or decoded.
    public var tensors: [(name: String, tensor: Tensor)]
    /// Free-form string metadata (the header's `__metadata__`).
    public var metadata: [String: String]

    /// The largest header accepted, in bytes (the reference implementation's limit).
    public static let maxHeaderLength = 100_000_000

    /// A file's worth of named tensors and metadata.
    public init(tensors: [(name: String, tensor: Tensor)] = [], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The first tensor with this name, or `nil`.
    public subscript(name: String) -> Tensor? {
        tensors.first { $0.name == name }?.tensor
    }

    /// The tensor with this name, checked to have `shape`: how a model loads each of its weights.
    /// - Throws: ``SafeTensorsError/missingTensor(_:)`` or ``SafeTensorsError/shapeMismatch(_:expected:found:)``.
    public func tensor(named name: String, shape: [Int]) throws -> Tensor {
        guard let tensor = self[name] else { throw SafeTensorsError.missingTensor(name) }
        guard tensor.shape == shape else {
            throw SafeTensorsError.shapeMismatch(name, expected: shape, found: tensor.shape)
        }
        return tensor
    }
}

/// The element types read from a file; only F32 is written.
enum SafeTensorsDType: String {
    case f32 = "F32", f64 = "F64", f16 = "F16", bf16 = "BF16"

    var byteSize: Int {
        switch self {
        case .f64: return 8
        case .f32: return 4
        case .f16, .bf16: return 2
        }
    }
}

// MARK: - Encoding

extension SafeTensors {
    /// The file's bytes: F32 tensors in order, metadata keys sorted, header padded to 8 bytes.
    /// - Throws: ``SafeTensorsError/duplicateTensor(source:name:)`` or
    ///   ``SafeTensorsError/reservedTensorName(source:name:)`` (source `"<memory>"`).
    public func encoded() throws -> [UInt8] {
        try encoded(source: "<memory>")
    }

    func encoded(source: String) throws -> [UInt8] {
        var header = "{"
        if !metadata.isEmpty {
            let members = metadata.sorted { $0.key < $1.key }.map { jsonQuoted($0.key) + ":" + jsonQuoted($0.value) }
            header += "\"__metadata__\":{" + members.joined(separator: ",") + "}"
        }
        var needsComma = !metadata.isEmpty
        var names = Set<String>()
        var offset = 0
        for (name, tensor) in tensors {
            guard name != "__metadata__" else { throw SafeTensorsError.reservedTensorName(source: source, name: name) }
            guard names.insert(name).inserted else { throw SafeTensorsError.duplicateTensor(source: source, name: name) }
            let end = offset + tensor.count * MemoryLayout<Float>.size
            if needsComma { header += "," }
            needsComma = true
            header += jsonQuoted(name) + ":{\"dtype\":\"F32\",\"shape\":["
                + tensor.shape.map(String.init).joined(separator: ",")
                + "],\"data_offsets\":[\(offset),\(end)]}"
            offset = end
        }
        header += "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(UInt8(ascii: " ")) }
        guard headerBytes.count <= Self.maxHeaderLength else {
            throw SafeTensorsError.headerLengthTooLarge(
                source: source, headerLength: UInt64(headerBytes.count), limit: Self.maxHeaderLength)
        }

        let total = 8 + headerBytes.count + offset
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            raw.storeBytes(of: UInt64(headerBytes.count).littleEndian, toByteOffset: 0, as: UInt64.self)
            headerBytes.withUnsafeBytes { raw.baseAddress!.advanced(by: 8).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            var position = 8 + headerBytes.count
            for (_, tensor) in tensors {
                tensor.withUnsafeBufferPointer { scalars in
                    for scalar in scalars {
                        raw.storeBytes(of: scalar.bitPattern.littleEndian, toByteOffset: position, as: UInt32.self)
                        position += 4
                    }
                }
            }
            initialized = total
        }
    }
}

// MARK: - Scalar conversion

extension SafeTensors {
    /// The `Float` with the value of an IEEE 754 binary16 bit pattern (exact: every half is a float).
    static func float(fromHalf bits: UInt16) -> Float {
        let sign: Float = bits & 0x8000 != 0 ? -1 : 1
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x3FF)
        switch exponent {
        case 0:  // zero or subnormal: mantissa × 2^-24
            return sign * Float(mantissa) * 0x1p-24
        case 0x1F:  // infinity or NaN, payload kept
            return Float(bitPattern: UInt32(bits & 0x8000) << 16 | 0x7F80_0000 | mantissa << 13)
        default:
            return Float(bitPattern: UInt32(bits & 0x8000) << 16 | (exponent + 112) << 23 | mantissa << 13)
        }
    }

    /// Converts `count` scalars of `dtype` at `offset` in `raw` (little-endian) into `out`.
    static func convert(_ raw: UnsafeRawBufferPointer, offset: Int, dtype: SafeTensorsDType,
                        into out: UnsafeMutableBufferPointer<Float>) {
        switch dtype {
        case .f32:
            for i in out.indices {
                let bits = raw.loadUnaligned(fromByteOffset: offset + 4 * i, as: UInt32.self)
                out[i] = Float(bitPattern: UInt32(littleEndian: bits))
            }
        case .f64:
            for i in out.indices {
                let bits = raw.loadUnaligned(fromByteOffset: offset + 8 * i, as: UInt64.self)
                out[i] = Float(Double(bitPattern: UInt64(littleEndian: bits)))
            }
        case .f16:
            for i in out.indices {
                let bits = raw.loadUnaligned(fromByteOffset: offset + 2 * i, as: UInt16.self)
                out[i] = float(fromHalf: UInt16(littleEndian: bits))
            }
        case .bf16:
            for i in out.indices {
                let bits = raw.loadUnaligned(fromByteOffset: offset + 2 * i, as: UInt16.self)
                out[i] = Float(bitPattern: UInt32(UInt16(littleEndian: bits)) << 16)
            }
        }
    }
}
