import Foundation
import TensorCore
import Testing
@testable import Transport

@Suite("Float32 chunks on the wire")
struct FloatChunksTests {
    @Test("split and reassembled, the bits are the same, in chunks of at most the limit")
    func roundTrip() throws {
        var generator = SeededGenerator(seed: 7)
        let values = (0..<1_000).map { _ in Float(generator.nextUnitDouble() * 2 - 1) } + [.nan, .infinity, -0.0, .leastNonzeroMagnitude]
        let tensor = Tensor(values)
        let chunks = FloatChunks.split(tensor, chunkBytes: 400)
        #expect(chunks.count == (values.count * 4 + 399) / 400)
        #expect(chunks.allSatisfy { $0.count <= 400 })
        var assembler = FloatChunks.Assembler(expected: values.count)
        for c in chunks { try assembler.append(c) }
        let back = try assembler.finish().scalars
        #expect(back.map(\.bitPattern) == values.map(\.bitPattern))
    }

    @Test("more values than announced, a partial Float32, or too few at the end are refused")
    func refusals() throws {
        var a = FloatChunks.Assembler(expected: 2)
        #expect(throws: TransportError.self) { try a.append(Data(count: 12)) }
        #expect(throws: TransportError.self) { try a.append(Data(count: 3)) }
        try a.append(Data(count: 4))
        #expect(throws: TransportError.self) { try a.finish() }
    }

    @Test("chunks that are slices at odd offsets of a larger buffer (as a decoder may hand them) give the same bits")
    func unalignedSlices() throws {
        let values: [Float] = [1.5, -2.25, .pi, 1e-30, -0.0, 7]
        let bytes = values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init) }
        let framed = Data([0xAA] + bytes + [0xBB])  // the values start at byte 1
        var assembler = FloatChunks.Assembler(expected: values.count)
        try assembler.append(framed[1..<13])
        try assembler.append(framed[13..<(framed.count - 1)])
        #expect(assembler.received == values.count)
        #expect(try assembler.finish().scalars.map(\.bitPattern) == values.map(\.bitPattern))
    }
}
