import CBLAS
import Dispatch
import TensorCore

/// The tensor core's GEMM, convolution and element-wise loops, each beside a direct OpenBLAS call on
/// the same shape, on one thread each (fedtop's threading policy, ``BLAS``).
///
/// Contract: every rate is measured for `seconds` after one warm-up call, in GFLOP/s (Gelem/s for
/// ReLU); a row's `direct` is nil when there is no OpenBLAS counterpart. The caller configures BLAS
/// (`ComputePolicy.configureBLAS()`) first.
public enum TensorCoreRates {
    /// One operation: the tensor core's rate and OpenBLAS's on the same shape.
    public struct Row: Sendable {
        public var label: String
        public var ours: Double
        public var direct: Double?
    }

    /// Every row, in the order the benchmark prints them.
    public static func measure(seconds: Double) throws -> [Row] {
        let meter = Meter(seconds: seconds)
        var rows: [Row] = []
        for (m, n, k, label) in [(256, 256, 256, "GEMM 256³"), (1024, 1024, 1024, "GEMM 1024³"),
                                 (64, 128, 1568, "GEMM 64×128×1568 (SmallCNN fc1)"),
                                 (32, 6272, 144, "GEMM 32×6272×144 (conv2, 32 samples)")] {
            let flops = 2.0 * Double(m * n * k)
            let a = Tensor(shape: [m, k], repeating: 0.5), b = Tensor(shape: [k, n], repeating: 0.25)
            let ours = meter.rate(flops) { _ = a.matmul(b) }
            rows.append(Row(label: label, ours: ours, direct: meter.directGEMM(m: m, n: n, k: k, flops: flops)))
        }
        rows += try meter.convolutionRows()
        rows += meter.elementwiseRows()
        return rows
    }

    private struct Meter {
        let seconds: Double

        /// Operations per second of `body`, in billions, measured for `seconds` after one warm-up call.
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
        func convolutionRows() throws -> [Row] {
            let batch = 32
            let conv = Conv2d("conv2", inputChannels: 16, outputChannels: 32, kernelSize: 3, padding: 1)
            let model = try Sequential(kind: "bench", inputShape: [16, 14, 14], layers: [conv], seed: 1)
            let x = Tensor(shape: [batch, 16, 14, 14], repeating: 0.1)
            let flops = 2.0 * Double(32 * 144 * batch * 196)
            let workspaces = model.makeWorkspaces()
            let forward = rate(flops) { _ = model.forward(x, workspaces: workspaces) }
            let first = Row(label: "Conv2d 16→32 3×3 on 14×14, forward", ours: forward,
                            direct: directGEMM(m: 32, n: batch * 196, k: 144, flops: flops))
            let labels = [Int](repeating: 0, count: batch)
            let head = try Sequential(kind: "bench", inputShape: [16, 14, 14], layers: [
                Conv2d("conv2", inputChannels: 16, outputChannels: 32, kernelSize: 3, padding: 1), Flatten(),
                Linear("fc", inputs: 32 * 196, outputs: 1),
            ], seed: 1)
            let computer = GradientComputer(workers: 1)
            let both = rate(3 * flops) { _ = computer.compute(model: head, inputs: x, labels: labels) }
            let bare = 3 * flops / (3 * flops / directGEMM(m: 32, n: batch * 196, k: 144, flops: flops))
            return [first, Row(label: "Conv2d forward + backward (+ a 1-unit head)", ours: both, direct: bare)]
        }

        /// y ← a·x + y over 1M scalars: the plain Swift loop (vectorised by the compiler) vs cblas_saxpy;
        /// and ReLU's forward loop alone.
        func elementwiseRows() -> [Row] {
            let n = 1 << 20
            let x = Tensor(shape: [n], repeating: 1)
            var y = Tensor(shape: [n], repeating: 0)
            let loop = rate(2.0 * Double(n)) { y.add(x, scaledBy: 1e-6) }
            var yd = [Float](repeating: 0, count: n)
            let xd = [Float](repeating: 1, count: n)
            let direct = rate(2.0 * Double(n)) {
                yd.withUnsafeMutableBufferPointer { cblas_saxpy(Int32(n), 1e-6, xd, 1, $0.baseAddress, 1) }
            }
            let relu = ReLU()
            let ws = LayerWorkspace()
            let reluRate = rate(Double(n)) {
                _ = relu.forward(x, parameters: UnsafeBufferPointer(start: nil, count: 0), workspace: ws)
            }
            return [Row(label: "axpy, 1M scalars (Swift loop vs saxpy)", ours: loop, direct: direct),
                    Row(label: "ReLU forward, 1M scalars (Gelem/s; loop)", ours: reluRate, direct: nil)]
        }
    }
}
