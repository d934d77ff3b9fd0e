import CBLAS

/// The tensor core's only door to OpenBLAS: single-precision matrix products and vector kernels.
///
/// Contract: matrices are row-major; a transpose is a flag, never a copy; leading dimensions are the
/// row strides as stored. All of fedtop's BLAS calls go through here, so the threading policy below
/// holds everywhere.
///
/// Threads: OpenBLAS runs single-threaded (`openblas_set_num_threads(1)`), and fedtop parallelises
/// one level up, by splitting a batch across ``ComputePolicy/workers`` or by training hospitals
/// concurrently. Two levels of threads on two cores would oversubscribe the machine.
public enum BLAS {
    /// Sets OpenBLAS's own thread count (fedtop keeps it at 1; see the type's note).
    public static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    /// The number of threads OpenBLAS is set to use.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// C ← alpha · op(A) · op(B) + beta · C, with op(X) = Xᵀ when the flag is set.
    ///
    /// op(A) is m×k, op(B) is k×n, C is m×n; `lda`, `ldb`, `ldc` are the row strides of A, B and C
    /// as stored (so for a transposed A stored as k×m, `lda` ≥ m).
    @inline(__always)
    public static func gemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 {  // OpenBLAS leaves C untouched for k = 0; the maths says C ← beta·C.
            for row in 0..<m { scale(c + row * ldc, count: n, by: beta) }
            return
        }
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// y ← alpha · op(A) · x + beta · y, with A stored m×n row-major.
    @inline(__always)
    public static func gemv(
        transpose: Bool = false, m: Int, n: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>,
        beta: Float = 0, y: UnsafeMutablePointer<Float>
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemv(CblasRowMajor, transpose ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }

    /// y ← alpha · x + y over `count` contiguous scalars.
    @inline(__always)
    public static func axpy(count: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        guard count > 0 else { return }
        cblas_saxpy(Int32(count), alpha, x, 1, y, 1)
    }

    /// x ← alpha · x over `count` contiguous scalars (a plain loop: 0·NaN must give 0 for beta = 0).
    @inline(__always)
    public static func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by alpha: Float) {
        if alpha == 1 { return }
        if alpha == 0 { x.update(repeating: 0, count: count); return }
        for i in 0..<count { x[i] *= alpha }
    }

    /// Σ x·y over `count` contiguous scalars.
    @inline(__always)
    public static func dot(count: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
        guard count > 0 else { return 0 }
        return cblas_sdot(Int32(count), x, 1, y, 1)
    }
}
