#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Searches this process's writable anonymous memory (heap, stacks, anonymous maps) for a byte string,
/// through /proc/self/mem. The needle is kept masked (each byte XOR `mask`), so the search never finds
/// its own copy of it.
enum ProcessMemory {
    static let mask: UInt8 = 0xA5

    /// Whether any readable anonymous region holds the bytes `masked[i] ^ mask`.
    static func contains(masked: [UInt8]) -> Bool {
        guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return false }
        let fd = open("/proc/self/mem", O_RDONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk + masked.count, alignment: 16)
        defer {
            memset(buffer.baseAddress!, 0, buffer.count)
            buffer.deallocate()
        }
        let first = Int32(masked[0] ^ mask)
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 5, fields[1].hasPrefix("r") else { continue }
            let path = fields.count >= 6 ? String(fields[5]) : ""
            guard path.isEmpty || path == "[heap]" || path.hasPrefix("[stack") || path.hasPrefix("[anon") else { continue }
            let bounds = fields[0].split(separator: "-").compactMap { UInt64(String($0), radix: 16) }
            guard bounds.count == 2 else { continue }
            var at = bounds[0]
            while at < bounds[1] {
                let want = Int(min(UInt64(chunk + masked.count), bounds[1] - at))
                let got = pread(fd, buffer.baseAddress!, want, off_t(Int64(bitPattern: at)))
                guard got > 0 else { break }
                var p = buffer.baseAddress!
                let end = buffer.baseAddress! + got
                while p < end, let hit = memchr(p, first, end - p) {
                    let h = hit.assumingMemoryBound(to: UInt8.self)
                    if end - UnsafeMutableRawPointer(hit) >= masked.count,
                       (1..<masked.count).allSatisfy({ h[$0] ^ mask == masked[$0] }) {
                        return true
                    }
                    p = UnsafeMutableRawPointer(hit) + 1
                }
                at += UInt64(chunk)
            }
        }
        return false
    }

    /// A random token of `length` ASCII letters and digits, returned masked (see ``contains(masked:)``).
    static func maskedToken(length: Int) -> [UInt8] {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789".utf8)
        return (0..<length).map { _ in alphabet.randomElement()! ^ mask }
    }
}
