#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

/// A file the run appends lines (metrics, events, audit) or records (TensorBoard) to, flushed to disk on ``sync()``.
/// Opening an existing file appends (a resumed run continues its files).
public final class AppendOnlyFile: @unchecked Sendable {
    public let path: String
    private let descriptor: Int32

    /// Opens (or creates, with permission bits `mode` less the umask) the file at `path` for appending.
    public init(path: String, mode: mode_t = 0o644) throws(FederationError) {
        self.path = path
        descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            throw .runFile(path: path, reason: "cannot open for appending: \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(descriptor) }

    /// Whether the file was empty when opened (so a header is due).
    public var isEmpty: Bool { lseek(descriptor, 0, SEEK_END) == 0 }

    public func append(_ line: String) throws(FederationError) {
        do { try POSIXFile.writeAll(Array((line + "\n").utf8), to: descriptor, path: path) } catch {
            throw .runFile(path: path, reason: "\(error)")
        }
    }

    /// Appends `bytes` as they are (binary records: TensorBoard's event files).
    public func append(bytes: [UInt8]) throws(FederationError) {
        do { try POSIXFile.writeAll(bytes, to: descriptor, path: path) } catch {
            throw .runFile(path: path, reason: "\(error)")
        }
    }

    /// Bytes in the file now.
    public var size: Int { Int(lseek(descriptor, 0, SEEK_END)) }

    /// Flushes what was appended to the disk.
    public func sync() throws(FederationError) {
        guard fsync(descriptor) == 0 else {
            throw .runFile(path: path, reason: "fsync failed: \(String(cString: strerror(errno)))")
        }
    }
}
