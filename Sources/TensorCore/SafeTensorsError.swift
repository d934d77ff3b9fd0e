/// Why a safetensors file could not be read, written or used, with enough detail to fix it.
///
/// Every case that comes from a file carries `source` (the file name given to the decoder or the path
/// being read or written) and, where one is involved, the tensor's name, so that `description` says
/// which file, which tensor and exactly what was wrong. Non-finite scalars (NaN, ±Inf) are not errors
/// at this level: they are data, and checking them is the caller's business.
public enum SafeTensorsError: Error, Equatable, Sendable {
    /// The file is shorter than the 8-byte header-length prefix.
    case fileTooShort(source: String, byteCount: Int)
    /// The header length prefix is larger than the rest of the file.
    case headerLengthExceedsFile(source: String, headerLength: UInt64, fileSize: Int)
    /// The header length prefix is above the sanity limit (``SafeTensors/maxHeaderLength`` bytes).
    case headerLengthTooLarge(source: String, headerLength: UInt64, limit: Int)
    /// The header bytes are not valid UTF-8.
    case headerNotUTF8(source: String)
    /// The header is not valid JSON; `offset` is the byte offset within the header.
    case headerNotJSON(source: String, offset: Int, reason: String)
    /// The header is valid JSON but not an object; `found` names the JSON kind that was there.
    case headerNotObject(source: String, found: String)
    /// A key appears twice in one JSON object of the header (`object` says which one).
    case duplicateKey(source: String, object: String, key: String)
    /// Two tensors have the same name (in a header, or in a ``SafeTensors`` being encoded).
    case duplicateTensor(source: String, name: String)
    /// A tensor is named `__metadata__`, which the format reserves for the metadata map.
    case reservedTensorName(source: String, name: String)
    /// A tensor's header entry is not a JSON object.
    case entryNotObject(source: String, tensor: String, found: String)
    /// A tensor's header entry lacks `dtype`, `shape` or `data_offsets`.
    case missingField(source: String, tensor: String, field: String)
    /// A field of a tensor's header entry has the wrong JSON type or arity.
    case wrongFieldType(source: String, tensor: String, field: String, expected: String, found: String)
    /// A `shape` dimension or `data_offsets` bound is negative, fractional or too large for an `Int`.
    case invalidInteger(source: String, tensor: String, field: String, value: String, reason: String)
    /// A tensor's shape has more elements (or bytes) than an `Int` can count.
    case shapeTooLarge(source: String, tensor: String, shape: [Int])
    /// A tensor's dtype is not one of F32, F64, F16, BF16.
    case unsupportedDType(source: String, tensor: String, dtype: String)
    /// A tensor's `data_offsets` end before they begin.
    case offsetsReversed(source: String, tensor: String, begin: Int, end: Int)
    /// A tensor's byte range is not its element count times its dtype's size.
    case byteLengthMismatch(source: String, tensor: String, dtype: String, shape: [Int],
                            expected: Int, found: Int)
    /// Two tensors' byte ranges overlap.
    case overlappingTensors(source: String, first: String, second: String, firstEnd: Int, secondBegin: Int)
    /// Bytes of the data buffer belong to no tensor (the format requires a packed buffer).
    /// `after`/`before` are the tensors around the hole; `nil` at the start or end of the buffer.
    case holeInBuffer(source: String, after: String?, before: String?, begin: Int, end: Int)
    /// A tensor's `data_offsets` run past the end of the data buffer: the file is truncated (or the
    /// offsets are wrong). `fileSize` is the actual size, `expectedFileSize` what the header implies.
    case truncated(source: String, tensor: String, end: Int, bufferLength: Int,
                   fileSize: Int, expectedFileSize: Int)
    /// `__metadata__` is not a JSON object.
    case metadataNotObject(source: String, found: String)
    /// A `__metadata__` value is not a string (the format allows strings only).
    case metadataValueNotString(source: String, key: String, found: String)
    /// A file system call failed; `reason` is the system's message.
    case io(path: String, operation: String, reason: String)
    /// ``SafeTensors/tensor(named:shape:)``: no tensor has this name.
    case missingTensor(String)
    /// ``SafeTensors/tensor(named:shape:)``: the tensor exists with another shape.
    case shapeMismatch(String, expected: [Int], found: [Int])
}

