// Decoding and validation of safetensors files: everything a file says is checked before a tensor is
// allocated, so hostile input ends in a `SafeTensorsError`, never a trap or a huge allocation.

extension SafeTensors {
    /// Decodes a safetensors file held in memory.
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - source: the file's name, used in every error message.
    /// - Throws: ``SafeTensorsError`` naming `source` (and the tensor) when the file is malformed, uses
    ///   another dtype than F32/F64/F16/BF16, or its data buffer is not exactly packed.
    public init(decoding bytes: [UInt8], source: String) throws {
        guard bytes.count >= 8 else { throw SafeTensorsError.fileTooShort(source: source, byteCount: bytes.count) }
        var declaredLength: UInt64 = 0
        for i in 0..<8 { declaredLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard declaredLength <= UInt64(Self.maxHeaderLength) else {
            throw SafeTensorsError.headerLengthTooLarge(
                source: source, headerLength: declaredLength, limit: Self.maxHeaderLength)
        }
        let headerLength = Int(declaredLength)
        guard headerLength <= bytes.count - 8 else {
            throw SafeTensorsError.headerLengthExceedsFile(
                source: source, headerLength: declaredLength, fileSize: bytes.count)
        }
        let headerBytes = Array(bytes[8..<(8 + headerLength)])
        guard String(validating: headerBytes, as: UTF8.self) != nil else {
            throw SafeTensorsError.headerNotUTF8(source: source)
        }
        let root: JSONValue
        do {
            root = try JSONReader.parse(headerBytes)
        } catch {
            throw SafeTensorsError.headerNotJSON(source: source, offset: error.offset, reason: error.reason)
        }
        guard case .object(let members) = root else {
            throw SafeTensorsError.headerNotObject(source: source, found: root.kindDescription)
        }

        var entries: [Entry] = []
        var metadata: [String: String]?
        var names = Set<String>()
        for (key, value) in members {
            guard names.insert(key).inserted else {
                if key == "__metadata__" {
                    throw SafeTensorsError.duplicateKey(source: source, object: "the header", key: key)
                }
                throw SafeTensorsError.duplicateTensor(source: source, name: key)
            }
            if key == "__metadata__" {
                metadata = try Self.metadata(value, source: source)
            } else {
                entries.append(try Entry(name: key, value: value, source: source))
            }
        }

        let bufferStart = 8 + headerLength
        try Self.checkPacked(entries, bufferLength: bytes.count - bufferStart, fileSize: bytes.count, source: source)

        self.init(metadata: metadata ?? [:])
        tensors.reserveCapacity(entries.count)
        bytes.withUnsafeBytes { raw in
            for entry in entries {
                let tensor = Tensor(shape: entry.shape) { out in
                    Self.convert(raw, offset: bufferStart + entry.begin, dtype: entry.dtype, into: out)
                }
                tensors.append((entry.name, tensor))
            }
        }
    }

    /// One tensor's header entry, checked on its own (element count and byte length agree).
    struct Entry {
        var name: String
        var dtype: SafeTensorsDType
        var shape: [Int]
        var begin: Int
        var end: Int

        init(name: String, value: JSONValue, source: String) throws {
            self.name = name
            guard case .object(let fields) = value else {
                throw SafeTensorsError.entryNotObject(source: source, tensor: name, found: value.kindDescription)
            }
            var dtypeValue: JSONValue?, shapeValue: JSONValue?, offsetsValue: JSONValue?
            var seen = Set<String>()
            for (key, field) in fields {
                guard seen.insert(key).inserted else {
                    throw SafeTensorsError.duplicateKey(source: source, object: "tensor '\(name)'", key: key)
                }
                switch key {
                case "dtype": dtypeValue = field
                case "shape": shapeValue = field
                case "data_offsets": offsetsValue = field
                default: break  // unknown fields are ignored, as by the reference implementation
                }
            }
            func wrongType(_ field: String, _ expected: String, _ found: JSONValue) -> SafeTensorsError {
                .wrongFieldType(source: source, tensor: name, field: field, expected: expected, found: found.kindDescription)
            }
            func integer(_ value: JSONValue, field: String) throws -> Int {
                guard case .number(let text) = value else { throw wrongType(field, "an array of integers", value) }
                let reason: String
                if text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) {
                    reason = "not an integer"
                } else if text.hasPrefix("-"), text != "-0" {
                    reason = "negative"
                } else if let integer = Int(text) {
                    return integer
                } else {
                    reason = "too large"
                }
                throw SafeTensorsError.invalidInteger(source: source, tensor: name, field: field,
                                                      value: text.count > 40 ? String(text.prefix(40)) + "…" : text,
                                                      reason: reason)
            }

            guard let dtypeValue else { throw SafeTensorsError.missingField(source: source, tensor: name, field: "dtype") }
            guard let shapeValue else { throw SafeTensorsError.missingField(source: source, tensor: name, field: "shape") }
            guard let offsetsValue else {
                throw SafeTensorsError.missingField(source: source, tensor: name, field: "data_offsets")
            }
            guard case .string(let dtypeName) = dtypeValue else {
                throw wrongType("dtype", "a string such as \"F32\"", dtypeValue)
            }
            guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
                throw SafeTensorsError.unsupportedDType(source: source, tensor: name, dtype: dtypeName)
            }
            self.dtype = dtype
            guard case .array(let dimensions) = shapeValue else { throw wrongType("shape", "an array of integers", shapeValue) }
            shape = try dimensions.map { try integer($0, field: "shape") }
            guard case .array(let offsets) = offsetsValue, offsets.count == 2 else {
                throw wrongType("data_offsets", "an array of two integers [begin, end]", offsetsValue)
            }
            begin = try integer(offsets[0], field: "data_offsets")
            end = try integer(offsets[1], field: "data_offsets")

            // The element count in the order Tensor.elementCount multiplies, so that it cannot trap later.
            var count = 1
            var overflow = false
            for dimension in shape where !overflow {
                (count, overflow) = count.multipliedReportingOverflow(by: dimension)
            }
            let (byteLength, byteOverflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
            guard !overflow, !byteOverflow else {
                throw SafeTensorsError.shapeTooLarge(source: source, tensor: name, shape: shape)
            }
            guard end >= begin else {
                throw SafeTensorsError.offsetsReversed(source: source, tensor: name, begin: begin, end: end)
            }
            guard end - begin == byteLength else {
                throw SafeTensorsError.byteLengthMismatch(source: source, tensor: name, dtype: dtypeName, shape: shape,
                                                          expected: byteLength, found: end - begin)
            }
        }
    }

