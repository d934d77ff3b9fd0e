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

    @Test("fill(words:) hands out exactly the words next() would, in blocks that straddle refills")
    func fillMatchesNext() {
        var byWord = ChaCha20Generator(seed: 4, stream: 2), byBlock = ChaCha20Generator(seed: 4, stream: 2)
        let expected = (0..<10_000).map { _ in byWord.next() }
        var got: [UInt64] = []
        var sizes = [1, 7, 1024, 2047, 2049, 0, 3000]
        sizes.append(10_000 - sizes.reduce(0, +) - 3)
        for n in sizes {
            var block = [UInt64](repeating: 0, count: n)
            block.withUnsafeMutableBufferPointer { byBlock.fill(words: $0) }
            got += block
        }
        got += (0..<3).map { _ in byBlock.next() }  // next() goes on where fill stopped
        #expect(got == expected)
    }

    /// ChaCha20 seen only as a `RandomNumberGenerator`: the sampler takes its words one `next()` at a time.
    struct WordAtATime: RandomNumberGenerator, Sendable {
        var base: ChaCha20Generator
        mutating func next() -> UInt64 { base.next() }
    }

    @Test("Gaussian noise is the same bits whether the words come a block at a time or one by one, on one thread or all")
    func blockAndWordPathsAgree() {
        var block = ChaCha20Generator(seed: 8), single = WordAtATime(base: ChaCha20Generator(seed: 8))
        var a = [Float](repeating: 0, count: 50_001), b = a
        a.withUnsafeMutableBufferPointer { GaussianSampler.fill($0, std: 1.3, using: &block) }
        b.withUnsafeMutableBufferPointer { GaussianSampler.fill($0, std: 1.3, using: &single) }
        #expect(a == b)
        #expect(block.next() == single.next())  // the same words consumed, rejections included
        func noise(threads: Int, wordAtATime: Bool) -> [Float] {
            var t = [Float](repeating: 0.5, count: 70_000)
            t.withUnsafeMutableBufferPointer { buffer in
                if wordAtATime {
                    GaussianSampler.addNoise(to: buffer, std: 2, chunks: 8, threads: threads) {
                        WordAtATime(base: ChaCha20Generator(seed: 3, stream: UInt64($0)))
                    }
                } else {
                    GaussianSampler.addNoise(to: buffer, std: 2, chunks: 8, threads: threads) { ChaCha20Generator(seed: 3, stream: UInt64($0)) }
                }
            }
            return t
        }
        let reference = noise(threads: 2, wordAtATime: false)
        #expect(reference == noise(threads: 1, wordAtATime: false))
        #expect(reference == noise(threads: 2, wordAtATime: true))
        #expect(reference.filter { abs($0 - 0.5) > 6 }.count > 0)  // the tails (|x| > 3σ) are reached
    }
}