extension SafeTensorsError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .fileTooShort(source, byteCount):
            return "\(source): file is \(byteCount) bytes, shorter than the 8-byte header length of a safetensors file"
        case let .headerLengthExceedsFile(source, headerLength, fileSize):
            return "\(source): header length \(headerLength) bytes is larger than the \(fileSize - 8) bytes "
                + "that follow the 8-byte prefix (file is \(fileSize) bytes); the file is truncated or not safetensors"
        case let .headerLengthTooLarge(source, headerLength, limit):
            return "\(source): header length \(headerLength) bytes exceeds the \(limit)-byte limit; "
                + "the file is corrupt or not safetensors"
        case let .headerNotUTF8(source):
            return "\(source): header is not valid UTF-8"
        case let .headerNotJSON(source, offset, reason):
            return "\(source): header is not valid JSON at header byte \(offset): \(reason)"
        case let .headerNotObject(source, found):
            return "\(source): header must be a JSON object of tensors, found \(found)"
        case let .duplicateKey(source, object, key):
            return "\(source): key \"\(key)\" appears twice in \(object)"
        case let .duplicateTensor(source, name):
            return "\(source): tensor name '\(name)' appears twice"
        case let .reservedTensorName(source, name):
            return "\(source): '\(name)' is reserved for metadata and cannot name a tensor"
        case let .entryNotObject(source, tensor, found):
            return "\(source): tensor '\(tensor)': entry must be an object with dtype, shape and data_offsets, found \(found)"
        case let .missingField(source, tensor, field):
            return "\(source): tensor '\(tensor)': entry has no \"\(field)\""
        case let .wrongFieldType(source, tensor, field, expected, found):
            return "\(source): tensor '\(tensor)': \"\(field)\" must be \(expected), found \(found)"
        case let .invalidInteger(source, tensor, field, value, reason):
            return "\(source): tensor '\(tensor)': \"\(field)\" contains \(value), which is \(reason); "
                + "expected a non-negative integer"
        case let .shapeTooLarge(source, tensor, shape):
            return "\(source): tensor '\(tensor)': shape \(shape) has more elements than can be counted"
        case let .unsupportedDType(source, tensor, dtype):
            return "\(source): tensor '\(tensor)': dtype \"\(dtype)\" is not supported (F32, F64, F16 and BF16 are)"
        case let .offsetsReversed(source, tensor, begin, end):
            return "\(source): tensor '\(tensor)': data_offsets [\(begin), \(end)] end before they begin"
        case let .byteLengthMismatch(source, tensor, dtype, shape, expected, found):
            return "\(source): tensor '\(tensor)': \(dtype) shape \(shape) needs \(expected) bytes "
                + "but data_offsets span \(found)"
        case let .overlappingTensors(source, first, second, firstEnd, secondBegin):
            return "\(source): tensors '\(first)' and '\(second)' overlap: '\(first)' ends at byte \(firstEnd) "
                + "of the data buffer, '\(second)' begins at \(secondBegin)"
        case let .holeInBuffer(source, after, before, begin, end):
            let place: String
            switch (after, before) {
            case let (a?, b?): place = "between tensors '\(a)' and '\(b)'"
            case let (nil, b?): place = "before the first tensor '\(b)'"
            case let (a?, nil): place = "after the last tensor '\(a)'"
            case (nil, nil): place = "in a file with no tensor data"
            }
            return "\(source): data buffer bytes \(begin)..<\(end) belong to no tensor (\(place)); "
                + "safetensors requires a packed buffer"
        case let .truncated(source, tensor, end, bufferLength, fileSize, expectedFileSize):
            return "\(source): tensor '\(tensor)' needs data buffer bytes up to \(end) but the buffer has "
                + "\(bufferLength); the file is truncated (\(fileSize) bytes, header implies \(expectedFileSize))"
        case let .metadataNotObject(source, found):
            return "\(source): \"__metadata__\" must be an object of strings, found \(found)"
        case let .metadataValueNotString(source, key, found):
            return "\(source): metadata \"\(key)\" must be a string, found \(found)"
        case let .io(path, operation, reason):
            return "\(path): cannot \(operation): \(reason)"
        case let .missingTensor(name):
            return "no tensor named '\(name)' in the safetensors file"
        case let .shapeMismatch(name, expected, found):
            return "tensor '\(name)' has shape \(found), expected \(expected)"
        }
    }
}
