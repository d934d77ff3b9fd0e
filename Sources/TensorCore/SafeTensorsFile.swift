#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Reading and writing safetensors files with POSIX calls, so that a write is atomic and durable and
// every failure carries the system's reason.

extension SafeTensors {
    /// Reads and decodes the safetensors file at `path`.
    /// - Throws: ``SafeTensorsError/io(path:operation:reason:)`` if the file cannot be read, or any
    ///   decoding error of ``init(decoding:source:)`` with `path` as the source.
    public init(contentsOf path: String) throws {
        try self.init(decoding: try Self.readFile(path), source: path)
    }

    /// Writes the encoded tensors to `path`, replacing any file there atomically and durably.
    ///
    /// The bytes go to a temporary file in the same directory, which is flushed (`fsync`), renamed over
    /// `path`, and then the directory is flushed, so that after a crash `path` holds either the old
    /// file or the whole new one. On failure the temporary file is removed.
    /// - Throws: an encoding error of ``encoded()`` (with `path` as the source), or
    ///   ``SafeTensorsError/io(path:operation:reason:)``.
    public func write(to path: String) throws {
        let bytes = try encoded(source: path)
        let (directory, fileName) = Self.split(path)
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let temporary = (directory == "." ? "" : directory) + ".\(fileName).\(getpid()).\(suffix).tmp"

        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Self.ioError(temporary, "create a temporary file") }
        var closed = false
        var renamed = false
        defer {
            if !closed { _ = close(descriptor) }
            if !renamed { _ = unlink(temporary) }
        }
        do { try POSIXFile.writeAll(bytes, to: descriptor, path: temporary) } catch { throw Self.ioError(error) }
        guard fsync(descriptor) == 0 else { throw Self.ioError(temporary, "flush (fsync)") }
        closed = true
        guard close(descriptor) == 0 else { throw Self.ioError(temporary, "close") }
        guard rename(temporary, path) == 0 else { throw Self.ioError(path, "replace (rename) with \(temporary)") }
        renamed = true

        do { try POSIXFile.syncDirectory(containing: path) } catch { throw Self.ioError(error) }
    }

    /// The directory of `path` with its trailing slash (`.` for a bare name), and the last component.
    static func split(_ path: String) -> (directory: String, fileName: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        return (String(path[...slash]), String(path[path.index(after: slash)...]))
    }

    /// The whole file at `path`.
    static func readFile(_ path: String) throws -> [UInt8] {
        do { return try POSIXFile.readAll(path) } catch { throw ioError(error) }
    }

    static func ioError(_ path: String, _ operation: String) -> SafeTensorsError {
        .io(path: path, operation: operation, reason: String(cString: strerror(errno)))
    }

    static func ioError(_ error: POSIXFileError) -> SafeTensorsError {
        .io(path: error.path, operation: error.operation, reason: error.reason)
    }
}
