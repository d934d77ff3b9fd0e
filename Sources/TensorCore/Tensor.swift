/// A dense, row-major (C order) array of Float32 scalars with a shape: the one numeric type of fedtop.
///
/// `Tensor` is a value type. Copies share one ``TensorStorage`` until one of them is written to, and
/// the writer then copies it first (copy-on-write), so passing models and updates around is cheap and
/// never aliases. Contract:
/// - `shape` has no negative dimension; `count` is the product of the dimensions (1 for rank 0).
/// - Scalars are contiguous; `reshaped(_:)` never copies, element ops never change the shape.
/// - Shape mismatches in the operations are programmer errors and trap with a message naming both
///   shapes; data that comes from outside (files, peers) is validated before it becomes a tensor.
public struct Tensor: Sendable {
    /// The dimensions, outermost first. For a batch of images: `[batch, channels, height, width]`.
    public private(set) var shape: [Int]
    @usableFromInline var storage: TensorStorage

    /// The number of scalars.
    public var count: Int { storage.count }
    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// A tensor of the given shape filled with `value` (zero by default).
    public init(shape: [Int], repeating value: Float = 0) {
        let n = Tensor.elementCount(shape)
        self.shape = shape
        storage = TensorStorage(count: n, repeating: value)
    }

    /// A tensor of the given shape holding `scalars` in row-major order.
    /// - Precondition: `scalars.count` equals the product of `shape`.
    public init(shape: [Int], scalars: [Float]) {
        let n = Tensor.elementCount(shape)
        precondition(scalars.count == n,
                     "Tensor: \(scalars.count) scalars do not fill shape \(shape) (\(n) needed)")
        self.shape = shape
        storage = TensorStorage(count: n)
        if n > 0 { scalars.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: n) } }
    }

    /// A rank-1 tensor holding `scalars`.
    public init(_ scalars: [Float]) {
        self.init(shape: [scalars.count], scalars: scalars)
    }

    /// A tensor of the given shape whose scalars are written by `body` into a zero-filled buffer.
    public init(shape: [Int], initializingWith body: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
        let n = Tensor.elementCount(shape)
        self.shape = shape
        storage = TensorStorage(count: n)
        try body(UnsafeMutableBufferPointer(start: storage.pointer, count: n))
    }

    init(shape: [Int], storage: TensorStorage) {
        self.shape = shape
        self.storage = storage
    }

    /// The product of the dimensions of `shape`.
    /// - Precondition: no dimension is negative.
    public static func elementCount(_ shape: [Int]) -> Int {
        var n = 1
        for d in shape {
            precondition(d >= 0, "Tensor: negative dimension in shape \(shape)")
            n *= d
        }
        return n
    }

    /// The scalars in row-major order, as an array (a copy).
    public var scalars: [Float] {
        Array(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// Whether the two tensors share one storage (they are copies not yet written to).
    public func sharesStorage(with other: Tensor) -> Bool { storage === other.storage }

    /// Makes the storage unique before a write (the copy in copy-on-write).
    @inlinable
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    /// Calls `body` with the scalars, read-only.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// Calls `body` with the scalars, writable; copies the storage first if it is shared.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        makeUnique()
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// The scalar at a flat (row-major) index.
    @inlinable
    public subscript(flat index: Int) -> Float {
        get {
            precondition(index >= 0 && index < count, "Tensor: flat index \(index) out of 0..<\(count)")
            return storage.pointer[index]
        }
        set {
            precondition(index >= 0 && index < count, "Tensor: flat index \(index) out of 0..<\(count)")
            makeUnique()
            storage.pointer[index] = newValue
        }
    }

    /// The scalar at a multi-dimensional index, one index per dimension.
    public subscript(_ indices: Int...) -> Float {
        get { self[flat: flatIndex(indices)] }
        set { self[flat: flatIndex(indices)] = newValue }
    }

    func flatIndex(_ indices: [Int]) -> Int {
        precondition(indices.count == shape.count, "Tensor: \(indices.count) indices for shape \(shape)")
        var flat = 0
        for (i, d) in zip(indices, shape) {
            precondition(i >= 0 && i < d, "Tensor: index \(indices) out of shape \(shape)")
            flat = flat * d + i
        }
        return flat
    }

    /// The same scalars seen with another shape of the same element count; never copies.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(Tensor.elementCount(newShape) == count,
                     "Tensor: cannot reshape \(shape) (\(count) scalars) to \(newShape)")
        return Tensor(shape: newShape, storage: storage)
    }

    /// The tensor as a rank-1 vector; never copies.
    public var flattened: Tensor { reshaped([count]) }

    /// The number of scalars in one item along the first dimension (for `[batch, ...]`, one sample).
    public var itemCount: Int { shape.isEmpty ? 1 : (shape[0] == 0 ? Tensor.elementCount(Array(shape.dropFirst())) : count / shape[0]) }

    /// The items `range` along the first dimension, copied into a new tensor.
    public func slice(_ range: Range<Int>) -> Tensor {
        precondition(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0],
                     "Tensor: slice \(range) out of first dimension of \(shape)")
        var newShape = shape
        newShape[0] = range.count
        let stride = itemCount
        return Tensor(shape: newShape) { out in
            out.baseAddress!.update(from: storage.pointer + range.lowerBound * stride, count: range.count * stride)
        }
    }

    /// The items at `indices` along the first dimension, in that order, copied into a new tensor.
    public func gathering(_ indices: [Int]) -> Tensor {
        precondition(rank >= 1, "Tensor: gathering from a rank-0 tensor")
        var newShape = shape
        newShape[0] = indices.count
        let stride = itemCount
        return Tensor(shape: newShape) { out in
            for (row, index) in indices.enumerated() {
                precondition(index >= 0 && index < shape[0], "Tensor: gather index \(index) out of 0..<\(shape[0])")
                (out.baseAddress! + row * stride).update(from: storage.pointer + index * stride, count: stride)
            }
        }
    }

    /// The tensors joined along the first dimension.
    /// - Precondition: all have the same item shape.
    public static func concatenating(_ parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty, "Tensor: concatenating no tensors")
        let itemShape = Array(parts[0].shape.dropFirst())
        let rows = parts.reduce(0) { total, part in
            precondition(Array(part.shape.dropFirst()) == itemShape,
                         "Tensor: concatenating item shapes \(itemShape) and \(Array(part.shape.dropFirst()))")
            return total + part.shape[0]
        }
        return Tensor(shape: [rows] + itemShape) { out in
            var offset = 0
            for part in parts {
                (out.baseAddress! + offset).update(from: part.storage.pointer, count: part.count)
                offset += part.count
            }
        }
    }
}

extension Tensor: Equatable {
    /// Equal when the shapes are equal and every scalar compares equal (so NaN ≠ NaN).
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        guard lhs.shape == rhs.shape else { return false }
        if lhs.storage === rhs.storage { return !lhs.scalars.contains { $0.isNaN } }
        for i in 0..<lhs.count where lhs.storage.pointer[i] != rhs.storage.pointer[i] { return false }
        return true
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), scalars: [\(shown)\(count > 8 ? ", …" : "")])"
    }
}
