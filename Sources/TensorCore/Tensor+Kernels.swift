/// Internal construction and raw access for the tensor core's kernels.
///
/// Kernels write through `mutablePointer` into tensors they have just created (so uniquely
/// referenced): no copy-on-write check per element, and no zero fill when every scalar is written.
extension Tensor {
    /// A tensor whose scalars are unspecified until written; every caller overwrites all of them.
    static func uninitialized(shape: [Int]) -> Tensor {
        Tensor(shape: shape, storage: TensorStorage(count: elementCount(shape), zeroed: false))
    }

    /// The scalars, read-only, for kernels.
    @inline(__always) var pointer: UnsafePointer<Float> { UnsafePointer(storage.pointer) }

    /// The scalars, writable, for kernels writing into a tensor they own exclusively.
    @inline(__always) var mutablePointer: UnsafeMutablePointer<Float> { storage.pointer }
}
