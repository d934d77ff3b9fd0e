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
        let keystream = seconds { for _ in 0..<count { sink ^= chacha.next() } }
        var buffer = [Float](repeating: 0, count: count)
        let secure = seconds { buffer.withUnsafeMutableBufferPointer { GaussianSampler.fill($0, std: 1, using: &chacha) } }
        var xoshiro = SeededGenerator(seed: 1)
        let seeded = seconds { buffer.withUnsafeMutableBufferPointer { GaussianSampler.fill($0, std: 1, using: &xoshiro) } }
        let n = Double(count)
        return Result(count: count, checksum: sink & 0xff, keystreamMegabytesPerSecond: 8 * n / keystream / 1e6,
                      secureMillionDrawsPerSecond: n / secure / 1e6, seededMillionDrawsPerSecond: n / seeded / 1e6)
    }
}

/// DP-SGD's noise as a step draws it: N(0, σ²C²) added to a model-sized vector in parallel ChaCha20
/// streams (``GaussianSampler/addNoise(to:std:chunks:makeGenerator:)``, ``DPSGD``'s streams), on every
/// core — against the ChaCha20 keystream's own rate in 64-bit words, the Ziggurat's input.
///
/// Contract: `repeats` noise additions to a vector of `parameters` floats, each with fresh streams (as
/// successive steps), timed together; draws/s per core is the total over the cores used.
public enum ParallelNoiseThroughput {
    public struct Result: Sendable {
        public var parameters: Int
        public var repeats: Int
        public var streams: Int
        public var cores: Int
        public var millionDrawsPerSecond: Double
        public var millionDrawsPerSecondPerCore: Double { millionDrawsPerSecond / Double(cores) }
        /// The keystream on one thread, in millions of 64-bit words per second (one word per draw, mostly).
        public var keystreamMillionWordsPerSecond: Double
    }

    public static func measure(parameters: Int, repeats: Int, streams: Int = DPSGD.noiseStreams) throws -> Result {
        let key = try ChaCha20Generator.secureKey()
        var vector = [Float](repeating: 0, count: parameters)
        let start = DispatchTime.now().uptimeNanoseconds
        for r in 0..<repeats {
            vector.withUnsafeMutableBufferPointer {
                GaussianSampler.addNoise(to: $0, std: 1, chunks: streams) { chunk in
                    ChaCha20Generator(key: key, stream: UInt64(1 + r * streams + chunk), secure: true)
                }
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var chacha = ChaCha20Generator(key: key, stream: 0, secure: true)
        let words = max(1_000_000, parameters * 4)
        var sink: UInt64 = 0
        let keystreamStart = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<words { sink ^= chacha.next() }
        let keystreamSeconds = Double(DispatchTime.now().uptimeNanoseconds - keystreamStart) / 1e9
        if sink == 0x5eed && vector[0] == .infinity { print("") }  // keeps both loops
        let cores = min(ComputePolicy.cores, max(1, min(streams, parameters / 4096)))
        return Result(parameters: parameters, repeats: repeats, streams: streams, cores: cores,
                      millionDrawsPerSecond: Double(parameters * repeats) / seconds / 1e6,
                      keystreamMillionWordsPerSecond: Double(words) / keystreamSeconds / 1e6)
    }
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
