import ArgumentParser
import Benchmarks
import Foundation
import TensorCore

/// `fedtop bench dpsgd`: SmallCNN training throughput at batch 64, without privacy and with DP-SGD
/// as fedtop trains, side by side (``DPSGDThroughput``).
struct BenchDPSGD: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dpsgd",
        abstract: "SmallCNN training throughput (samples/s), non-private vs DP-SGD, batch 64.")

    @Option(help: "Samples per batch.") var batchSize = 64
    @Option(help: "Seconds to measure each mode for (after warm-up).") var seconds = 4.0
    @Option(help: "Warm-up steps before measuring.") var warmup = 5
    @Option(help: "Worker threads (default: the cores this process may use).") var workers = ComputePolicy.cores
    @Option(help: "OpenBLAS threads per call (fedtop's policy is 1; more oversubscribes unless --workers 1).") var blasThreads = 1
    @Option(help: "Per-sample clip norm C.") var clip: Float = 1.0
    @Option(help: "Noise multiplier σ.") var noise: Float = 1.0
    @Flag(help: "Print one JSON object instead of a table.") var json = false

    func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive, got \(batchSize)") }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive, got \(seconds)") }
        guard warmup >= 0 else { throw ValidationError("--warmup must be ≥ 0, got \(warmup)") }
        guard workers > 0 else { throw ValidationError("--workers must be positive, got \(workers)") }
        guard blasThreads > 0 else { throw ValidationError("--blas-threads must be positive, got \(blasThreads)") }
        guard clip > 0 else { throw ValidationError("--clip must be positive, got \(clip)") }
        guard noise >= 0 else { throw ValidationError("--noise must be ≥ 0, got \(noise)") }
    }

    func run() throws {
        ComputePolicy.configureBLAS()
        BLAS.setThreads(blasThreads)
        let plain = try DPSGDThroughput.measure(private: false, batchSize: batchSize, seconds: seconds, warmup: warmup,
                                                workers: workers, clip: clip, noise: noise)
        let dp = try DPSGDThroughput.measure(private: true, batchSize: batchSize, seconds: seconds, warmup: warmup,
                                             workers: workers, clip: clip, noise: noise)
        let ratio = plain.samplesPerSecond / dp.samplesPerSecond
        if json {
            let object: [String: Any] = [
                "model": "smallcnn", "batch_size": batchSize, "workers": workers, "blas_threads": blasThreads, "clip": clip, "noise": noise,
                "nonprivate_samples_per_s": plain.samplesPerSecond.rounded(),
                "dpsgd_samples_per_s": dp.samplesPerSecond.rounded(),
                "slowdown": (ratio * 1000).rounded() / 1000,
                "target_dpsgd_samples_per_s": 8000, "target_slowdown": 1.3,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("SmallCNN (\(plain.parameters) parameters), batch \(batchSize), \(workers) worker thread(s), OpenBLAS \(blasThreads) thread(s) each")
        print(pad("mode", 34) + pad("samples/s", 12, right: true) + pad("steps", 8, right: true))
        print(pad("fedtop, no privacy", 34) + pad(String(format: "%.0f", plain.samplesPerSecond), 12, right: true)
              + pad("\(plain.steps)", 8, right: true))
        print(pad("fedtop DP-SGD (C \(clip), σ \(noise))", 34) + pad(String(format: "%.0f", dp.samplesPerSecond), 12, right: true)
              + pad("\(dp.steps)", 8, right: true))
        print(String(format: "DP-SGD slowdown: %.2f× (target ≤ 1.30×); DP-SGD target ≥ 8000 samples/s: %@",
                     ratio, dp.samplesPerSecond >= 8000 ? "met" : "not met"))
        print("Anchors on this machine (shared/anchors): PyTorch no privacy 5,600–7,200; Opacus ghost clipping 3,300; Opacus hooks 1,200")
    }
}

/// `s` padded with spaces to `width` (on the left with `right`), or followed by one space if longer.
func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
    let n = s.count
    guard n < width else { return s + " " }
    let fill = String(repeating: " ", count: width - n)
    return right ? fill + s : s + fill
}
