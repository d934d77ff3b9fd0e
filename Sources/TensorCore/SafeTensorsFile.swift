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
        do { try POSIXFile.replaceAtomically(path, with: bytes) } catch { throw Self.ioError(error) }
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
