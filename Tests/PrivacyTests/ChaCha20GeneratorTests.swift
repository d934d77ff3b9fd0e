import Testing
import TensorCore
@testable import Privacy

@Suite("ChaCha20 noise source")
struct ChaCha20GeneratorTests {
    @Test("the block function reproduces RFC 8439 §2.3.2's test vector")
    func rfc8439Block() {
        let key = (0..<32).map { UInt8($0) }
        var g = ChaCha20Generator(key: key, counter: 1, nonceBytes: [0, 0, 0, 0x09, 0, 0, 0, 0x4a, 0, 0, 0, 0])
        let expected: [UInt32] = [0xe4e7f110, 0x15593bd1, 0x1fdd0f50, 0xc47120a3, 0xc7f4d1c7, 0x0368c033, 0x9aaa2204,
                                  0x4e6cd4c3, 0x466482d2, 0x09aa9f07, 0x05d7c214, 0xa2028bd9, 0xd19c12b5, 0xb94e16de,
                                  0xe883d0cb, 0x4e3c50a2]
        let stream = g.nextKeystream()
        let words = (0..<16).map { i in (0..<4).reduce(UInt32(0)) { $0 | UInt32(stream[4 * i + $1]) << (8 * UInt32($1)) } }
        #expect(words == expected)
    }

    @Test("next() reads the keystream as little-endian words, across refills (the buffer reused)")
    func wordsAcrossRefills() {
        var words = ChaCha20Generator(seed: 9, stream: 3), bytes = ChaCha20Generator(seed: 9, stream: 3)
        let perRefill = ChaCha20Generator.refillBytes / 8
        var expected: [UInt64] = []
        for _ in 0..<3 {
            let block = bytes.nextKeystream()
            for i in 0..<perRefill {
                expected.append((0..<8).reduce(UInt64(0)) { $0 | UInt64(block[8 * i + $1]) << (8 * UInt64($1)) })
            }
        }
        #expect((0..<(3 * perRefill)).map { _ in words.next() } == expected)
    }

    @Test("seeded keystreams are reproducible; streams and the OS key differ")
    func streams() throws {
        var a = ChaCha20Generator(seed: 1), b = ChaCha20Generator(seed: 1), c = ChaCha20Generator(seed: 1, stream: 1)
        let xs = (0..<16).map { _ in a.next() }
        #expect(xs == (0..<16).map { _ in b.next() })
        #expect(xs != (0..<16).map { _ in c.next() })
        var s1 = try ChaCha20Generator(), s2 = try ChaCha20Generator()
        #expect(s1.isSecure && !a.isSecure)
        #expect((0..<4).map { _ in s1.next() } != (0..<4).map { _ in s2.next() })
    }

    @Test("Gaussian noise drawn through it has the asked standard deviation (n = 200,000, tolerance 1%: > 6 standard errors)")
    func noiseStandardDeviation() {
        var g = ChaCha20Generator(seed: 42)
        var xs = [Float](repeating: 0, count: 200_000)
        xs.withUnsafeMutableBufferPointer { GaussianSampler.fill($0, std: 1.7, using: &g) }
        let mean = xs.reduce(0.0) { $0 + Double($1) } / Double(xs.count)
        let sd = (xs.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(xs.count - 1)).squareRoot()
        #expect(abs(mean) < 0.02)
        #expect(abs(sd / 1.7 - 1) < 0.01)  // the sd's standard error is 1/√(2n) ≈ 0.16%
    }
}
