import Testing
import TensorCore

private let source = "bad.safetensors"

/// Decodes `bytes`, expecting exactly `expected`, and a message naming the file and each of `mentions`.
private func expectError(_ bytes: [UInt8], _ expected: SafeTensorsError, mentions: [String] = [],
                         sourceLocation: SourceLocation = #_sourceLocation) {
    let error = #expect(throws: SafeTensorsError.self, sourceLocation: sourceLocation) {
        try SafeTensors(decoding: bytes, source: source)
    }
    #expect(error == expected, sourceLocation: sourceLocation)
    for word in [source + ":"] + mentions {
        #expect(error?.description.contains(word) == true, "\(error?.description ?? "no error") lacks \(word)",
                sourceLocation: sourceLocation)
    }
}

/// A header entry for an F32 tensor.
private func f32(_ shape: String, _ begin: Int, _ end: Int) -> String {
    #"{"dtype":"F32","shape":\#(shape),"data_offsets":[\#(begin),\#(end)]}"#
}

@Suite("safetensors errors name the file, the tensor and what is wrong")
struct SafeTensorsErrorTests {
    @Test("a file shorter than the 8-byte length prefix")
    func tooShort() {
        expectError([1, 2, 3], .fileTooShort(source: source, byteCount: 3), mentions: ["3 bytes"])
        expectError([], .fileTooShort(source: source, byteCount: 0))
    }

    @Test("a header length beyond the file, or absurdly large")
    func headerLength() {
        expectError(littleEndianBytes(UInt64(100)) + Array("{}".utf8),
                    .headerLengthExceedsFile(source: source, headerLength: 100, fileSize: 10), mentions: ["100"])
        expectError(littleEndianBytes(UInt64(200_000_000)) + Array("{}".utf8),
                    .headerLengthTooLarge(source: source, headerLength: 200_000_000, limit: 100_000_000))
        expectError(littleEndianBytes(UInt64.max),
                    .headerLengthTooLarge(source: source, headerLength: .max, limit: 100_000_000))
    }

    @Test("a header that is not UTF-8, not JSON, too deeply nested, or not an object")
    func headerSyntax() {
        expectError(littleEndianBytes(UInt64(3)) + [0x7B, 0xFF, 0x7D], .headerNotUTF8(source: source), mentions: ["UTF-8"])
        expectError(safetensorsFile(#"{"w": "#), .headerNotJSON(source: source, offset: 6,
                                                                   reason: "unexpected end, expected a value"))
        expectError(safetensorsFile(#"{"w": tru}"#), .headerNotJSON(source: source, offset: 9,
                                                                       reason: "invalid literal, expected true"))
        let deep = #"{"__metadata__":"# + String(repeating: "[", count: 100_000)
        expectError(safetensorsFile(deep), .headerNotJSON(source: source, offset: 79,
                                                          reason: "nesting deeper than 64 levels"))
        expectError(safetensorsFile("[1, 2]"), .headerNotObject(source: source, found: "an array of 2"))
        expectError(safetensorsFile(#"{"a": 1} {}"#), .headerNotJSON(source: source, offset: 9,
                                                                        reason: "unexpected text after the JSON value"))
        expectError(safetensorsFile("{\"a\u{01}\": 1}"), .headerNotJSON(
            source: source, offset: 3, reason: "control character 0x1 in a string must be escaped"))
        expectError(safetensorsFile(#"{"\ud800": 1}"#), .headerNotJSON(
            source: source, offset: 8, reason: "high surrogate without a low surrogate"))
    }

