import ArgumentParser
import CBLAS
import Dispatch
import TensorCore

/// `fedtop bench tensor`: the tensor core's GEMM, convolution and element-wise loops, each beside a
/// direct OpenBLAS call on the same shape, on one thread each (fedtop's threading policy, ``BLAS``).
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
        for (m, n, k, label) in [(256, 256, 256, "GEMM 256³"), (1024, 1024, 1024, "GEMM 1024³"),
                                 (64, 128, 1568, "GEMM 64×128×1568 (SmallCNN fc1)"),
                                 (32, 6272, 144, "GEMM 32×6272×144 (conv2, 32 samples)")] {
            let flops = 2.0 * Double(m * n * k)
            let a = Tensor(shape: [m, k], repeating: 0.5), b = Tensor(shape: [k, n], repeating: 0.25)
            let ours = rate(flops) { _ = a.matmul(b) }
            let direct = directGEMM(m: m, n: n, k: k, flops: flops)
            row(label, ours, direct)
        }
        try convolutionRows()
        elementwiseRows()
    }

    /// Operations per second of `body`, measured for `seconds` after one warm-up call.
    func rate(_ operations: Double, _ body: () -> Void) -> Double {
        body()
        let start = DispatchTime.now().uptimeNanoseconds
        var calls = 0, elapsed = 0.0
        repeat {
            body()
            calls += 1
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        } while elapsed < seconds
        return operations * Double(calls) / elapsed / 1e9
    }

    func row(_ label: String, _ ours: Double, _ direct: Double, unit: String = "") {
        print(pad(label, 44) + pad(Self.rate(ours), 10, right: true)
              + pad(Self.rate(direct), 10, right: true) + pad(Self.rate(ours / direct, decimals: 2), 8, right: true)
              + unit)
    }

    func directGEMM(m: Int, n: Int, k: Int, flops: Double) -> Double {
        let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: k * n)
        var c = [Float](repeating: 0, count: m * n)
        return rate(flops) {
            c.withUnsafeMutableBufferPointer { cp in
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1,
                            a, Int32(k), b, Int32(n), 0, cp.baseAddress, Int32(n))
            }
        }
    }

    /// SmallCNN's conv2 on 32 samples: the layer (im2col + GEMM + bias) vs the bare GEMM of the same
    /// FLOPs (the im2col method's ceiling); and forward + backward vs the three bare GEMMs.
    func convolutionRows() throws {
        let batch = 32
        let conv = Conv2d("conv2", inputChannels: 16, outputChannels: 32, kernelSize: 3, padding: 1)
        let model = try Sequential(kind: "bench", inputShape: [16, 14, 14], layers: [conv], seed: 1)
        let x = Tensor(shape: [batch, 16, 14, 14], repeating: 0.1)
        let flops = 2.0 * Double(32 * 144 * batch * 196)
        let workspaces = model.makeWorkspaces()
        let forward = rate(flops) { _ = model.forward(x, workspaces: workspaces) }
        row("Conv2d 16→32 3×3 on 14×14, forward", forward, directGEMM(m: 32, n: batch * 196, k: 144, flops: flops))
        let labels = [Int](repeating: 0, count: batch)
        let head = try Sequential(kind: "bench", inputShape: [16, 14, 14], layers: [
            Conv2d("conv2", inputChannels: 16, outputChannels: 32, kernelSize: 3, padding: 1), Flatten(),
            Linear("fc", inputs: 32 * 196, outputs: 1),
        ], seed: 1)
        let computer = GradientComputer(workers: 1)
        let both = rate(3 * flops) { _ = computer.compute(model: head, inputs: x, labels: labels) }
        let bare = 3 * flops / (3 * flops / directGEMM(m: 32, n: batch * 196, k: 144, flops: flops))
        row("Conv2d forward + backward (+ a 1-unit head)", both, bare)
    }

    /// y ← a·x + y over 1M scalars: the plain Swift loop (vectorised by the compiler) vs cblas_saxpy.
    func elementwiseRows() {
        let n = 1 << 20
        let x = Tensor(shape: [n], repeating: 1)
        var y = Tensor(shape: [n], repeating: 0)
        let loop = rate(2.0 * Double(n)) { y.add(x, scaledBy: 1e-6) }
        var yd = [Float](repeating: 0, count: n)
        let xd = [Float](repeating: 1, count: n)
        let direct = rate(2.0 * Double(n)) {
            yd.withUnsafeMutableBufferPointer { cblas_saxpy(Int32(n), 1e-6, xd, 1, $0.baseAddress, 1) }
        }
        row("axpy, 1M scalars (Swift loop vs saxpy)", loop, direct)
        let relu = ReLU()
        let ws = LayerWorkspace()
        let reluRate = rate(Double(n)) {
            _ = relu.forward(x, parameters: UnsafeBufferPointer(start: nil, count: 0), workspace: ws)
        }
        print(pad("ReLU forward, 1M scalars (Gelem/s; loop)", 44) + pad(Self.rate(reluRate), 10, right: true))
    }

    /// A rate with `decimals` decimals, or two significant digits when that would print a measured,
    /// non-zero rate as 0 (a loaded machine: 0.04 GFLOP/s is "0.04", never "0.0").
    static func rate(_ x: Double, decimals: Int = 1) -> String {
        let fixed = String(format: "%.\(decimals)f", x)
        return x > 0 && Double(fixed) == 0 ? String(format: "%.2g", x) : fixed
    }
}
