import Testing
@testable import TensorCore

/// The pool is process-wide, so these tests use sizes no other test allocates (odd scalar counts).
@Suite("BufferPool: large tensor buffers reused, not faulted in and unmapped each time", .serialized)
struct BufferPoolTests {
    @Test("a freed large buffer is the next one of that size; a zero-filled tensor from it is all zeros")
    func reused() {
        let count = 40_001  // 160,004 bytes: pooled
        var first: Tensor? = Tensor(shape: [count], repeating: 7)
        let address = first!.withUnsafeBufferPointer { $0.baseAddress }
        first = nil
        let second = Tensor(shape: [count])
        #expect(second.withUnsafeBufferPointer { $0.baseAddress } == address)
        #expect(second.scalars.allSatisfy { $0 == 0 })
    }

    @Test("small buffers are not kept; the pool never keeps more than its capacity or its per-size count")
    func bounded() {
        do { _ = Tensor(shape: [1_001]) }  // 4 KB: the heap's, not the pool's
        #expect(BufferPool.kept(byteCount: 4_004) == 0)
        let count = 40_003, bytes = count * 4
        var many: [Tensor]? = (0..<(BufferPool.buffersPerSize + 8)).map { _ in Tensor(shape: [count]) }
        #expect(many!.count == BufferPool.buffersPerSize + 8)
        many = nil
        let kept = BufferPool.kept(byteCount: bytes)
        #expect(kept >= 1 && kept <= BufferPool.buffersPerSize)
        #expect(BufferPool.keptBytes <= BufferPool.capacityBytes)
        // Taking them all back empties this size.
        let again = (0..<kept).map { _ in Tensor(shape: [count]) }
        #expect(again.count == kept && BufferPool.kept(byteCount: bytes) == 0)
    }

    @Test("a copy-on-write copy of a shared large tensor leaves the original untouched when the buffer is reused")
    func copyOnWrite() {
        let count = 40_005
        do { _ = Tensor(shape: [count], repeating: 3) }  // a buffer of this size is now in the pool
        let original = Tensor(shape: [count], repeating: 1)
        var copy = original
        copy.scale(by: 2)
        #expect(original.scalars.allSatisfy { $0 == 1 } && copy.scalars.allSatisfy { $0 == 2 })
    }
}
