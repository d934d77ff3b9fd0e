import Dispatch
import Privacy
import TensorCore

/// The speed of DP noise on one thread: the ChaCha20 keystream, and Gaussian draws through the
/// Ziggurat (``GaussianSampler``) from ChaCha20 (the secure source) and from xoshiro (the seeded one).
///
/// Contract: `count` draws per measurement, timed once each; rates are in MB/s (10⁶ bytes) for the
/// keystream and millions of draws per second for the Gaussians.
public enum NoiseThroughput {
    /// One measurement: the rates measured and the settings they were measured with.
    public struct Result: Sendable {
        public var count: Int
        /// The low byte of the XOR of the keystream (printed, so the loop is not optimised away).
        public var checksum: UInt64
        public var keystreamMegabytesPerSecond: Double
        public var secureMillionDrawsPerSecond: Double
        public var seededMillionDrawsPerSecond: Double
    }

    public static func measure(count: Int) throws -> Result {
        func seconds(_ body: () -> Void) -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        var chacha = try ChaCha20Generator()
        var sink: UInt64 = 0
        let keystream = keystreamRate(&chacha, words: count, sink: &sink)
        var buffer = [Float](repeating: 0, count: count)
        let secure = seconds { buffer.withUnsafeMutableBufferPointer { GaussianSampler.fill($0, std: 1, using: &chacha) } }
        var xoshiro = SeededGenerator(seed: 1)
        let seeded = seconds { buffer.withUnsafeMutableBufferPointer { GaussianSampler.fill($0, std: 1, using: &xoshiro) } }
        let n = Double(count)
        return Result(count: count, checksum: sink & 0xff, keystreamMegabytesPerSecond: 8 * n / keystream / 1e6,
                      secureMillionDrawsPerSecond: n / secure / 1e6, seededMillionDrawsPerSecond: n / seeded / 1e6)
    }
}

