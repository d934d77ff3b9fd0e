import Foundation

/// How fedtop uses the machine's cores for tensor work.
///
/// Contract: OpenBLAS runs one thread per call; parallelism comes from fedtop's own workers (batch
/// chunks in ``GradientComputer``, hospitals on a bounded concurrent queue in the engine), at most
/// ``cores`` at once. `FEDTOP_WORKERS` overrides the core count (for benchmarks and tests).
public enum ComputePolicy {
    /// The cores this process may use (or `FEDTOP_WORKERS` when set to a positive number).
    public static var cores: Int {
        if let s = ProcessInfo.processInfo.environment["FEDTOP_WORKERS"], let n = Int(s), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    private static let blasConfigured: Bool = {
        BLAS.setThreads(1)
        return true
    }()

    /// Sets OpenBLAS to one thread per call (idempotent, thread-safe).
    public static func configureBLAS() {
        _ = blasConfigured
    }
}