    /// Checks that the entries tile `0..<bufferLength` exactly: no overlap, no hole, nothing missing.
    static func checkPacked(_ entries: [Entry], bufferLength: Int, fileSize: Int, source: String) throws {
        let sorted = entries.sorted { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var packedEnd = 0
        var previous: Entry?
        for entry in sorted {
            if entry.begin > packedEnd {
                throw SafeTensorsError.holeInBuffer(source: source, after: previous?.name, before: entry.name,
                                                    begin: packedEnd, end: entry.begin)
            }
            if entry.begin < packedEnd, let previous {
                throw SafeTensorsError.overlappingTensors(source: source, first: previous.name, second: entry.name,
                                                          firstEnd: previous.end, secondBegin: entry.begin)
            }
            packedEnd = entry.end
            previous = entry
        }
        if packedEnd > bufferLength, let cut = sorted.first(where: { $0.end > bufferLength }) {
            let (expected, overflow) = (fileSize - bufferLength).addingReportingOverflow(packedEnd)
            throw SafeTensorsError.truncated(source: source, tensor: cut.name, end: cut.end, bufferLength: bufferLength,
                                             fileSize: fileSize, expectedFileSize: overflow ? Int.max : expected)
        }
        if packedEnd < bufferLength {
            throw SafeTensorsError.holeInBuffer(source: source, after: previous?.name, before: nil,
                                                begin: packedEnd, end: bufferLength)
        }
    }

    /// The `__metadata__` map: an object of strings (or `null`, read as empty).
    static func metadata(_ value: JSONValue, source: String) throws -> [String: String] {
        if case .null = value { return [:] }
        guard case .object(let pairs) = value else {
            throw SafeTensorsError.metadataNotObject(source: source, found: value.kindDescription)
        }
        var metadata: [String: String] = [:]
        for (key, item) in pairs {
            guard case .string(let text) = item else {
                throw SafeTensorsError.metadataValueNotString(source: source, key: key, found: item.kindDescription)
            }
            guard metadata.updateValue(text, forKey: key) == nil else {
                throw SafeTensorsError.duplicateKey(source: source, object: "__metadata__", key: key)
            }
        }
        return metadata
    }
}
