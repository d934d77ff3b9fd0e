/// CRC-32C (Castagnoli polynomial 0x1EDC6F41, reflected 0x82F63B78), as TFRecord framing uses it, and
/// TensorFlow's masked form.
///
/// Contract: ``checksum(_:)`` is the standard CRC-32C (initial value and final XOR 0xFFFFFFFF):
/// `checksum("123456789") == 0xE3069283`. ``masked(_:)`` is TensorFlow's `MaskedCrc`:
/// `((crc >> 15) | (crc << 17)) &+ 0xA282EAD8`, so a CRC over data that holds CRCs is not degenerate.
public enum CRC32C {
    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            for b in bytes { crc = t[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        }
        return crc ^ 0xFFFF_FFFF
    }

    public static func masked(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}
