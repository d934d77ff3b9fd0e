import Foundation

/// Reading a whole input file into memory, with a ``DatasetError`` a user can act on when it fails.
enum InputFile {
    /// The bytes of the file at `url`.
    /// - Throws: ``DatasetError/unreadable(file:reason:)`` when it does not exist, is a directory,
    ///   or cannot be read.
    static func bytes(at url: URL) throws -> [UInt8] {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DatasetError.unreadable(file: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw DatasetError.unreadable(file: path, reason: "it is a directory, not a file")
        }
        do {
            return [UInt8](try Data(contentsOf: url))
        } catch {
            throw DatasetError.unreadable(file: path, reason: error.localizedDescription)
        }
    }

    /// Calls `body` with the bytes of the file at `path`, read with POSIX `read` into one buffer that is
    /// zeroed before it is freed: no copy of the file's bytes outlives the call (Foundation's `Data`
    /// would leave freed copies, or map the file). For files holding what must not stay in memory
    /// (``PatientTable``'s identifier columns). `body` must not keep the slice past its return.
    static func withBytesZeroedAfter<T>(at path: String, _ body: (ArraySlice<UInt8>) throws -> T) throws -> T {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DatasetError.unreadable(file: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw DatasetError.unreadable(file: path, reason: "it is a directory, not a file") }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw DatasetError.unreadable(file: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw DatasetError.unreadable(file: path, reason: String(cString: strerror(errno))) }
        let size = Int(info.st_size)
        guard size <= 1 << 30 else { throw DatasetError.unreadable(file: path, reason: "larger than 1 GiB (\(size) bytes)") }
        var bytes = [UInt8](repeating: 0, count: size)
        let original = bytes.withUnsafeBytes { $0.baseAddress }
        defer {
            // The only buffer: uniquely referenced once `body` has returned (it must not keep the slice), so
            // this zeroes it in place. Were it shared, copy-on-write would zero a copy: checked, not assumed.
            bytes.withUnsafeMutableBytes { b in
                precondition(UnsafeRawPointer(b.baseAddress) == original || size == 0, "InputFile: the file's buffer was kept past the call; it cannot be zeroed")
                if let base = b.baseAddress { memset(base, 0, b.count) }
            }
        }
        var done = 0
        try bytes.withUnsafeMutableBytes { b in
            while done < size {
                let n = read(fd, b.baseAddress! + done, size - done)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { throw DatasetError.unreadable(file: path, reason: n == 0 ? "shorter than its size" : String(cString: strerror(errno))) }
                done += n
            }
        }
        return try body(bytes[...])
    }

    /// Throws a clear error when `bytes` is a compressed or archived file rather than the raw format
    /// (`format` names it for the message, e.g. "IDX").
    static func rejectCompressed(_ bytes: [UInt8], file: String, format: String) throws {
        if bytes.count >= 2, bytes[0] == 0x1F, bytes[1] == 0x8B {
            throw DatasetError.badMagic(SourceLocation(file: file, byteOffset: 0),
                                        expected: "an uncompressed \(format) file",
                                        found: "gzip data (decompress it first, e.g. with gunzip)")
        }
        if bytes.count >= 4, bytes[0] == 0x50, bytes[1] == 0x4B, bytes[2] == 0x03, bytes[3] == 0x04 {
            throw DatasetError.badMagic(SourceLocation(file: file, byteOffset: 0),
                                        expected: "a single \(format) file",
                                        found: "a zip archive (an .npz? extract its files first)")
        }
    }

    /// The bytes at `range` as hex, for messages: `0x93 0x4e 0x55`.
    static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        bytes.map { "0x" + String($0, radix: 16, uppercase: false).leftPadded(to: 2) }.joined(separator: " ")
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