    @Test("an entry that is not an object, lacks a field, or has a field of the wrong type")
    func entryStructure() {
        expectError(safetensorsFile(#"{"w": 3}"#), .entryNotObject(source: source, tensor: "w", found: "a number (3)"),
                    mentions: ["'w'"])
        for field in ["dtype", "shape", "data_offsets"] {
            let members = [#""dtype":"F32""#, #""shape":[1]"#, #""data_offsets":[0,4]"#]
                .filter { !$0.hasPrefix("\"\(field)\"") }
            expectError(safetensorsFile("{\"fc.w\":{\(members.joined(separator: ","))}}", [0, 0, 0, 0]),
                        .missingField(source: source, tensor: "fc.w", field: field), mentions: ["'fc.w'", field])
        }
        expectError(safetensorsFile(#"{"w":{"dtype":5,"shape":[1],"data_offsets":[0,4]}}"#),
                    .wrongFieldType(source: source, tensor: "w", field: "dtype", expected: "a string such as \"F32\"",
                                    found: "a number (5)"), mentions: ["'w'", "dtype"])
        expectError(safetensorsFile(#"{"w":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}"#),
                    .wrongFieldType(source: source, tensor: "w", field: "shape", expected: "an array of integers",
                                    found: "a string (\"1\")"))
        expectError(safetensorsFile(#"{"w":{"dtype":"F32","shape":[null],"data_offsets":[0,4]}}"#),
                    .wrongFieldType(source: source, tensor: "w", field: "shape", expected: "an array of integers",
                                    found: "null"))
        expectError(safetensorsFile(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#),
                    .wrongFieldType(source: source, tensor: "w", field: "data_offsets",
                                    expected: "an array of two integers [begin, end]", found: "an array of 1"))
        expectError(safetensorsFile(#"{"w":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#),
                    .duplicateKey(source: source, object: "tensor 'w'", key: "dtype"), mentions: ["'w'"])
    }

    @Test("negative, fractional and huge integers in shape and data_offsets are rejected, not rounded or trapped on")
    func badIntegers() {
        let cases: [(String, String, String, String)] = [
            ("[-2]", "[0,0]", "-2", "negative"), ("[1.5]", "[0,4]", "1.5", "not an integer"),
            ("[1e2]", "[0,400]", "1e2", "not an integer"),
            ("[99999999999999999999999]", "[0,4]", "99999999999999999999999", "too large"),
        ]
        for (shape, offsets, value, reason) in cases {
            expectError(safetensorsFile(#"{"w":{"dtype":"F32","shape":\#(shape),"data_offsets":\#(offsets)}}"#),
                        .invalidInteger(source: source, tensor: "w", field: "shape", value: value, reason: reason),
                        mentions: ["'w'", value, reason])
        }
        expectError(safetensorsFile(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551620]}}"#),
                    .invalidInteger(source: source, tensor: "w", field: "data_offsets",
                                    value: "18446744073709551620", reason: "too large"))
        expectError(safetensorsFile(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#),
                    .invalidInteger(source: source, tensor: "w", field: "data_offsets", value: "-4", reason: "negative"))
        // 2^32 × 2^32 overflows before the 0 is reached: must throw, not trap in Tensor.elementCount.
        expectError(safetensorsFile(#"{"w":{"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}}"#),
                    .shapeTooLarge(source: source, tensor: "w", shape: [4_294_967_296, 4_294_967_296, 0]))
        expectError(safetensorsFile(#"{"w":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,0]}}"#),
                    .shapeTooLarge(source: source, tensor: "w", shape: [2_305_843_009_213_693_952]))
    }

    @Test("a dtype other than F32/F64/F16/BF16 is rejected with the tensor and dtype named")
    func unsupportedDType() {
        expectError(safetensorsFile(#"{"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, Array(repeating: 0, count: 8)),
                    .unsupportedDType(source: source, tensor: "ids", dtype: "I64"), mentions: ["'ids'", "I64"])
    }

    @Test("reversed offsets and byte lengths that disagree with shape × dtype size")
    func offsetArithmetic() {
        expectError(safetensorsFile("{\"w\":\(f32("[2]", 8, 0))}", f32Bytes([1, 2])),
                    .offsetsReversed(source: source, tensor: "w", begin: 8, end: 0), mentions: ["'w'", "[8, 0]"])
        expectError(safetensorsFile("{\"w\":\(f32("[3]", 0, 8))}", f32Bytes([1, 2])),
                    .byteLengthMismatch(source: source, tensor: "w", dtype: "F32", shape: [3], expected: 12, found: 8),
                    mentions: ["'w'", "12 bytes", "span 8"])
        expectError(safetensorsFile(#"{"h":{"dtype":"F16","shape":[3],"data_offsets":[0,8]}}"#, f32Bytes([1, 2])),
                    .byteLengthMismatch(source: source, tensor: "h", dtype: "F16", shape: [3], expected: 6, found: 8))
    }

    @Test("overlaps, holes (start, middle, end) and a truncated buffer violate the packed layout")
    func packedLayout() {
        let buffer12 = f32Bytes([1, 2, 3])
        expectError(safetensorsFile("{\"a\":\(f32("[2]", 0, 8)),\"b\":\(f32("[2]", 4, 12))}", buffer12),
                    .overlappingTensors(source: source, first: "a", second: "b", firstEnd: 8, secondBegin: 4),
                    mentions: ["'a'", "'b'"])
        expectError(safetensorsFile("{\"b\":\(f32("[1]", 8, 12)),\"a\":\(f32("[1]", 0, 4))}", buffer12),
                    .holeInBuffer(source: source, after: "a", before: "b", begin: 4, end: 8), mentions: ["'a'", "'b'", "4..<8"])
        expectError(safetensorsFile("{\"a\":\(f32("[2]", 4, 12))}", buffer12),
                    .holeInBuffer(source: source, after: nil, before: "a", begin: 0, end: 4), mentions: ["'a'"])
        expectError(safetensorsFile("{\"a\":\(f32("[2]", 0, 8))}", buffer12),
                    .holeInBuffer(source: source, after: "a", before: nil, begin: 8, end: 12), mentions: ["'a'"])
        expectError(safetensorsFile("{}", buffer12),
                    .holeInBuffer(source: source, after: nil, before: nil, begin: 0, end: 12))
        let header = "{\"a\":\(f32("[1]", 0, 4)),\"b\":\(f32("[2]", 4, 12))}"
        expectError(safetensorsFile(header, Array(buffer12.prefix(10))),
                    .truncated(source: source, tensor: "b", end: 12, bufferLength: 10,
                               fileSize: 8 + header.utf8.count + 10, expectedFileSize: 8 + header.utf8.count + 12),
                    mentions: ["'b'", "truncated"])
        expectError(safetensorsFile("{\"a\":\(f32("[1073741824]", 0, 4_294_967_296))}", buffer12),
                    .truncated(source: source, tensor: "a", end: 4_294_967_296, bufferLength: 12,
                               fileSize: 8 + 72 + 12, expectedFileSize: 8 + 72 + 4_294_967_296))
    }

    @Test("duplicate tensor names, in a header or when encoding, and the reserved name")
    func duplicateNames() {
        expectError(safetensorsFile("{\"w\":\(f32("[1]", 0, 4)),\"w\":\(f32("[1]", 4, 8))}", f32Bytes([1, 2])),
                    .duplicateTensor(source: source, name: "w"), mentions: ["'w'"])
        expectError(safetensorsFile(#"{"__metadata__":{},"__metadata__":{}}"#),
                    .duplicateKey(source: source, object: "the header", key: "__metadata__"))
        let twice = SafeTensors(tensors: [("w", Tensor([1])), ("w", Tensor([2]))])
        #expect(throws: SafeTensorsError.duplicateTensor(source: "<memory>", name: "w")) { try twice.encoded() }
        let reserved = SafeTensors(tensors: [("__metadata__", Tensor([1]))])
        #expect(throws: SafeTensorsError.reservedTensorName(source: "<memory>", name: "__metadata__")) {
            try reserved.encoded()
        }
    }

    @Test("metadata must be an object of strings, without duplicate keys; null reads as empty")
    func metadataValues() throws {
        expectError(safetensorsFile(#"{"__metadata__":{"epoch":3}}"#),
                    .metadataValueNotString(source: source, key: "epoch", found: "a number (3)"), mentions: ["epoch"])
        expectError(safetensorsFile(#"{"__metadata__":["a"]}"#), .metadataNotObject(source: source, found: "an array of 1"))
        expectError(safetensorsFile(#"{"__metadata__":{"k":"1","k":"1"}}"#),
                    .duplicateKey(source: source, object: "__metadata__", key: "k"))
        #expect(try SafeTensors(decoding: safetensorsFile(#"{"__metadata__":null}"#), source: source).metadata.isEmpty)
    }

    @Test("NaN and infinite scalars are data, not errors")
    func nonFiniteIsData() throws {
        let st = try SafeTensors(decoding: safetensorsFile("{\"w\":\(f32("[2]", 0, 8))}", f32Bytes([.nan, -.infinity])),
                                 source: source)
        #expect(st["w"]?.scalars[0].isNaN == true)
        #expect(st["w"]?.scalars[1] == -.infinity)
    }
}
