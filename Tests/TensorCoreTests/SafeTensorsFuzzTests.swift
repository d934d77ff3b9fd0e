import Testing
import TensorCore

@Suite("safetensors decoding of corrupted files")
struct SafeTensorsFuzzTests {
    static let valid: SafeTensors = {
        var generator = SeededGenerator(seed: 7)
        let weights = (0..<24).map { _ in Float(generator.nextNormal()) }
        return SafeTensors(
            tensors: [
                ("fc1.weight", Tensor(shape: [4, 6], scalars: weights)),
                ("fc1.bias", Tensor([0.5, -0.5, 0, 1])),
                ("step", Tensor(shape: [], scalars: [3])),
                ("empty", Tensor(shape: [0, 3], scalars: [])),
            ],
            metadata: ["round": "17", "dp.noiseMultiplier": "1.1"])
    }()

    /// Decodes, requiring that failures are `SafeTensorsError`s; returns whether it decoded.
    private static func decodes(_ bytes: [UInt8], _ what: String) -> Bool {
        do {
            let st = try SafeTensors(decoding: bytes, source: "fuzz.safetensors")
            let scalarBytes = st.tensors.reduce(0) { $0 + $1.tensor.count * 2 }
            #expect(scalarBytes <= bytes.count, "\(what): decoded more scalars than the file can hold")
            return true
        } catch is SafeTensorsError {
            return false
        } catch {
            Issue.record("\(what): threw \(error), not a SafeTensorsError")
            return false
        }
    }

    @Test("200 seeded corruptions (bit flips, header edits, length edits, truncations) throw or decode, never trap")
    func seededCorruptions() throws {
        let bytes = try Self.valid.encoded()
        let headerEnd = 8 + bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        var generator = SeededGenerator(seed: 2024)
        let jsonBytes = Array(#"{}[]",:0123456789-.eE "#.utf8)
        var truncations = 0, truncationsDecoded = 0, dataFlips = 0, dataFlipsDecoded = 0
        for round in 0..<200 {
            var mutated = bytes
            let what: String
            switch round % 5 {
            case 0:  // flip bits anywhere
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    mutated[Int.random(in: 0..<mutated.count, using: &generator)] ^= UInt8.random(in: 1...255, using: &generator)
                }
                what = "bit flips"
            case 1:  // replace header bytes with JSON punctuation and digits
                for _ in 0..<Int.random(in: 1...3, using: &generator) {
                    mutated[Int.random(in: 8..<headerEnd, using: &generator)] = jsonBytes.randomElement(using: &generator)!
                }
                what = "header edits"
            case 2:  // rewrite the header length
                let length = round % 2 == 0 ? UInt64.random(in: 0...UInt64(bytes.count + 16), using: &generator)
                                            : generator.next()
                mutated.replaceSubrange(0..<8, with: littleEndianBytes(length))
                what = "length \(length)"
            case 3:  // truncate
                mutated.removeLast(Int.random(in: 1...mutated.count, using: &generator))
                truncations += 1
                what = "truncated to \(mutated.count)"
            default:  // flip a bit in the data buffer: still a valid file
                mutated[Int.random(in: headerEnd..<mutated.count, using: &generator)] ^= 1 << UInt8.random(in: 0...7, using: &generator)
                dataFlips += 1
                what = "data bit flip"
            }
            let decoded = Self.decodes(mutated, "round \(round), \(what)")
            if round % 5 == 3, decoded { truncationsDecoded += 1 }
            if round % 5 == 4, decoded { dataFlipsDecoded += 1 }
        }
        #expect(truncations == 40 && truncationsDecoded == 0, "a truncated file must never decode")
        #expect(dataFlips == 40 && dataFlipsDecoded == 40, "a flipped data bit must still decode")
    }

    @Test("every truncation of a valid file throws")
    func everyTruncation() throws {
        let bytes = try Self.valid.encoded()
        for length in 0..<bytes.count {
            #expect(throws: SafeTensorsError.self, "truncated to \(length)") {
                try SafeTensors(decoding: Array(bytes.prefix(length)), source: "cut.safetensors")
            }
        }
    }
}