/// Seconds to take `words` words of keystream from `generator` as the Ziggurat does, a block of
/// ``GaussianSampler/blockWords`` at a time (``ChaCha20Generator/fill(words:)``); their XOR goes to `sink`.
func keystreamRate(_ generator: inout ChaCha20Generator, words: Int, sink: inout UInt64) -> Double {
    var block = [UInt64](repeating: 0, count: GaussianSampler.blockWords)
    let start = DispatchTime.now().uptimeNanoseconds
    var taken = 0
    while taken < words {
        let n = min(block.count, words - taken)
        block.withUnsafeMutableBufferPointer { generator.fill(words: UnsafeMutableBufferPointer(rebasing: $0[..<n])) }
        for i in 0..<n { sink ^= block[i] }
        taken += n
    }
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// DP-SGD's noise as a step draws it: N(0, σ²C²) added to a model-sized vector in parallel ChaCha20
/// streams (``GaussianSampler/addNoise(to:std:chunks:makeGenerator:)``, ``DPSGD``'s streams), on every
/// core — against the ChaCha20 keystream alone (64-bit words, the Ziggurat's input) taken in the same
/// streams, pieces and cores, so that the difference is the Ziggurat's own cost.
///
/// Contract: `repeats` noise additions to a vector of `parameters` floats, each with fresh streams (as
/// successive steps), and as many times the same number of keystream words in the same pieces, the
/// two interleaved step by step (each first on every other step) and each step timed; rates per
/// core are the totals over the cores used.
public enum ParallelNoiseThroughput {
    public struct Result: Sendable {
        public var parameters: Int
        public var repeats: Int
        public var streams: Int
        public var cores: Int
        public var millionDrawsPerSecond: Double
        public var millionDrawsPerSecondPerCore: Double { millionDrawsPerSecond / Double(cores) }
        /// The keystream in the same pieces on the same cores, in millions of 64-bit words per second.
        public var keystreamMillionWordsPerSecond: Double
        public var keystreamMillionWordsPerSecondPerCore: Double { keystreamMillionWordsPerSecond / Double(cores) }
        /// Gaussian draws per keystream word, as rates: 1 would be noise at the keystream's speed.
        public var fractionOfKeystream: Double { millionDrawsPerSecond / keystreamMillionWordsPerSecond }
    }

    public static func measure(parameters: Int, repeats: Int, streams: Int = DPSGD.noiseStreams) throws -> Result {
        let key = try ChaCha20Generator.secureKey()
        var vector = [Float](repeating: 0, count: parameters)
        let pieces = max(1, min(streams, parameters / 4096))
        let sinks = PieceSinks(UnsafeMutableBufferPointer<UInt64>.allocate(capacity: pieces))
        defer { sinks.value.deallocate() }
        sinks.value.initialize(repeating: 0)
        func noise(_ r: Int) {
            vector.withUnsafeMutableBufferPointer {
                GaussianSampler.addNoise(to: $0, std: 1, chunks: streams) { chunk in
                    ChaCha20Generator(key: key, stream: UInt64(1 + r * streams + chunk), secure: true)
                }
            }
        }
        // The keystream alone: the same words per piece, in the same pieces on the same cores.
        func keystream(_ r: Int) {
            DispatchQueue.concurrentPerform(iterations: pieces) { c in
                var chacha = ChaCha20Generator(key: key, stream: UInt64(1 + (repeats + r) * streams + c), secure: true)
                var sink: UInt64 = 0
                _ = keystreamRate(&chacha, words: (c + 1) * parameters / pieces - c * parameters / pieces, sink: &sink)
                sinks.value[c] ^= sink
            }
        }
        // Step by step, the two interleaved and each first every other step, so that a shared
        // machine's other load, the clock and the caches fall on both alike.
        var noiseNanoseconds: UInt64 = 0, keystreamNanoseconds: UInt64 = 0
        for r in 0..<repeats {
            for isNoise in [r % 2 == 0, r % 2 != 0] {
                let start = DispatchTime.now().uptimeNanoseconds
                if isNoise { noise(r) } else { keystream(r) }
                let elapsed = DispatchTime.now().uptimeNanoseconds - start
                if isNoise { noiseNanoseconds += elapsed } else { keystreamNanoseconds += elapsed }
            }
        }
        let seconds = Double(noiseNanoseconds) / 1e9, keystreamSeconds = Double(keystreamNanoseconds) / 1e9
        if sinks.value.reduce(0, ^) == 0x5eed && vector[0] == .infinity { print("") }  // keeps both loops
        let cores = min(ComputePolicy.cores, pieces)
        return Result(parameters: parameters, repeats: repeats, streams: streams, cores: cores,
                      millionDrawsPerSecond: Double(parameters * repeats) / seconds / 1e6,
                      keystreamMillionWordsPerSecond: Double(parameters * repeats) / keystreamSeconds / 1e6)
    }
}

/// One XOR sink per piece, each written by its own piece only.
private struct PieceSinks: @unchecked Sendable {
    let value: UnsafeMutableBufferPointer<UInt64>
    init(_ value: UnsafeMutableBufferPointer<UInt64>) { self.value = value }
}

/// The cost of the RDP accountant (``RDPAccountant``) over a long mixed history: reading ε (every
/// frame of the console does) and adding a segment (every change of σ, C or q).
///
/// Contract: `segments` segments of q = 0.01 and 100 steps with σ cycling over 50 values from 0.8,
/// then 10,000 readouts at δ = 1e-5; times are the mean per operation in milliseconds.
public enum AccountantCost {
    /// One measurement: the mean time of a readout and of adding a segment.
    public struct Result: Sendable {
        public var orders: Int
        public var segments: Int
        /// The mean ε read (the same every time: printed, so the reads are not optimised away).
        public var epsilon: Double
        public var readoutMilliseconds: Double
        public var composeMilliseconds: Double
    }

    public static func measure(segments: Int) throws -> Result {
        var accountant = RDPAccountant()
        let composeStart = DispatchTime.now().uptimeNanoseconds
        for i in 0..<segments {
            accountant.compose(try PrivacySegment(sampleRate: 0.01, noiseMultiplier: 0.8 + Double(i % 50) * 0.05, steps: 100))
        }
        let compose = Double(DispatchTime.now().uptimeNanoseconds - composeStart) / 1e6 / Double(segments)
        let reads = 10_000
        var sink = 0.0
        let readStart = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<reads { sink += accountant.epsilon(delta: 1e-5).epsilon }
        let read = Double(DispatchTime.now().uptimeNanoseconds - readStart) / 1e6 / Double(reads)
        return Result(orders: accountant.orders.count, segments: accountant.segments.count, epsilon: sink / Double(reads),
                      readoutMilliseconds: read, composeMilliseconds: compose)
    }
}
