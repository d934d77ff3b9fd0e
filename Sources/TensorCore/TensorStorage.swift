/// The heap storage behind a ``Tensor``: a 64-byte-aligned buffer of Float32 scalars.
///
/// Contract: the buffer holds exactly `count` initialised scalars for the storage's whole life.
/// It is shared between tensor copies and copied by ``Tensor`` before the first write to a shared
/// instance (`isKnownUniquelyReferenced`), the way SwiftNIO's `ByteBuffer` copies its storage.
/// Mutation happens only through a uniquely referenced storage, which is why it is `Sendable`.
/// Buffers of 128 KiB or more come from, and go back to, the ``BufferPool``.
@usableFromInline
final class TensorStorage: @unchecked Sendable {
    /// Alignment of every buffer: a whole AVX-512 register, and a cache line.
    static let alignment = 64

    @usableFromInline let count: Int
    @usableFromInline let pointer: UnsafeMutablePointer<Float>

    /// A zero-filled buffer of `count` scalars.
    convenience init(count: Int) {
        self.init(count: count, zeroed: true)
    }

    /// A buffer of `count` scalars, zero-filled only when `zeroed`: the tensor core's own kernels,
    /// which overwrite every scalar, skip the fill (a memset per activation is measurable).
    init(count: Int, zeroed: Bool) {
        precondition(count >= 0, "TensorStorage: negative element count \(count)")
        self.count = count
        let raw = BufferPool.take(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: Self.alignment)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        if zeroed { pointer.initialize(repeating: 0, count: max(count, 1)) }
    }

    /// A buffer filled with `value`.
    convenience init(count: Int, repeating value: Float) {
        self.init(count: count)
        if value != 0 { pointer.update(repeating: value, count: count) }
    }

    /// A new buffer holding the same scalars.
    @usableFromInline func copy() -> TensorStorage {
        let other = TensorStorage(count: count, zeroed: false)
        other.pointer.update(from: pointer, count: count)
        return other
    }

    deinit {
        BufferPool.give(UnsafeMutableRawPointer(pointer), byteCount: max(count, 1) * MemoryLayout<Float>.stride)
    }
}
