import Testing
@testable import SecureAggregation

@Suite("Mask PRG")
struct MaskExpansionTests {
    let seed: [UInt8] = (0..<32).map { UInt8($0 * 3 + 1) }

    @Test("a mask added then subtracted leaves the input; the same seed gives the same words; domains differ")
    func cancel() {
        let input: [UInt32] = (0..<10_001).map { UInt32($0) }
        var words = input
        MaskExpansion.apply(seed: seed, domain: .pairwiseMask, sign: 1, to: &words)
        #expect(words != input)
        var again = input
        MaskExpansion.apply(seed: seed, domain: .pairwiseMask, sign: 1, to: &again)
        #expect(again == words)
        var other = input
        MaskExpansion.apply(seed: seed, domain: .selfMask, sign: 1, to: &other)
        #expect(other != words)
        MaskExpansion.apply(seed: seed, domain: .pairwiseMask, sign: -1, to: &words)
        #expect(words == input)
    }

    @Test("mask words look uniform: each of 16 high-bit buckets within 5 sd of its mean")
    func uniform() {
        var words = [UInt32](repeating: 0, count: 160_000)
        MaskExpansion.apply(seed: seed, domain: .selfMask, sign: 1, to: &words)
        var buckets = [Int](repeating: 0, count: 16)
        for w in words { buckets[Int(w >> 28)] += 1 }
        let mean = 10_000.0, sd = (160_000.0 * (1.0 / 16) * (15.0 / 16)).squareRoot()
        for b in buckets { #expect(abs(Double(b) - mean) < 5 * sd) }
    }
}
