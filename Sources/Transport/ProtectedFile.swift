#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

/// The file steps of provisioning and of loading credentials: files and folders created with their
/// final permission bits (never loosened or changed afterwards), flushed to disk, and files read
/// together with their permission bits.
enum ProtectedFile {
    /// Creates the file `path` with permission bits `mode` (less the umask), writes `bytes`, flushes
    /// (fsync) and closes it. Never replaces a file: `O_EXCL`, and `O_NOFOLLOW` so no link is followed.
    static func create(_ path: String, bytes: [UInt8], mode: mode_t) throws(ProvisioningError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw failure(path, "create") }
        var closed = false
        defer { if !closed { _ = close(descriptor) } }
        do { try POSIXFile.writeAll(bytes, to: descriptor, path: path) } catch {
            throw .io(path: path, operation: "write", reason: error.reason)
        }
        guard fsync(descriptor) == 0 else { throw failure(path, "flush (fsync)") }
        closed = true
        guard close(descriptor) == 0 else { throw failure(path, "close") }
    }

    /// Creates the folder `path` with permission bits `mode` (less the umask).
    /// - Throws: ``ProvisioningError/folderExists(_:)`` if anything is at `path`.
    static func makeDirectory(_ path: String, mode: mode_t) throws(ProvisioningError) {
        guard mkdir(path, mode) == 0 else {
            if errno == EEXIST { throw .folderExists(path) }
            throw failure(path, "create the folder")
        }
    }

    /// Flushes the folder `path` itself, so that the entries created in it survive a crash.
    static func syncDirectory(_ path: String) throws(ProvisioningError) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(path, "open the folder to flush it") }
        defer { _ = close(descriptor) }
        guard fsync(descriptor) == 0 else { throw failure(path, "flush (fsync) the folder") }
    }

    /// Whether anything (file, folder, link) is at `path`.
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Whether `path` is a folder (following links).
    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Removes what a failed provisioning created: `files` then `folders` (deepest first), ignoring
    /// errors (it is a clean-up after an error already reported).
    static func removeQuietly(files: [String], folders: [String]) {
        for file in files.reversed() { _ = unlink(file) }
        for folder in folders.reversed() { _ = rmdir(folder) }
    }

    /// What reading a file gave.
    enum ReadResult {
        case contents(bytes: [UInt8], mode: UInt32)
        case missing
        case failed(reason: String)
    }

    /// The whole file at `path` with its permission bits (from the open descriptor), at most
    /// `limit` bytes (a credentials file is a few kilobytes; a larger file is not one).
    static func read(_ path: String, limit: Int = 1 << 20) -> ReadResult {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            return errno == ENOENT ? .missing : .failed(reason: String(cString: strerror(errno)))
        }
        defer { _ = close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return .failed(reason: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { return .failed(reason: "not a regular file") }
        guard Int(info.st_size) <= limit else { return .failed(reason: "larger than \(limit) bytes") }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = chunk.withUnsafeMutableBytes { posixRead(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failed(reason: String(cString: strerror(errno)))
            }
            if count == 0 { break }
            bytes += chunk[..<count]
            if bytes.count > limit { return .failed(reason: "larger than \(limit) bytes") }
        }
        return .contents(bytes: bytes, mode: UInt32(info.st_mode) & 0o7777)
    }

    private static func failure(_ path: String, _ operation: String) -> ProvisioningError {
        .io(path: path, operation: operation, reason: String(cString: strerror(errno)))
    }
}

/// `read(2)`, named apart from ``ProtectedFile/read(_:limit:)``.
private func posixRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}
