import ArgumentParser
import Benchmarks
import Foundation
import TensorCore

/// `fedtop bench tensor`: the tensor core's GEMM, convolution and element-wise loops beside direct
/// OpenBLAS calls (``TensorCoreRates``).
struct BenchTensor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tensor",
        abstract: "GFLOP/s of the tensor core's GEMM and convolution beside direct OpenBLAS calls.")

    @Option(help: "Seconds to measure each row for.") var seconds = 0.5

    func validate() throws {
        guard seconds > 0 else { throw ValidationError("--seconds must be positive, got \(seconds)") }
    }

    func run() throws {
        ComputePolicy.configureBLAS()
        print("One thread (OpenBLAS \(BLAS.threads) thread); GFLOP/s, higher is better")
        print(pad("operation", 44) + pad("fedtop", 10, right: true) + pad("OpenBLAS", 10, right: true) + pad("ratio", 8, right: true))
        for row in try TensorCoreRates.measure(seconds: seconds) {
            guard let direct = row.direct else {
                print(pad(row.label, 44) + pad(Self.rate(row.ours), 10, right: true))
                continue
            }
            print(pad(row.label, 44) + pad(Self.rate(row.ours), 10, right: true) + pad(Self.rate(direct), 10, right: true)
                  + pad(Self.rate(row.ours / direct, decimals: 2), 8, right: true))
        }
    }

    /// A rate with `decimals` decimals, or two significant digits when that would print a measured,
    /// non-zero rate as 0 (a loaded machine: 0.04 GFLOP/s is "0.04", never "0.0").
    static func rate(_ x: Double, decimals: Int = 1) -> String {
        let fixed = String(format: "%.\(decimals)f", x)
        return x > 0 && Double(fixed) == 0 ? String(format: "%.2g", x) : fixed
    }
}
