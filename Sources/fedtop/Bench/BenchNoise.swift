import ArgumentParser
import Benchmarks
import Foundation

/// `fedtop bench noise`: the speed of DP noise on one thread (``NoiseThroughput``).
struct BenchNoise: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "noise", abstract: "Throughput of the noise sources (one thread).")

    @Option(help: "Draws per measurement.") var count = 4_000_000

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive, got \(count)") }
    }

    func run() throws {
        let r = try NoiseThroughput.measure(count: count)
        print("noise sources, one thread (\(count) draws; checksum \(r.checksum))")
        print(String(format: "ChaCha20 keystream           %8.0f MB/s", r.keystreamMegabytesPerSecond))
        print(String(format: "Gaussian, ChaCha20 (secure)  %8.1f M draws/s", r.secureMillionDrawsPerSecond))
        print(String(format: "Gaussian, xoshiro (seeded)   %8.1f M draws/s", r.seededMillionDrawsPerSecond))
    }
}
