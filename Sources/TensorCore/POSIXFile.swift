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

    /// Replaces the file at `path` with `bytes`, atomically and durably: the bytes go to a temporary
    /// file in the same directory, which is flushed (`fsync`) and renamed over `path`, and then the
    /// directory is flushed; after a crash `path` holds the old file or the whole new one. On failure
    /// the temporary file is removed.
    public static func replaceAtomically(_ path: String, with bytes: [UInt8], mode: mode_t = 0o644) throws(POSIXFileError) {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let fileName = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let temporary = directory + ".\(fileName).\(getpid()).\(suffix).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw POSIXFileError(path: temporary, operation: "create a temporary file") }
        var closed = false
        var renamed = false
        defer {
            if !closed { _ = close(descriptor) }
            if !renamed { _ = unlink(temporary) }
        }
        try writeAll(bytes, to: descriptor, path: temporary)
        guard fsync(descriptor) == 0 else { throw POSIXFileError(path: temporary, operation: "flush (fsync)") }
        closed = true
        guard close(descriptor) == 0 else { throw POSIXFileError(path: temporary, operation: "close") }
        guard rename(temporary, path) == 0 else { throw POSIXFileError(path: path, operation: "replace (rename) with \(temporary)") }
        renamed = true
        try syncDirectory(containing: path)
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
