import Foundation
import TensorCore

/// Flat Float32 vectors on the wire: little-endian bytes split into chunks of at most
/// ``maxChunkBytes``, so no gRPC message nears its size limit however large the model.
///
/// Contract: ``split(_:)`` and an ``Assembler`` fed the chunks in order give back the same bits; the
/// assembler refuses more values than announced, a chunk that is not whole Float32 values, and (at
/// ``finish()``) fewer values than announced, each with what was wrong.
public enum FloatChunks {
    /// 1 MiB: 262,144 values per chunk.
    public static let maxChunkBytes = 1 << 20

    /// The tensor's values as little-endian Float32 chunks (at least one, possibly empty).
    public static func split(_ tensor: Tensor, chunkBytes: Int = maxChunkBytes) -> [Data] {
        precondition(chunkBytes >= 4 && chunkBytes % 4 == 0)
        return tensor.withUnsafeBufferPointer { p in
            let raw = UnsafeRawBufferPointer(p)
            guard raw.count > 0 else { return [Data()] }
            return stride(from: 0, to: raw.count, by: chunkBytes).map { start in
                Data(raw[start..<min(start + chunkBytes, raw.count)])
            }
        }
    }

    /// Reassembles a vector of a known length from its chunks.
    public struct Assembler {
        public let expected: Int
        /// The announced values, filled from the front as chunks arrive.
        private var values: [Float]
        public private(set) var received = 0

        /// - Parameter expected: the announced number of values (already checked against the receiver's limit).
        public init(expected: Int) {
            self.expected = expected
            values = [Float](repeating: 0, count: expected)
        }

        public mutating func append(_ chunk: Data) throws(TransportError) {
            guard chunk.count % 4 == 0 else { throw TransportError("a chunk of \(chunk.count) bytes is not whole Float32 values") }
            guard chunk.count <= FloatChunks.maxChunkBytes else {
                throw TransportError("a chunk of \(chunk.count) bytes exceeds \(FloatChunks.maxChunkBytes)")
            }
            let n = chunk.count / 4
            guard received + n <= expected else {
                throw TransportError("\(received + n) values received, \(expected) announced")
            }
            guard n > 0 else { return }
            let offset = received
            // One copy of the little-endian bytes (a byte swap per value on a big-endian host).
            values.withUnsafeMutableBytes { target in
                chunk.withUnsafeBytes { source in
                    target.baseAddress!.advanced(by: 4 * offset).copyMemory(from: source.baseAddress!, byteCount: 4 * n)
                }
            }
            #if _endian(big)
            for i in offset..<(offset + n) { values[i] = Float(bitPattern: UInt32(littleEndian: values[i].bitPattern)) }
            #endif
            received += n
        }

        public func finish() throws(TransportError) -> Tensor {
            guard received == expected else { throw TransportError("\(received) values received, \(expected) announced") }
            return Tensor(shape: [expected], scalars: values)
        }
    }
}
