#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads, complete writes and directory flushes with POSIX calls: the durable-file
/// plumbing shared by safetensors files and privacy ledgers.
///
/// Contract: reads and writes retry on `EINTR` and never return partial results; every failure is a
/// ``POSIXFileError`` naming the path, the operation and the system's reason.
public enum POSIXFile {
    /// The whole file at `path`.
    public static func readAll(_ path: String) throws(POSIXFileError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw POSIXFileError(path: path, operation: "open for reading") }
        defer { _ = close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let result = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
            if result < 0 {
                if errno == EINTR { continue }
                throw POSIXFileError(path: path, operation: "read")
            }
            if result == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<result])
        }
    }

    /// Writes all of `bytes` to `descriptor` (the file at `path`, for errors).
    public static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) throws(POSIXFileError) {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { raw in
                posixWrite(descriptor, raw.baseAddress! + written, raw.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw POSIXFileError(path: path, operation: "write")
            }
            written += result
        }
    }

    /// Flushes the directory holding `path`, so that a file created or renamed in it survives a crash.
    public static func syncDirectory(containing path: String) throws(POSIXFileError) {
        let directory = path.lastIndex(of: "/").map { String(path[...$0]) } ?? "."
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw POSIXFileError(path: directory, operation: "open directory to flush it") }
        defer { _ = close(descriptor) }
        guard fsync(descriptor) == 0 else { throw POSIXFileError(path: directory, operation: "flush directory (fsync)") }
    }
}

/// A failed system call on a file.
public struct POSIXFileError: Error, Equatable, CustomStringConvertible {
    public var path: String
    public var operation: String
    /// The system's reason (`strerror`).
    public var reason: String

    /// The error for the current `errno`.
    public init(path: String, operation: String) {
        self.path = path
        self.operation = operation
        reason = String(cString: strerror(errno))
    }

    public var description: String { "\(path): \(operation) failed: \(reason)" }
}

/// `write(2)`, named apart from the `write(to:)` methods.
@inline(__always)
private func posixWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}
