import ArgumentParser
import Benchmarks
import Foundation
import TensorCore

/// `fedtop bench noise`: the speed of DP noise on one thread (``NoiseThroughput``), and as DP-SGD draws
/// it for a model-sized vector on every core (``ParallelNoiseThroughput``).
struct BenchNoise: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "noise", abstract: "Throughput of the noise sources (one thread), and DP-SGD's noise on a model-sized vector (all cores).")

    @Option(help: "Draws per measurement.") var count = 4_000_000
    @Option(help: "Parameters of the model-sized vector (the MLP's by default).") var parameters = 151_047
    @Option(help: "Noise additions to it (steps) timed together.") var repeats = 200

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive, got \(count)") }
        guard parameters > 0, repeats > 0 else { throw ValidationError("--parameters and --repeats must be positive") }
    }

    func run() throws {
        let r = try NoiseThroughput.measure(count: count)
        print("noise sources, one thread (\(count) draws; checksum \(r.checksum))")
        print(String(format: "ChaCha20 keystream           %8.0f MB/s", r.keystreamMegabytesPerSecond))
        print(String(format: "Gaussian, ChaCha20 (secure)  %8.1f M draws/s", r.secureMillionDrawsPerSecond))
        print(String(format: "Gaussian, xoshiro (seeded)   %8.1f M draws/s", r.seededMillionDrawsPerSecond))
        let p = try ParallelNoiseThroughput.measure(parameters: parameters, repeats: repeats)
        print("\nDP-SGD noise on a \(parameters)-parameter vector, \(p.streams) ChaCha20 streams per step, \(repeats) steps, "
              + "\(p.cores) core(s); " + CPUFeatures.line)
        print(String(format: "Gaussian draws, all cores      %8.1f M draws/s", p.millionDrawsPerSecond))
        print(String(format: "  per core                     %8.1f M draws/s", p.millionDrawsPerSecondPerCore))
        print(String(format: "ChaCha20 keystream alone, per core %6.1f M words/s  (the same streams and pieces; %.0f MB/s)",
                     p.keystreamMillionWordsPerSecondPerCore, 8 * p.keystreamMillionWordsPerSecondPerCore))
        print(String(format: "noise / keystream              %8.0f %%  (one word per draw ~97.2%% of the time: 100 %% is the keystream's speed)",
                     100 * p.fractionOfKeystream))
        print("  (the Ziggurat's rectangle pass: \(GaussianSampler.rectanglePass); noise and keystream interleaved step by step)")
    }
}
