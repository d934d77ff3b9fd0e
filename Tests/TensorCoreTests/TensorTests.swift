import Testing
@testable import TensorCore

@Suite("Tensor value semantics")
struct TensorTests {
    @Test("a copy shares storage until written, then the writer copies and the original is unchanged")
    func copyOnWrite() {
        let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        var b = a
        #expect(b.sharesStorage(with: a))
        b[1, 2] = 60
        #expect(!b.sharesStorage(with: a))
        #expect(a[1, 2] == 6)
        #expect(b[1, 2] == 60)
    }

    @Test("a uniquely referenced tensor is written in place")
    func uniqueWriteInPlace() {
        var a = Tensor(shape: [4], repeating: 1)
        let before = a.withUnsafeBufferPointer { $0.baseAddress }
        a[flat: 0] = 2
        a.withUnsafeMutableBufferPointer { $0[1] = 3 }
        #expect(a.withUnsafeBufferPointer { $0.baseAddress } == before)
        #expect(a.scalars == [2, 3, 1, 1])
    }

    @Test("reshape shares storage and keeps row-major order")
    func reshapeSharesStorage() {
        let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let b = a.reshaped([3, 2])
        #expect(b.sharesStorage(with: a))
        #expect(b[2, 1] == 6 && b[1, 0] == 3)
    }

    @Test("slice, gather and concatenate move whole items along the first dimension")
    func sliceGatherConcatenate() {
        let a = Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])
        #expect(a.slice(1..<3).scalars == [3, 4, 5, 6])
        #expect(a.gathering([2, 0]).scalars == [5, 6, 1, 2])
        let c = Tensor.concatenating([a.slice(0..<1), a.slice(2..<3)])
        #expect(c.shape == [2, 2] && c.scalars == [1, 2, 5, 6])
    }

    @Test("storage is 64-byte aligned")
    func alignment() {
        for n in [1, 3, 17, 1000] {
            let t = Tensor(shape: [n])
            let address = t.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) }
            #expect(address % 64 == 0)
        }
    }
}
