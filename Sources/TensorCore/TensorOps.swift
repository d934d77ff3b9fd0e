/// Element-wise arithmetic and reductions on ``Tensor``.
///
/// Contract: binary operations need equal shapes (a trap names both otherwise); results are new
/// tensors except for the `mutating` forms, which write in place after copy-on-write. The loops are
/// plain counted loops over contiguous buffers, which the Swift compiler vectorises in release
/// builds (`fedtop bench tensor` shows their throughput beside BLAS's).
extension Tensor {
    @inline(__always)
    private static func checkSameShape(_ a: Tensor, _ b: Tensor, _ op: String) {
        precondition(a.shape == b.shape, "Tensor \(op): shapes \(a.shape) and \(b.shape) differ")
    }

    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        checkSameShape(lhs, rhs, "+")
        let out = Tensor.uninitialized(shape: lhs.shape)
        let a = lhs.pointer, b = rhs.pointer, o = out.mutablePointer
        for i in 0..<lhs.count { o[i] = a[i] + b[i] }
        return out
    }

    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor {
        checkSameShape(lhs, rhs, "-")
        let out = Tensor.uninitialized(shape: lhs.shape)
        let a = lhs.pointer, b = rhs.pointer, o = out.mutablePointer
        for i in 0..<lhs.count { o[i] = a[i] - b[i] }
        return out
    }

    public static func * (lhs: Float, rhs: Tensor) -> Tensor {
        let out = Tensor.uninitialized(shape: rhs.shape)
        let b = rhs.pointer, o = out.mutablePointer
        for i in 0..<rhs.count { o[i] = lhs * b[i] }
        return out
    }

    public static func += (lhs: inout Tensor, rhs: Tensor) {
        lhs.add(rhs, scaledBy: 1)
    }

    public static func -= (lhs: inout Tensor, rhs: Tensor) {
        lhs.add(rhs, scaledBy: -1)
    }

    /// self ← self + alpha · other (an axpy).
    public mutating func add(_ other: Tensor, scaledBy alpha: Float) {
        Tensor.checkSameShape(self, other, "add(_:scaledBy:)")
        makeUnique()
        let b = other.pointer, o = mutablePointer
        for i in 0..<count { o[i] += alpha * b[i] }
    }

    /// self ← alpha · self.
    public mutating func scale(by alpha: Float) {
        makeUnique()
        let o = mutablePointer
        for i in 0..<count { o[i] *= alpha }
    }

    /// The tensor with `body` applied to every scalar.
    public func map(_ body: (Float) -> Float) -> Tensor {
        let out = Tensor.uninitialized(shape: shape)
        let a = pointer, o = out.mutablePointer
        for i in 0..<count { o[i] = body(a[i]) }
        return out
    }

    /// Σ of all scalars, accumulated in Double.
    public func sum() -> Double {
        var s = 0.0
        let a = pointer
        for i in 0..<count { s += Double(a[i]) }
        return s
    }

    /// The mean of all scalars (0 for an empty tensor).
    public func mean() -> Double { count == 0 ? 0 : sum() / Double(count) }

    /// Σ x², accumulated in Double.
    public func squaredNorm() -> Double {
        var s = 0.0
        let a = pointer
        for i in 0..<count { let x = Double(a[i]); s += x * x }
        return s
    }

    /// The L2 norm of all scalars as one vector.
    public func norm() -> Double { squaredNorm().squareRoot() }

    /// Σ x·y over two tensors of the same shape, accumulated in Double.
    public func dot(_ other: Tensor) -> Double {
        Tensor.checkSameShape(self, other, "dot")
        var s = 0.0
        let a = pointer, b = other.pointer
        for i in 0..<count { s += Double(a[i]) * Double(b[i]) }
        return s
    }

    /// Whether every scalar is finite (no NaN, no ±∞).
    public var isFinite: Bool {
        let a = pointer
        for i in 0..<count where !a[i].isFinite { return false }
        return true
    }

    /// The largest |x| (0 for an empty tensor).
    public func maxAbs() -> Float {
        var m: Float = 0
        let a = pointer
        for i in 0..<count { m = Swift.max(m, Swift.abs(a[i])) }
        return m
    }

    /// For a `[rows, columns]` tensor, the column index of each row's largest scalar (first on ties).
    public func argmaxRows() -> [Int] {
        precondition(rank == 2, "Tensor argmaxRows: needs rank 2, got \(shape)")
        let rows = shape[0], cols = shape[1]
        let a = pointer
        return (0..<rows).map { r in
            var best = 0
            for c in 1..<Swift.max(cols, 1) where a[r * cols + c] > a[r * cols + best] { best = c }
            return best
        }
    }
}

/// Matrix products on ``Tensor`` (through ``BLAS``).
extension Tensor {
    /// The matrix product op(self) · op(other) of two rank-2 tensors, with transposes by flag.
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
        precondition(rank == 2 && other.rank == 2, "Tensor matmul: needs rank 2, got \(shape) and \(other.shape)")
        let m = transposeSelf ? shape[1] : shape[0]
        let k = transposeSelf ? shape[0] : shape[1]
        let k2 = transposeOther ? other.shape[1] : other.shape[0]
        let n = transposeOther ? other.shape[0] : other.shape[1]
        precondition(k == k2, "Tensor matmul: inner dimensions differ: \(shape)\(transposeSelf ? "ᵀ" : "") · \(other.shape)\(transposeOther ? "ᵀ" : "")")
        let out = Tensor.uninitialized(shape: [m, n])
        BLAS.gemm(transposeA: transposeSelf, transposeB: transposeOther, m: m, n: n, k: k,
                  a: pointer, lda: shape[1], b: other.pointer, ldb: other.shape[1],
                  c: out.mutablePointer, ldc: n)
        return out
    }

    /// The transpose of a rank-2 tensor (a copy).
    public func transposed() -> Tensor {
        precondition(rank == 2, "Tensor transposed: needs rank 2, got \(shape)")
        let r = shape[0], c = shape[1]
        let out = Tensor.uninitialized(shape: [c, r])
        let a = pointer, o = out.mutablePointer
        for i in 0..<r { for j in 0..<c { o[j * r + i] = a[i * c + j] } }
        return out
    }
}
