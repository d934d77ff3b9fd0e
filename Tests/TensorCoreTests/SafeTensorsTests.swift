import Foundation
import Testing
import TensorCore

/// A safetensors file from a header's JSON text (used as is, unpadded) and a data buffer.
func safetensorsFile(_ header: String, _ buffer: [UInt8] = []) -> [UInt8] {
    let headerBytes = Array(header.utf8)
    return littleEndianBytes(UInt64(headerBytes.count)) + headerBytes + buffer
}

func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
}

/// Bytes of Float32 scalars, little-endian.
func f32Bytes(_ scalars: [Float]) -> [UInt8] {
    scalars.flatMap { littleEndianBytes($0.bitPattern) }
}

@Suite("safetensors encoding and decoding")
struct SafeTensorsTests {
    static let special: [Float] = [
        0, -0.0, 1, -2.5, .infinity, -.infinity, .greatestFiniteMagnitude, .leastNonzeroMagnitude,
        .leastNormalMagnitude, Float(bitPattern: 0x7FC0_1234), Float(bitPattern: 0xFF80_0001), 0.1,
    ]

    static var sample: SafeTensors {
        SafeTensors(
            tensors: [
                ("scalar", Tensor(shape: [], scalars: [0x1p-149])),
                ("layer.0.weight", Tensor(shape: [3, 4], scalars: special)),
                ("empty", Tensor(shape: [0], scalars: [])),
                ("empty.3d", Tensor(shape: [2, 0, 3], scalars: [])),
                ("naïve \"quoted\" \\ name", Tensor([7, 8, 9])),
            ],
            metadata: ["format": "pt", "epoch": "12", "note": "line1\nline2\t\"q\" \\ \u{01} ✓ 𝔽"])
    }

    @Test("a round trip keeps order, names, shapes, metadata and every scalar's bits (NaN payloads, -0, subnormals)")
    func roundTrip() throws {
        let original = Self.sample
        let decoded = try SafeTensors(decoding: try original.encoded(), source: "round.safetensors")
        #expect(decoded.tensors.map(\.name) == original.tensors.map(\.name))
        #expect(decoded.metadata == original.metadata)
        for ((_, a), (name, b)) in zip(original.tensors, decoded.tensors) {
            #expect(a.shape == b.shape, "shape of \(name)")
            #expect(a.scalars.map(\.bitPattern) == b.scalars.map(\.bitPattern), "bits of \(name)")
        }
        #expect(decoded["scalar"]?.shape == [])
        #expect(decoded["scalar"]?.scalars.first?.bitPattern == 1)
    }

    @Test("encoding is deterministic: same bytes twice, whatever the metadata insertion order, and stable through a decode")
    func deterministicEncoding() throws {
        var forward: [String: String] = [:]
        var backward: [String: String] = [:]
        let keys = (0..<50).map { "key\($0)" }
        for key in keys { forward[key] = key.uppercased() }
        for key in keys.reversed() { backward[key] = key.uppercased() }
        var a = Self.sample, b = Self.sample
        a.metadata = forward
        b.metadata = backward
        let bytes = try a.encoded()
        #expect(try a.encoded() == bytes)
        #expect(try b.encoded() == bytes)
        #expect(try SafeTensors(decoding: bytes, source: "x").encoded() == bytes)
    }

    @Test("the header length is a multiple of 8, padded with spaces, and the buffer is exactly the F32 data")
    func headerLayout() throws {
        let st = SafeTensors(tensors: [("a", Tensor([1, 2])), ("b", Tensor(shape: [], scalars: [3]))])
        let bytes = try st.encoded()
        let headerLength = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect(headerLength % 8 == 0)
        #expect(bytes.count == 8 + headerLength + 12)
        let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
        #expect(header.hasPrefix(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":"#))
        #expect(header.trimmingCharacters(in: .whitespaces).hasSuffix("}"))
        #expect(Array(bytes[(8 + headerLength)...]) == f32Bytes([1, 2, 3]))
    }

