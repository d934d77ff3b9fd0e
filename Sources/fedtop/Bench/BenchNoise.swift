import ArgumentParser
import Dispatch
import Privacy
import TensorCore

/// `fedtop bench noise`: the speed of DP noise: the ChaCha20 keystream, and Gaussian draws through
/// the Ziggurat from ChaCha20 (the secure source) and from xoshiro (the seeded one), one thread.
struct BenchNoise: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "noise", abstract: "Throughput of the noise sources (one thread).")

    @Option(help: "Draws per measurement.") var count = 4_000_000

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive, got \(count)") }
    }

    func seconds(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    func run() throws {
        var chacha = try ChaCha20Generator()
        var sink: UInt64 = 0
        let keystream = seconds { for _ in 0..<count { sink ^= chacha.next() } }
        var buffer = [Float](repeating: 0, count: count)
        let secure = seconds { buffer.withUnsafeMutableBufferPointer { GaussianSampler.fill($0, std: 1, using: &chacha) } }
        var xoshiro = SeededGenerator(seed: 1)
        let seeded = seconds { buffer.withUnsafeMutableBufferPointer { GaussianSampler.fill($0, std: 1, using: &xoshiro) } }
        let n = Double(count)
        print("noise sources, one thread (\(count) draws; checksum \(sink & 0xff))")
        print(String(format: "ChaCha20 keystream           %8.0f MB/s", 8 * n / keystream / 1e6))
        print(String(format: "Gaussian, ChaCha20 (secure)  %8.1f M draws/s", n / secure / 1e6))
        print(String(format: "Gaussian, xoshiro (seeded)   %8.1f M draws/s", n / seeded / 1e6))
    }
}
