import CKernels
import Foundation
import Testing
@testable import TensorCore

/// The Ziggurat's rectangle pass in C (``GaussianSampler/rectangles(_:count:std:into:accumulate:rejected:)``):
/// every variant this CPU runs against the pass written out in Swift, word by word, as the method
/// defines it.
@Suite("The Ziggurat's rectangle pass: portable C, AVX2 and AVX-512 against the method word by word")
struct ZigguratRectanglesTests {
    /// The pass one word at a time: the value of every word inside its layer's rectangle, stored or
    /// added; the places of the others.
    static func oracle(_ words: ArraySlice<UInt64>, std: Float, out: inout [Float], accumulate: Bool) -> [UInt16] {
        let t = GaussianSampler.tables
        var rejected: [UInt16] = []
        for (j, word) in words.enumerated() {
            let layer = Int(word & 127)
            let hz = Int32(truncatingIfNeeded: word >> 32)
            if hz.magnitude < t.k[layer] {
                let v = std * (Float(hz) * t.w[layer])
                out[j] = accumulate ? out[j] + v : v
            } else {
                rejected.append(UInt16(j))
            }
        }
        return rejected
    }

    /// Random words with the edge cases planted: a value of Int32.min (its magnitude 2³¹), zero, and
    /// magnitudes just under and at their layer's threshold, both signs.
    static func words(_ count: Int, seed: UInt64) -> [UInt64] {
        var g = SeededGenerator(seed: seed)
        let k = GaussianSampler.tables.k
        return (0..<count).map { i in
            let word = g.next()
            let layer = word & 127
            func with(_ hz: Int32) -> UInt64 { (UInt64(UInt32(bitPattern: hz)) << 32) | (word & 0xffff_ffff) }
            let threshold = Int32(clamping: Int64(k[Int(layer)]))
            switch i % 11 {
            case 3: return with(Int32.min)
            case 5: return with(0)
            case 7: return with(threshold &- 1)
            case 8: return with(-threshold)
            case 9: return with(threshold)
            default: return word
            }
        }
    }

    static let sentinel: Float = 12345.5

    @Test("each variant gives the oracle's bits and rejected places, stores nothing past the block, and reads unaligned words",
          .enabled(if: fedtop_ziggurat_best_variant() >= 0), arguments: [Int32(FEDTOP_ZIGGURAT_SCALAR), Int32(FEDTOP_ZIGGURAT_AVX2), Int32(FEDTOP_ZIGGURAT_AVX512)])
    func variantMatchesOracle(variant: Int32) throws {
        guard let pass = fedtop_ziggurat_rectangles_variant(variant) else {
            // This CPU cannot run the variant; the dispatch test below checks it is never chosen here.
            #expect(variant > fedtop_ziggurat_best_variant())
            return
        }
        let t = GaussianSampler.tables
        for (trial, count) in [0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 100, 1000, 1024].enumerated() {
            for accumulate in [false, true] {
                // Offset by one word, so the loads are not aligned to the vector width.
                let all = Self.words(count + 1, seed: UInt64(trial * 2 + (accumulate ? 1 : 0)))
                let block = all[1...]
                let start = (0..<count).map { Float($0) * 0.25 - 3 }
                var expected = start
                let expectedRejected = Self.oracle(block, std: 1.7, out: &expected, accumulate: accumulate)
                var out = start + [Float](repeating: Self.sentinel, count: 16)
                var rejected = [UInt16](repeating: 0xffff, count: count + 16)
                let misses = all.withUnsafeBufferPointer { w in
                    out.withUnsafeMutableBufferPointer { o in
                        rejected.withUnsafeMutableBufferPointer { r in
                            pass(w.baseAddress! + 1, count, 1.7, o.baseAddress!, accumulate ? 1 : 0, r.baseAddress!,
                                 UnsafePointer(t.k), UnsafePointer(t.w))
                        }
                    }
                }
                #expect(Array(rejected[..<misses]) == expectedRejected, "count \(count), accumulate \(accumulate)")
                // Rejected places keep what they held; accepted ones hold the oracle's bits.
                #expect(out[..<count].map(\.bitPattern) == expected.map(\.bitPattern), "count \(count), accumulate \(accumulate)")
                #expect(out[count...].allSatisfy { $0 == Self.sentinel }, "count \(count): nothing written past the block")
                #expect(rejected[count...].allSatisfy { $0 == 0xffff }, "count \(count): no place stored past the block")
                #expect(expectedRejected.count > 0 || count < 11, "count \(count): the planted edge words are rejected")
            }
        }
    }

    @Test("the dispatch picks the widest variant the CPU's flags allow (/proc/cpuinfo)")
    func dispatchFollowsTheCPU() throws {
        #if arch(x86_64) && os(Linux)
        let info = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flags = Set(info.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
        let expected = flags.isSuperset(of: ["avx512f", "avx512vl"]) ? FEDTOP_ZIGGURAT_AVX512
            : flags.contains("avx2") ? FEDTOP_ZIGGURAT_AVX2 : FEDTOP_ZIGGURAT_SCALAR
        #expect(fedtop_ziggurat_best_variant() == Int32(expected))
        #else
        #expect(fedtop_ziggurat_best_variant() == Int32(FEDTOP_ZIGGURAT_SCALAR))
        #endif
        #expect(fedtop_ziggurat_rectangles_variant(fedtop_ziggurat_best_variant() + 1) == nil)
        #expect(fedtop_ziggurat_rectangles_variant(-1) == nil)
    }
}
