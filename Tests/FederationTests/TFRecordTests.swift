import Federation
import Testing

@Suite("TFRecord framing and CRC-32C (TensorBoard's event files)")
struct TFRecordTests {
    @Test("CRC-32C matches the standard check values; the mask is TensorFlow's")
    func checkValues() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)  // RFC 3720 B.4
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum(Array(0..<32)) == 0x46DD_794E)
        let crc: UInt32 = 0x1234_5678
        #expect(CRC32C.masked(crc) == ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8)
    }

    @Test("records read back as written, empty ones included; the layout is length, masked CRC, data, masked CRC")
    func roundTrip() throws {
        let payloads: [[UInt8]] = [[], Array("brain.Event:2".utf8), (0..<1000).map { UInt8($0 % 251) }]
        let file = payloads.flatMap(TFRecord.frame)
        #expect(try TFRecord.records(in: file) == payloads)
        let one = TFRecord.frame([1, 2, 3])
        #expect(one.count == 8 + 4 + 3 + 4 && Array(one[0..<8]) == [3, 0, 0, 0, 0, 0, 0, 0] && Array(one[12..<15]) == [1, 2, 3])
    }

    @Test("a flipped bit, a cut file or an absurd length is refused naming the record's offset")
    func corruption() {
        let file = TFRecord.frame([9, 9, 9]) + TFRecord.frame([7, 7])
        var flipped = file
        flipped[19 + 13] ^= 1  // the second record's data
        #expect(throws: TFRecordError.checksum(offset: 19, what: "data")) { try TFRecord.records(in: flipped) }
        var length = file
        length[0] ^= 4
        #expect(throws: TFRecordError.checksum(offset: 0, what: "length")) { try TFRecord.records(in: length) }
        #expect(throws: TFRecordError.truncated(offset: 19)) { try TFRecord.records(in: Array(file.dropLast())) }
        var huge = withUnsafeBytes(of: UInt64(1 << 40).littleEndian, Array.init)
        huge += withUnsafeBytes(of: CRC32C.masked(CRC32C.checksum(huge)).littleEndian, Array.init)
        #expect(throws: TFRecordError.tooLarge(offset: 0, bytes: 1 << 40)) { try TFRecord.records(in: huge + [0, 0, 0, 0]) }
    }
}