    @Test("decoding accepts tensors in any buffer order, empty tensors sharing an offset, padding and unknown fields")
    func lenientLayout() throws {
        let header = #"""
            { "b": {"dtype": "F32", "shape": [1, 2], "data_offsets": [8, 16], "extra": [1]},
              "z": {"dtype": "F32", "shape": [0, 5], "data_offsets": [8, 8]},
              "a": {"data_offsets": [0, 8], "shape": [2], "dtype": "F32"},
              "y": {"dtype": "BF16", "shape": [0], "data_offsets": [8, 8]} }
            """# + "    "
        let decoded = try SafeTensors(decoding: safetensorsFile(header, f32Bytes([1, 2, 3, 4])), source: "x")
        #expect(decoded.tensors.map(\.name) == ["b", "z", "a", "y"])
        #expect(decoded["a"]?.scalars == [1, 2])
        #expect(decoded["b"] == Tensor(shape: [1, 2], scalars: [3, 4]))
        #expect(decoded["z"]?.shape == [0, 5])
        #expect(decoded.metadata.isEmpty)
    }

    @Test("BF16 and F16 convert exactly, specials included; F64 rounds to nearest Float")
    func halfPrecisionConversion() throws {
        let bf16: [UInt16] = [0x3F80, 0xC020, 0x7F80, 0x0001, 0x8000]
        let f16: [UInt16] = [0x8000, 0x0001, 0x03FF, 0x0400, 0x7BFF, 0x7C00, 0xFC00, 0x3555]
        let f64: [Double] = [0.1, 1e300, -1e-300, 1.0 / 3.0, .nan]
        let header = #"{"b":{"dtype":"BF16","shape":[5],"data_offsets":[0,10]},"#
            + #""h":{"dtype":"F16","shape":[2,4],"data_offsets":[10,26]},"#
            + #""d":{"dtype":"F64","shape":[5],"data_offsets":[26,66]}}"#
        let buffer = bf16.flatMap(littleEndianBytes) + f16.flatMap(littleEndianBytes)
            + f64.flatMap { littleEndianBytes($0.bitPattern) }
        let st = try SafeTensors(decoding: safetensorsFile(header, buffer), source: "x")
        let b = try #require(st["b"]).scalars
        #expect(b.map(\.bitPattern) == [Float(1), -2.5, .infinity, 0x1p-133, -0.0].map(\.bitPattern))
        let h = try #require(st["h"])
        #expect(h.shape == [2, 4])
        #expect(h.scalars.map(\.bitPattern) == [Float(-0.0), 0x1p-24, 1023 * 0x1p-24, 0x1p-14, 65504, .infinity,
                                                 -.infinity, 0.333251953125].map(\.bitPattern))
        let d = try #require(st["d"]).scalars
        #expect(Array(d[0..<4]) == [Float(0.1), .infinity, -0.0, Float(1.0 / 3.0)])
        #expect(d[2].sign == .minus && d[4].isNaN)
    }

    #if !(os(macOS) && arch(x86_64))
    @Test("every one of the 65,536 F16 bit patterns decodes to the value Float16 gives")
    func allHalves() throws {
        let patterns = (0...UInt16.max).map { $0 }
        let header = #"{"all":{"dtype":"F16","shape":[65536],"data_offsets":[0,131072]}}"#
        let st = try SafeTensors(decoding: safetensorsFile(header, patterns.flatMap(littleEndianBytes)), source: "x")
        let scalars = try #require(st["all"]).scalars
        let wrong = patterns.filter { bits in
            let expected = Float(Float16(bitPattern: bits)), found = scalars[Int(bits)]
            return expected.isNaN ? !found.isNaN : expected.bitPattern != found.bitPattern
        }
        #expect(wrong.isEmpty, "first wrong patterns: \(wrong.prefix(5))")
    }
    #endif

    @Test("a file written by Python's safetensors.numpy (F32, F16, F64, scalar, empty, metadata) decodes exactly")
    func pythonFixture() throws {
        let path = try #require(Bundle.module.path(forResource: "python_numpy", ofType: "safetensors",
                                                   inDirectory: "Fixtures"))
        let st = try SafeTensors(contentsOf: path)
        #expect(st.tensors.map(\.name) == ["double", "empty", "layer.0.weight", "scalar", "half"])
        #expect(st.metadata == ["format": "np", "framework": "numpy", "note": "fedtop fixture ✓"])
        #expect(try st.tensor(named: "scalar", shape: []).scalars == [3.25])
        #expect(try st.tensor(named: "empty", shape: [0]).count == 0)
        let weight = try st.tensor(named: "layer.0.weight", shape: [2, 3])
        #expect(weight.scalars.map(\.bitPattern)
            == [Float(1.5), -0.0, 3.4028235e38, 0x1p-149, -7.25, 0.1].map(\.bitPattern))
        #expect(try st.tensor(named: "half", shape: [5]).scalars == [1, -2.5, 65504, 0x1p-24, .infinity])
        #expect(try st.tensor(named: "double", shape: [3, 1]).scalars == [Float(0.1), -.infinity, Float(1.0 / 3.0)])
    }

    @Test("tensor(named:shape:) returns the weight or names what is missing or misshapen")
    func checkedLookup() throws {
        let st = Self.sample
        #expect(try st.tensor(named: "layer.0.weight", shape: [3, 4]).count == 12)
        let missing = #expect(throws: SafeTensorsError.self) { try st.tensor(named: "fc9.bias", shape: [3]) }
        #expect(missing == .missingTensor("fc9.bias"))
        #expect(missing?.description.contains("fc9.bias") == true)
        let misshapen = #expect(throws: SafeTensorsError.self) { try st.tensor(named: "layer.0.weight", shape: [4, 3]) }
        #expect(misshapen == .shapeMismatch("layer.0.weight", expected: [4, 3], found: [3, 4]))
        #expect(misshapen?.description.contains("[3, 4]") == true)
    }
}
